//! The cascade limit: a file that does not parse yields one finding, not a page of them.
//!
//! When a YAML or TOML file has a syntax error (SP002, SP003), everything the later stages say
//! may be a consequence of its missing content (unresolved references to its nodes, unused
//! files it would have used, "did you mean" guesses on a half-read tree). So only the first
//! syntax error of each such file is kept, with the other reading findings of other files
//! (SP0xx); the rest is counted in a note on the first syntax error and reported once the
//! syntax is fixed.

//!
//! The repeat cap: one rule can fire thousands of times in one file (100 000 unknown keys in a
//! conf, a minified node file with a typo repeated on every object). Past [`MAX_REPEATS`]
//! findings of one rule in one file, the rest are held back and counted in one finding
//! (SP807) placed after the last one shown, in every output format; [`super::Diagnostics::count`]
//! still counts them. Reporting is then bounded by the number of rules and files, not by the
//! size of the input.

use super::{Diagnostic, Diagnostics, Rule, Severity};
use crate::source::SourceMap;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Findings of one rule in one file that are reported; the human printer's own cap for
/// findings that skip this pass is the same number (`render::human::MAX_PER_FILE_AND_CODE`),
/// so nothing it prints is cut again.
pub const MAX_REPEATS: usize = 50;

pub const REPEATS_CAPPED: Rule = Rule {
    code: "SP807",
    name: "repeated-findings-capped",
    severity: Severity::Info,
    summary: "One rule fired more than 50 times in one file: the first 50 findings are listed, this one counts the rest (often one cause repeated: fix the ones shown and run again).",
    example: "100 000 unknown keys at the root of stackpack.conf (SP702)",
};

