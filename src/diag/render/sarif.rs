//! `--format sarif`: SARIF 2.1.0, as accepted by code-scanning uploads.
//!
//! One run whose `tool.driver.rules` is the whole rule registry (so `ruleIndex` is stable), and
//! one result per finding with its physical location (relative `/`-separated URI, 1-based
//! line/column region). Findings without a span carry only the artifact location.

use crate::diag::{registry, Diagnostics, Severity};
use crate::source::SourceMap;
use serde_json::{json, Value};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Guess: the project has no published home yet (nothing in the repository names one); replace
/// this when it has. Code-scanning only shows it as a link.
pub const INFORMATION_URI: &str = "https://github.com/stackvista/stackpack";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a SARIF URI: relative with forward slashes and no leading `./` (absolute paths,
/// when the user named the pack by one, become `file://` URIs).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.trim_start_matches("./");
    let mut out = String::new();
    if p.starts_with('/') {
        out.push_str("file://");
    }
    for c in p.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            _ => out.push(c),
        }
    }
    out
}

pub fn to_value(diags: &Diagnostics, sources: &SourceMap) -> Value {
    let rules = registry::all();
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            let help = if r.example.is_empty() {
                r.summary.to_string()
            } else {
                format!("{} Example: {}", r.summary, r.example)
            };
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.name.replace('-', " ") },
                "fullDescription": { "text": r.summary },
                "defaultConfiguration": { "level": level(r.severity) },
                "help": { "text": help },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": text },
            });
            if let Some(i) = rules.iter().position(|r| r.code == d.code) {
                result["ruleIndex"] = json!(i);
            }
            let location = match d.span.and_then(|s| sources.get(s.file).map(|f| (s, f))) {
                Some((s, f)) => {
                    let a = f.line_col(s.start as usize);
                    let b = f.line_col(s.end as usize);
                    Some(json!({
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(&f.display) },
                            "region": {
                                "startLine": a.line,
                                "startColumn": a.col,
                                "endLine": b.line,
                                "endColumn": b.col.max(if b.line == a.line { a.col } else { 1 }),
                            }
                        }
                    }))
                }
                None => d.path.as_ref().map(|p| {
                    json!({ "physicalLocation": { "artifactLocation": { "uri": uri(p) } } })
                }),
            };
            if let Some(l) = location {
                result["locations"] = json!([l]);
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .filter_map(|(n, (s, text))| {
                    let f = sources.get(s.file)?;
                    let a = f.line_col(s.start as usize);
                    let b = f.line_col(s.end as usize);
                    Some(json!({
                        "id": n,
                        "message": { "text": text },
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(&f.display) },
                            "region": { "startLine": a.line, "startColumn": a.col, "endLine": b.line, "endColumn": b.col }
                        }
                    }))
                })
                .collect();
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "stackpack",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rule_values,
                }
            },
            "results": results,
        }]
    })
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
    fn uris_are_relative_with_forward_slashes() {
        assert_eq!(uri("./pack/nodes/a b.yaml"), "pack/nodes/a%20b.yaml");
        assert_eq!(uri("pack\\x.yaml"), "pack/x.yaml");
        assert_eq!(uri("/tmp/pack/x.yaml"), "file:///tmp/pack/x.yaml");
    }
}
