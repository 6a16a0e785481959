//! Renderers for diagnostics, all from the same [`Diagnostics`] model: human (rustc-style),
//! JSON, SARIF, GitHub Actions workflow commands, GitLab Code Quality and JUnit XML.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use super::Diagnostics;
use crate::source::SourceMap;

/// Version of the JSON contract of every `--format json` output (`schema_version` field).
/// Bumped only on an incompatible change: removing or renaming a key or changing its type.
/// Adding keys is compatible. Keys are snake_case everywhere.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Output format of diagnostics, chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style text on stderr.
    Human,
    /// The stable JSON contract (docs/lint.md) on stdout.
    Json,
    /// SARIF 2.1.0 on stdout, for code-scanning uploads.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…::…`): inline annotations on a PR.
    Github,
    /// GitLab Code Quality report (JSON array) on stdout.
    Gitlab,
    /// JUnit XML on stdout: one test case per checked file and per finding.
    Junit,
}

impl Format {
    /// Whether the output is for a person (stderr, colours, summary line).
    pub fn is_human(self) -> bool {
        self == Format::Human
    }
}

/// Options shared by the renderers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// ANSI colours (human format only).
    pub color: bool,
    /// No summary line on a clean run (human format only).
    pub quiet: bool,
    /// How many files were checked (the clean-run summary line).
    pub files: usize,
}

/// Render `diags` in `format`. The caller prints the result.
pub fn render(format: Format, diags: &Diagnostics, sources: &SourceMap, opts: RenderOptions) -> String {
    match format {
        Format::Human => human::render(diags, sources, opts),
        Format::Json => json::render(diags, sources),
        Format::Sarif => sarif::render(diags, sources),
        Format::Github => github::render(diags, sources),
        Format::Gitlab => gitlab::render(diags, sources),
        Format::Junit => junit::render(diags, sources),
    }
}

/// Line and column range of a finding: `(line, column, end_line, end_column)`, 1-based.
pub(crate) fn region(d: &super::Diagnostic, sources: &SourceMap) -> Option<(usize, usize, usize, usize)> {
    let s = d.span?;
    let f = sources.get(s.file)?;
    let a = f.line_col(s.start as usize);
    let b = f.line_col(s.end as usize);
    Some((a.line, a.col, b.line, b.col))
}
