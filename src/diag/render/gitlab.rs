//! `--format gitlab`: a GitLab Code Quality report, a JSON array of
//! `{description, check_name, fingerprint, severity, location: {path, lines: {begin, end}}}`
//! (upload it as `artifacts:reports:codequality`). Severities: error → `major`, warning →
//! `minor`, info → `info`. The fingerprint is a stable hash of code, file, line and message,
//! so GitLab can tell new findings from old ones between pipelines.

use super::region;
use crate::diag::{Diagnostics, Severity};
use crate::source::SourceMap;
use serde_json::{json, Value};

/// 128-bit FNV-1a as 32 hex digits: stable across runs, platforms and versions of this tool.
fn fingerprint(parts: &[&str]) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u128;
            h = h.wrapping_mul(0x0000000001000000000000000000013B);
        }
    }
    format!("{h:032x}")
}

pub fn to_value(diags: &Diagnostics, sources: &SourceMap) -> Value {
    let items: Vec<Value> = diags
        .iter()
        .map(|d| {
            let file = d.file(sources).unwrap_or("stackpack.toml").trim_start_matches("./");
            let (begin, end) = region(d, sources).map(|(l, _, e, _)| (l, e)).unwrap_or((1, 1));
            let mut description = format!("{}: {}", d.code, d.message);
            if let Some(h) = &d.help {
                description.push_str(" (help: ");
                description.push_str(h);
                description.push(')');
            }
            json!({
                "description": description,
                "check_name": d.code,
                "fingerprint": fingerprint(&[d.code, file, &begin.to_string(), &d.message]),
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                "location": { "path": file, "lines": { "begin": begin, "end": end } },
            })
        })
        .collect();
    Value::Array(items)
}

pub fn render(diags: &Diagnostics, sources: &SourceMap) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diags, sources)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        assert_eq!(fingerprint(&["SP1", "a"]), fingerprint(&["SP1", "a"]));
        assert_ne!(fingerprint(&["SP1", "a"]), fingerprint(&["SP1a", ""]));
        assert_eq!(fingerprint(&["x"]).len(), 32);
    }
}
