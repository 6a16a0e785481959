//! Printing diagnostics and errors the same way in every command, and the global output
//! settings (`--color`, `-q`, `-v`).
//!
//! stdout goes through [`write_stdout`] (the `out!`/`outln!` macros): a closed pipe
//! (`stackpack rules --markdown | head -1`) ends the output quietly and the command still
//! returns its usual exit code, instead of a panic (exit 101).

use crate::diag::render::{render, Format, RenderOptions};
use crate::diag::{Diagnostics, Severity};
use crate::source::SourceMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colours on a terminal, unless `NO_COLOR` is set (or forced with `CLICOLOR_FORCE`).
    #[default]
    Auto,
    Always,
    Never,
}

/// The global flags every command shares.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    pub color: ColorChoice,
    /// `-q`: no summary or progress lines, only findings and the command's output.
    pub quiet: bool,
    /// `-v`: also say what was checked, where and how long it took.
    pub verbose: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Set the global flags (once, from `main`).
pub fn configure(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

pub fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// Whether a stream should get colours. `--color always|never` decide; with `auto`, a set
/// `NO_COLOR` turns colours off, a set `CLICOLOR_FORCE` (not `0`) turns them on, otherwise only
/// a terminal whose `TERM` is not `dumb` gets them.
pub fn use_color(stream_is_terminal: bool) -> bool {
    color_decision(settings().color, stream_is_terminal, |k| std::env::var_os(k))
}

pub fn color_decision(choice: ColorChoice, terminal: bool, env: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set("NO_COLOR") {
                false
            } else if set("CLICOLOR_FORCE") && env("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else {
                terminal && env("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Write to stdout; after the reader went away (EPIPE) everything else is dropped quietly.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let r = out.write_fmt(args).and_then(|_| out.flush());
    if let Err(e) = r {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        } else {
            let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
    }
}

/// Write to stderr, ignoring a closed stderr.
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// `-v` lines, on stderr.
pub fn verbose(message: impl std::fmt::Display) {
    if settings().verbose {
        write_stderr(format_args!("{message}\n"));
    }
}

/// Print findings: machine formats go to stdout (they are the command's output), human text to
/// stderr. Nothing is printed for a clean run in the human format.
pub fn print_diagnostics(format: Format, diags: &Diagnostics, sources: &SourceMap) {
    print_report(format, diags, sources, None);
}

/// Like [`print_diagnostics`]; with `checked = Some(n)` a clean human run says
/// "ok: no findings in n files" (not with `-q`).
pub fn print_report(format: Format, diags: &Diagnostics, sources: &SourceMap, checked: Option<usize>) {
    let s = settings();
    match format {
        Format::Human => {
            if diags.is_empty() && (checked.is_none() || s.quiet) {
                return;
            }
            let color = use_color(std::io::stderr().is_terminal());
            let text = render(
                format,
                diags,
                sources,
                RenderOptions {
                    color,
                    quiet: s.quiet,
                    files: checked.unwrap_or(0),
                },
            );
            write_stderr(format_args!("{text}"));
        }
        _ => {
            let text = render(format, diags, sources, RenderOptions::default());
            write_stdout(format_args!("{text}"));
        }
    }
}

/// A fatal usage or I/O error: printed as `error: …`, exit code 2.
pub fn fatal(message: impl std::fmt::Display) -> u8 {
    let text = message.to_string();
    write_stderr(format_args!("error: {}\n", crate::diag::escape::escape_lines(&text)));
    super::EXIT_USAGE
}

/// Exit code for a set of findings: 1 when any is an error (or a warning under `--deny warnings`).
pub fn exit_code(diags: &Diagnostics, deny_warnings: bool) -> u8 {
    if diags.has_errors() || (deny_warnings && diags.count(Severity::Warning) > 0) {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn colour_follows_flags_then_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
        };
        assert!(color_decision(ColorChoice::Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!color_decision(
            ColorChoice::Never,
            true,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(color_decision(ColorChoice::Auto, true, env(&[])));
        assert!(!color_decision(ColorChoice::Auto, false, env(&[])));
        assert!(!color_decision(ColorChoice::Auto, true, env(&[("NO_COLOR", "1")])));
        assert!(color_decision(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!color_decision(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "0")])
        ));
        assert!(!color_decision(ColorChoice::Auto, true, env(&[("TERM", "dumb")])));
        assert!(!color_decision(
            ColorChoice::Auto,
            true,
            env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
    }
}
