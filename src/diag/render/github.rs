//! `--format github`: GitHub Actions workflow commands, one line per finding:
//! `::error file=nodes/syncs.yaml,line=3,col=18,endLine=3,endColumn=22,title=SP205 unresolved-reference::message`.
//! Actions turns them into annotations on the lines of the pull request. Infos are `notice`.

use super::region;
use crate::diag::{registry, Diagnostics, Severity};
use crate::source::SourceMap;
use std::fmt::Write;

/// Escape the message part (`%`, CR, LF), as the workflow-command syntax requires.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a property value (additionally `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(diags: &Diagnostics, sources: &SourceMap) -> String {
    let rules = registry::all();
    let mut out = String::new();
    for d in diags {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(file) = d.file(sources) {
            props.push(format!("file={}", property(file.trim_start_matches("./"))));
        }
        if let Some((line, col, end_line, end_col)) = region(d, sources) {
            props.push(format!("line={line}"));
            props.push(format!("endLine={end_line}"));
            // Columns only mean something on a one-line range.
            if line == end_line {
                props.push(format!("col={col}"));
                props.push(format!("endColumn={}", end_col.max(col)));
            }
        }
        let name = rules.iter().find(|r| r.code == d.code).map(|r| r.name).unwrap_or("");
        props.push(format!("title={}", property(&format!("{} {name}", d.code))));
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        let _ = writeln!(out, "::{command} {}::{}", props.join(","), data(&message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
