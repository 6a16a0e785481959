//! Printing diagnostics and errors the same way in every command.

use crate::diag::render::{render, Format, RenderOptions};
use crate::diag::{Diagnostics, Severity};
use crate::source::SourceMap;
use std::io::{IsTerminal, Write};

/// Whether stderr/stdout should get colours: only on a terminal, and never with `NO_COLOR`.
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map(|t| t != "dumb").unwrap_or(true)
}

/// Print findings: machine formats go to stdout (they are the command's output), human text to
/// stderr.
pub fn print_diagnostics(format: Format, diags: &Diagnostics, sources: &SourceMap) {
    match format {
        Format::Human => {
            if diags.is_empty() {
                return;
            }
            let color = use_color(std::io::stderr().is_terminal());
            let text = render(format, diags, sources, RenderOptions { color });
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
        Format::Json | Format::Sarif => {
            let text = render(format, diags, sources, RenderOptions::default());
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
}

/// A fatal usage or I/O error: printed as `error: …`, exit code 2.
pub fn fatal(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
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
