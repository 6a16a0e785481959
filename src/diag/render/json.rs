//! `--format json`: `{"diagnostics": [...], "summary": {...}}`, one object per finding with
//! `code, severity, message, file, line, column, end_line, end_column, help`.

use crate::diag::{Diagnostics, Severity};
use crate::source::SourceMap;
use serde_json::{json, Value};

pub fn to_value(diags: &Diagnostics, sources: &SourceMap) -> Value {
    let items: Vec<Value> = diags
        .iter()
        .map(|d| {
            let (line, column, end_line, end_column) = match d.span.and_then(|s| sources.get(s.file).map(|f| (s, f))) {
                Some((s, f)) => {
                    let a = f.line_col(s.start as usize);
                    let b = f.line_col(s.end as usize);
                    (Some(a.line), Some(a.col), Some(b.line), Some(b.col))
                }
                None => (None, None, None, None),
            };
            json!({
                "code": d.code,
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": d.file(sources),
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "help": d.help,
                "notes": d.notes,
            })
        })
        .collect();
    json!({
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
