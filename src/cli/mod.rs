//! The command-line interface. Each command lives in its own file with its `Args` and `run`.
//!
//! Exit codes everywhere: 0 clean, 1 findings at error level (or failures the input caused),
//! 2 usage or I/O failure.

pub mod build;
pub mod changelog_cmd;
pub mod diff;
pub mod import;
pub mod inspect;
pub mod lint;
pub mod output;
pub mod release;
pub mod release_notes;
pub mod rules_cmd;
pub mod schema_cmd;
pub mod v2;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Compile, lint, version-check and release declarative StackState StackPacks.
#[derive(Debug, Parser)]
#[command(name = "stackpack", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a pack into a reproducible `<name>-<version>.sts` archive.
    Build(build::Args),
    /// Check a pack offline and report located findings.
    Lint(lint::Args),
    /// Compare two builds (`.sts` or pack directories) node by node and check the version bump.
    Diff(diff::Args),
    /// Show what a `.sts` archive (or classic pack) holds: name, version, entries, nodes.
    Inspect(inspect::Args),
    /// Convert a classic pack (source tree or `.sts`) into declarative sources.
    Import(import::Args),
    /// List every lint rule with its code, severity and rationale.
    Rules(rules_cmd::Args),
    /// Render the release notes from the changelog (docs page, RELEASE.md or JSON).
    ReleaseNotes(release_notes::Args),
    /// Add unreleased changes to the changelog, or check it.
    Changelog(changelog_cmd::Args),
    /// Fold the unreleased changes into a new release and set the manifest version.
    Release(release::Args),
    /// Print the JSON Schema of `stackpack.toml` or of node files, for editor completion.
    Schema(schema_cmd::Args),
}

/// Exit codes.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    ExitCode::from(run(cli.command))
}

pub fn run(command: Command) -> u8 {
    match command {
        Command::Build(args) => build::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Diff(args) => diff::run(args),
        Command::ReleaseNotes(args) => release_notes::run(args),
        Command::Changelog(args) => changelog_cmd::run(args),
        Command::Release(args) => release::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Import(args) => import::run(args),
        Command::Schema(args) => schema_cmd::run(args),
    }
}
