//! `--format json`: `{"schema_version": 1, "diagnostics": [...], "summary": {...}}`, one object
//! per finding with `code, name, severity, message, file, line, column, end_line, end_column,
//! help, notes, related`. The contract is documented in docs/lint.md.

use super::{region, JSON_SCHEMA_VERSION};
use crate::diag::{registry, Diagnostics, Severity};
use crate::source::SourceMap;
use serde_json::{json, Value};

pub fn to_value(diags: &Diagnostics, sources: &SourceMap) -> Value {
    let rules = registry::all();
    let items: Vec<Value> = diags
        .iter()
        .map(|d| {
            let (line, column, end_line, end_column) = match region(d, sources) {
                Some((a, b, c, e)) => (Some(a), Some(b), Some(c), Some(e)),
                None => (None, None, None, None),
            };
            let related: Vec<Value> = d
                .related
                .iter()
                .filter_map(|(s, text)| {
                    let f = sources.get(s.file)?;
                    let a = f.line_col(s.start as usize);
                    Some(json!({"file": f.display, "line": a.line, "column": a.col, "message": text}))
                })
                .collect();
            json!({
                "code": d.code,
                "name": rules.iter().find(|r| r.code == d.code).map(|r| r.name),
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": d.file(sources),
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "help": d.help,
                "notes": d.notes,
                "related": related,
            })
        })
        .collect();
    json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "diagnostics": items,
        "summary": {
            "errors": diags.count(Severity::Error),
            "warnings": diags.count(Severity::Warning),
            "infos": diags.count(Severity::Info),
        }
    })
}

pub fn render(diags: &Diagnostics, sources: &SourceMap) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diags, sources)).unwrap_or_default();
    s.push('\n');
    s
}
