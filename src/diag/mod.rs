//! Diagnostics: stable codes, severities, located messages, and their renderers.
//!
//! Every finding the tool reports is a [`Diagnostic`] created from a [`Rule`]. Rules live next to
//! the code that emits them (each stage has a `rules` list); [`registry::all`] gathers them so
//! the rule list in `docs/rules.md` and the SARIF rule table are generated from one place.

pub mod cascade;
pub mod escape;
pub mod registry;
pub mod render;
pub mod rules;
pub mod suppress;

use crate::source::{SourceMap, Span};
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lint rule: a stable code, a short kebab-case name, its default severity, a one-line
/// rationale and an example of what triggers it.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub example: &'static str,
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The offending value. `None` for findings about something that has no text (an unreadable
    /// directory, a missing file); `path` then names it.
    pub span: Option<Span>,
    /// A path for findings without a span.
    pub path: Option<String>,
    /// Short text shown under the underlined value.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// Extra context (evidence, explanations).
    pub notes: Vec<String>,
    /// Other places that matter (the first definition of a duplicate, …).
    pub related: Vec<(Span, String)>,
    /// Set on the one finding that sums up repeated findings held back by
    /// [`cascade::cap_repeats`]: the code it stands for and how many were held back, by
    /// severity (info, warning, error).
    pub(crate) capped: Option<(&'static str, [usize; 3])>,
}

impl Diagnostic {
    pub fn new(rule: &Rule, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: rule.code,
            severity: rule.severity,
            message: message.into(),
            span: Some(span),
            path: None,
            label: None,
            help: None,
            notes: Vec::new(),
            related: Vec::new(),
            capped: None,
        }
    }

    /// A finding about a path that has no loaded text.
    pub fn at_path(rule: &Rule, path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: rule.code,
            severity: rule.severity,
            message: message.into(),
            span: None,
            path: Some(path.into()),
            label: None,
            help: None,
            notes: Vec::new(),
            related: Vec::new(),
            capped: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
    pub fn related(mut self, span: Span, text: impl Into<String>) -> Self {
        self.related.push((span, text.into()));
        self
    }
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The file this finding is about, for sorting and machine output.
    pub fn file<'a>(&'a self, sources: &'a SourceMap) -> Option<&'a str> {
        match self.span {
            Some(span) => sources.get(span.file).map(|f| f.display.as_str()),
            None => self.path.as_deref(),
        }
    }
}

/// An ordered collection of findings.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics::default()
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }
    /// Findings of `severity`, counting those that [`cascade::cap_repeats`] held back (and not
    /// the findings that sum them up).
    pub fn count(&self, severity: Severity) -> usize {
        self.items
            .iter()
            .map(|d| match d.capped {
                Some((_, held)) => held[severity as usize],
                None => usize::from(d.severity == severity),
            })
            .sum()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
    pub fn retain(&mut self, f: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(f);
    }
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Diagnostic> {
        self.items.iter_mut()
    }

    /// Sort by file, position, then code, and drop exact duplicates: output order must not
    /// depend on the order in which rules ran. Then cap repeats: past
    /// [`cascade::MAX_REPEATS`] findings of one rule in one file, the rest are counted in one
    /// finding ([`cascade::cap_repeats`]). Every output path sorts before it prints.
    pub fn sort(&mut self, sources: &SourceMap) {
        self.sort_only(sources);
        self.items.dedup();
        if cascade::cap_repeats(&mut self.items, sources) {
            self.sort_only(sources);
        }
    }

    fn sort_only(&mut self, sources: &SourceMap) {
        self.items.sort_by(|a, b| {
            let ka = (a.file(sources).unwrap_or(""), a.span.map(|s| (s.start, s.end)), a.code);
            let kb = (b.file(sources).unwrap_or(""), b.span.map(|s| (s.start, s.end)), b.code);
            ka.cmp(&kb).then_with(|| a.message.cmp(&b.message))
        });
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// "did you mean" suggestion: the closest candidate by edit distance, if it is close enough.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score > 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_closest_candidate() {
        assert_eq!(
            did_you_mean("compnent-types", ["component-types", "relation-types"]),
            Some("component-types")
        );
        assert_eq!(did_you_mean("zzz", ["component-types"]), None);
    }
}