/// Apply the repeat cap to sorted, de-duplicated findings; returns whether anything changed
/// (findings held back, or the counting findings of an earlier call updated). Idempotent:
/// counting findings of an earlier call are merged, not counted as findings.
pub(super) fn cap_repeats(items: &mut Vec<Diagnostic>, sources: &SourceMap) -> bool {
    // Cheap check first: most runs have far fewer findings than the cap.
    if items.len() <= MAX_REPEATS && items.iter().all(|d| d.capped.is_none()) {
        return false;
    }
    type Key = (Option<String>, &'static str);
    let key_of = |d: &Diagnostic| -> Key { (d.file(sources).map(str::to_string), d.code) };
    let mut held: BTreeMap<Key, [usize; 3]> = BTreeMap::new();
    let mut changed = false;
    items.retain(|d| match d.capped {
        Some((code, n)) => {
            let slot = held.entry((d.file(sources).map(str::to_string), code)).or_default();
            for i in 0..3 {
                slot[i] += n[i];
            }
            changed = true;
            false
        }
        None => true,
    });
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let mut last: HashMap<Key, usize> = HashMap::new();
    let mut keep = Vec::with_capacity(items.len());
    for d in items.drain(..) {
        let key = key_of(&d);
        let n = seen.entry(key.clone()).or_insert(0);
        *n += 1;
        if *n > MAX_REPEATS {
            held.entry(key).or_default()[d.severity as usize] += 1;
            changed = true;
        } else {
            last.insert(key, keep.len());
            keep.push(d);
        }
    }
    *items = keep;
    let mut summaries = Vec::new();
    for (key, counts) in held {
        let total: usize = counts.iter().sum();
        if total == 0 {
            continue;
        }
        let severity = if counts[2] > 0 {
            Severity::Error
        } else if counts[1] > 0 {
            Severity::Warning
        } else {
            Severity::Info
        };
        let (file, code) = &key;
        let place = last.get(&key).and_then(|&i| items.get(i));
        let message = format!(
            "{total} more {code} {} in {} not shown: only the first {MAX_REPEATS} findings of one rule per file are reported",
            if total == 1 { "finding" } else { "findings" },
            file.as_deref().unwrap_or("the pack"),
        );
        let mut d = match place.and_then(|p| p.span) {
            Some(span) => Diagnostic::new(&REPEATS_CAPPED, span, message),
            None => Diagnostic::at_path(
                &REPEATS_CAPPED,
                file.clone()
                    .or_else(|| place.and_then(|p| p.path.clone()))
                    .unwrap_or_else(|| "the pack".into()),
                message,
            ),
        }
        .severity(severity)
        .help(format!(
            "fix the {code} findings shown (repeated findings often share one cause) and run again to see the rest"
        ));
        if counts.iter().filter(|&&c| c > 0).count() > 1 || severity != Severity::Info {
            d = d.note(format!(
                "held back: {} errors, {} warnings, {} infos",
                counts[2], counts[1], counts[0]
            ));
        }
        d.capped = Some((code, counts));
        summaries.push(d);
    }
    items.extend(summaries);
    changed
}

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

    fn warn(code: &'static str, file: crate::source::FileId, at: usize) -> Diagnostic {
        let mut r = rule(code);
        r.severity = Severity::Warning;
        Diagnostic::new(&r, Span::new(file, at, at + 1), format!("finding at {at}"))
    }

    #[test]
    fn repeated_findings_of_one_rule_in_one_file_are_capped_and_counted() {
        let mut sources = SourceMap::new();
        let text = "x".repeat(500);
        let a = sources.add("stackpack.conf", None, text.as_str());
        let b = sources.add("other.conf", None, text.as_str());
        let mut diags = Diagnostics::new();
        for i in 0..120 {
            diags.push(warn("SP702", a, i));
        }
        for i in 0..3 {
            diags.push(warn("SP703", a, 200 + i));
        }
        for i in 0..60 {
            diags.push(warn("SP702", b, i));
        }
        // One error among the held-back ones: the counting finding is an error then.
        diags.push(Diagnostic::new(&rule("SP702"), Span::new(b, 300, 301), "an error"));
        diags.sort(&sources);
        let shown = |f: &str, code: &str| {
            diags
                .iter()
                .filter(|d| d.file(&sources) == Some(f) && d.code == code)
                .count()
        };
        assert_eq!(shown("stackpack.conf", "SP702"), MAX_REPEATS);
        assert_eq!(shown("stackpack.conf", "SP703"), 3);
        assert_eq!(shown("other.conf", "SP702"), MAX_REPEATS);
        let caps: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == "SP807").collect();
        assert_eq!(caps.len(), 2);
        let conf = caps.iter().find(|d| d.file(&sources) == Some("stackpack.conf"));
        assert!(conf.is_some_and(|d| d
            .message
            .starts_with("70 more SP702 findings in stackpack.conf not shown")));
        assert!(conf.is_some_and(|d| d.severity == Severity::Warning));
        let other = caps.iter().find(|d| d.file(&sources) == Some("other.conf"));
        assert!(other.is_some_and(|d| d.message.starts_with("11 more SP702") && d.severity == Severity::Error));
        assert!(diags.has_errors());
        // Counts still include what was held back, and a second sort changes nothing.
        assert_eq!(diags.count(Severity::Warning), 183);
        assert_eq!(diags.count(Severity::Error), 1);
        let before: Vec<Diagnostic> = diags.iter().cloned().collect();
        diags.sort(&sources);
        assert_eq!(diags.iter().cloned().collect::<Vec<_>>(), before);
        // The counting finding comes right after the last finding shown of its rule.
        let pos = diags
            .iter()
            .position(|d| d.code == "SP807" && d.file(&sources) == Some("stackpack.conf"));
        let prev = pos.and_then(|p| p.checked_sub(1)).and_then(|p| diags.iter().nth(p));
        assert!(
            prev.is_some_and(|d| d.code == "SP702" && d.message == "finding at 49"),
            "{prev:?}"
        );
        // Findings added later are merged into the same count.
        for i in 120..130 {
            diags.push(warn("SP702", a, i));
        }
        diags.sort(&sources);
        let conf = diags
            .iter()
            .find(|d| d.code == "SP807" && d.file(&sources) == Some("stackpack.conf"));
        assert!(conf.is_some_and(|d| d.message.starts_with("80 more SP702")), "{conf:?}");
        assert_eq!(diags.count(Severity::Warning), 193);
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
