//! The command-line interface. Each command lives in its own file with its `Args` and `run`.
//!
//! Exit codes everywhere: 0 clean, 1 findings at error level (or failures the input caused),
//! 2 usage or I/O failure.

/// `print!` to stdout through [`output::write_stdout`] (quiet on a closed pipe).
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::output::write_stdout(format_args!($($t)*)) };
}
/// `println!` to stdout through [`output::write_stdout`] (quiet on a closed pipe).
macro_rules! outln {
    () => { $crate::cli::output::write_stdout(format_args!("\n")) };
    ($($t:tt)*) => { $crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($t)*))) };
}

pub mod build;
pub mod changelog_cmd;
pub mod completions;
pub mod diff;
pub mod fmt;
pub mod import;
pub mod inspect;
pub mod lint;
pub mod new;
pub mod output;
pub mod release;
pub mod release_notes;
pub mod render;
pub mod rules_cmd;
pub mod schema_cmd;
pub mod test;
pub mod v2;
pub mod watch;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Compile, lint, version-check and release declarative StackState StackPacks.
///
/// Start a pack with `stackpack new NAME`, check it with `stackpack lint` (from anywhere inside
/// it), and build the `.sts` archive with `stackpack build`.
#[derive(Debug, Parser)]
#[command(name = "stackpack", version, about, long_about)]
pub struct Cli {
    /// When to use colours in human output (`auto`: on a terminal; `NO_COLOR` turns them off,
    /// `CLICOLOR_FORCE=1` on).
    #[arg(long, value_enum, global = true, default_value_t = output::ColorChoice::Auto, value_name = "WHEN")]
    pub color: output::ColorChoice,
    /// Print only findings and the command's output (no summary or progress lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also say which pack and files were checked and how long it took.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new pack that lints clean and builds (offline; `--multi-instance` for packs
    /// installed once per server).
    New(new::Args),
    /// Compile a pack into a reproducible `<name>-<version>.sts` archive.
    Build(build::Args),
    /// Check a pack offline and report located findings.
    Lint(lint::Args),
    /// Format the pack's YAML and TOML sources canonically (`--check`: only report).
    Fmt(fmt::Args),
    /// Compare two builds (`.sts` or pack directories) node by node and check the version bump.
    Diff(diff::Args),
    /// Show what a `.sts` archive (or classic pack) holds: name, version, entries, nodes.
    Inspect(inspect::Args),
    /// Convert a classic pack (source tree or `.sts`) into declarative sources.
    Import(import::Args),
    /// List every lint rule, or explain one (`stackpack rules SP203`).
    Rules(rules_cmd::Args),
    /// Render the release notes from the changelog (docs page, RELEASE.md or JSON).
    ReleaseNotes(release_notes::Args),
    /// Add unreleased changes to the changelog, or check it.
    Changelog(changelog_cmd::Args),
    /// Fold the unreleased changes into a new release and set the manifest version.
    Release(release::Args),
    /// Print the JSON Schema of `stackpack.toml` or of node files, for editor completion.
    Schema(schema_cmd::Args),
    /// Run the pack's tests: sample elements through mapping functions and templates.
    Test(test::Args),
    /// Render one component or relation template for one sample element and print the JSON.
    Render(render::Args),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(completions::Args),
    /// Print the man page (roff) of `stackpack` or of one command to stdout.
    Man(completions::ManArgs),
}

/// Exit codes.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    quiet_on_closed_pipes();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    output::configure(output::Settings {
        color: cli.color,
        quiet: cli.quiet,
        verbose: cli.verbose,
    });
    ExitCode::from(run(cli.command))
}

/// A `print!` outside [`output::write_stdout`] panics on a closed pipe ("failed printing to
/// stdout: Broken pipe"): end such a process quietly with 141 (128 + SIGPIPE, what a shell
/// shows for a process a closed pipe stopped) instead of a panic message and exit 101.
fn quiet_on_closed_pipes() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to std") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

pub fn run(command: Command) -> u8 {
    match command {
        Command::New(args) => new::run(args),
        Command::Build(args) => build::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Diff(args) => diff::run(args),
        Command::ReleaseNotes(args) => release_notes::run(args),
        Command::Changelog(args) => changelog_cmd::run(args),
        Command::Release(args) => release::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Import(args) => import::run(args),
        Command::Schema(args) => schema_cmd::run(args),
        Command::Test(args) => test::run(args),
        Command::Render(args) => render::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => completions::man(args),
    }
}
