//! The cascade limit: a file that does not parse yields one finding, not a page of them.
//!
//! When a YAML or TOML file has a syntax error (SP002, SP003), everything the later stages say
//! may be a consequence of its missing content (unresolved references to its nodes, unused
//! files it would have used, "did you mean" guesses on a half-read tree). So only the first
//! syntax error of each such file is kept, with the other reading findings of other files
//! (SP0xx); the rest is counted in a note on the first syntax error and reported once the
//! syntax is fixed.

use super::Diagnostics;
use crate::source::SourceMap;
use std::collections::HashSet;

const SYNTAX: &[&str] = &["SP002", "SP003"];

/// Reading-stage findings (`SP0xx`) are about each file on its own.
fn is_reading(code: &str) -> bool {
    code.len() == 5 && code.starts_with("SP0")
}

/// Apply the limit; returns how many findings were held back.
pub fn limit(diags: &mut Diagnostics, sources: &SourceMap) -> usize {
    let broken: HashSet<String> = diags
        .iter()
        .filter(|d| SYNTAX.contains(&d.code))
        .filter_map(|d| d.file(sources).map(str::to_string))
        .collect();
    if broken.is_empty() {
        return 0;
    }
    let before = diags.len();
    let mut first_seen: HashSet<String> = HashSet::new();
    diags.retain(|d| match d.file(sources) {
        Some(f) if broken.contains(f) => SYNTAX.contains(&d.code) && first_seen.insert(f.to_string()),
        _ => is_reading(d.code),
    });
    let hidden = before - diags.len();
    if hidden > 0 {
        if let Some(d) = diags.iter_mut().find(|d| SYNTAX.contains(&d.code)) {
            d.notes.push(format!(
                "{hidden} further {} not shown until the syntax {} fixed: they may follow from {}",
                if hidden == 1 { "finding is" } else { "findings are" },
                if broken.len() == 1 { "error is" } else { "errors are" },
                if broken.len() == 1 { "it" } else { "them" }
            ));
        }
    }
    hidden
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Diagnostic, Rule, Severity};
    use crate::source::Span;

    fn rule(code: &'static str) -> Rule {
        Rule {
            code,
            name: "x",
            severity: Severity::Error,
            summary: "x",
            example: "",
        }
    }

    #[test]
    fn one_syntax_error_is_one_finding() {
        let mut sources = SourceMap::new();
        let a = sources.add("nodes/a.yaml", None, "a: [\n\tb\n");
        let b = sources.add("nodes/b.yaml", None, "syncs: []\n");
        let mut diags = Diagnostics::new();
        for (code, f, at) in [
            ("SP002", a, 0),
            ("SP002", a, 5),
            ("SP004", a, 6),
            ("SP205", b, 0),
            ("SP010", b, 2),
        ] {
            diags.push(Diagnostic::new(&rule(code), Span::new(f, at, at + 1), "x"));
        }
        assert_eq!(limit(&mut diags, &sources), 3);
        let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["SP002", "SP010"]);
        assert!(diags
            .iter()
            .next()
            .is_some_and(|d| d.notes[0].contains("3 further findings")));
    }
}
