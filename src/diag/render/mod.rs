//! Renderers for diagnostics: human (rustc-style), JSON and SARIF.

pub mod human;
pub mod json;
pub mod sarif;

use super::Diagnostics;
use crate::source::SourceMap;

/// Output format of diagnostics, chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

/// Options shared by the renderers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// ANSI colours (human format only).
    pub color: bool,
}

/// Render `diags` in `format`. The caller prints the result.
pub fn render(format: Format, diags: &Diagnostics, sources: &SourceMap, opts: RenderOptions) -> String {
    match format {
        Format::Human => human::render(diags, sources, opts),
        Format::Json => json::render(diags, sources),
        Format::Sarif => sarif::render(diags, sources),
    }
}
