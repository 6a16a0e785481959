//! rustc-style rendering: `error[SP201]: message`, `--> file:line:col`, the source line with the
//! offending value underlined, then `= help:` and `= note:` lines.

use super::RenderOptions;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::{SourceMap, Span};
use std::fmt::Write;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, s: Severity, text: &str) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, text)
    }
    fn blue(&self, text: &str) -> String {
        self.paint("1;34", text)
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// Render all findings followed by a one-line summary.
pub fn render(diags: &Diagnostics, sources: &SourceMap, opts: RenderOptions) -> String {
    let style = Style { on: opts.color };
    let mut out = String::new();
    for d in diags {
        render_one_styled(&mut out, d, sources, &style);
        out.push('\n');
    }
    let errors = diags.count(Severity::Error);
    let warnings = diags.count(Severity::Warning);
    let infos = diags.count(Severity::Info);
    if errors + warnings + infos > 0 {
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "{} {}, {} {}, {} {}",
                errors,
                plural(errors, "error", "errors"),
                warnings,
                plural(warnings, "warning", "warnings"),
                infos,
                plural(infos, "info", "infos")
            ))
        );
    }
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn render_one_styled(out: &mut String, d: &Diagnostic, sources: &SourceMap, style: &Style) {
    let head = format!("{}[{}]", d.severity, d.code);
    let _ = writeln!(
        out,
        "{}{}",
        style.severity(d.severity, &head),
        style.bold(&format!(": {}", d.message))
    );
    let gutter_width = d
        .span
        .iter()
        .chain(d.related.iter().map(|(s, _)| s))
        .filter_map(|s| sources.get(s.file).map(|f| f.line_col(s.start as usize).line))
        .max()
        .map(|l| l.to_string().len())
        .unwrap_or(1);
    let pad = " ".repeat(gutter_width);
    match d.span {
        Some(span) => {
            snippet(out, span, d.label.as_deref(), sources, style, &pad, d.severity);
        }
        None => {
            if let Some(path) = &d.path {
                let _ = writeln!(out, "{pad}{} {path}", style.blue("-->"));
            }
        }
    }
    for (span, text) in &d.related {
        snippet(out, *span, Some(text), sources, style, &pad, Severity::Info);
    }
    if let Some(help) = &d.help {
        let _ = writeln!(
            out,
            "{pad} {} {}",
            style.blue("="),
            style.bold(&format!("help: {help}"))
        );
    }
    for note in &d.notes {
        let _ = writeln!(out, "{pad} {} note: {note}", style.blue("="));
    }
}

fn snippet(
    out: &mut String,
    span: Span,
    label: Option<&str>,
    sources: &SourceMap,
    style: &Style,
    pad: &str,
    severity: Severity,
) {
    let Some(file) = sources.get(span.file) else {
        return;
    };
    let start = file.line_col(span.start as usize);
    let end = file.line_col(span.end as usize);
    let _ = writeln!(
        out,
        "{pad}{} {}:{}:{}",
        style.blue("-->"),
        file.display,
        start.line,
        start.col
    );
    if file.text.is_empty() {
        return;
    }
    let line_text = file.line_text(start.line);
    let _ = writeln!(out, "{pad} {}", style.blue("|"));
    let _ = writeln!(
        out,
        "{} {} {}",
        style.blue(&format!("{:>w$}", start.line, w = pad.len())),
        style.blue("|"),
        line_text.replace('\t', " ")
    );
    let width = if end.line == start.line {
        end.col.saturating_sub(start.col).max(1)
    } else {
        (line_text.chars().count() + 1).saturating_sub(start.col).max(1)
    };
    let marks = "^".repeat(width);
    let underline = match severity {
        Severity::Info => style.blue(&marks),
        s => style.severity(s, &marks),
    };
    let label = label.map(|l| format!(" {l}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{pad} {} {}{}{}",
        style.blue("|"),
        " ".repeat(start.col.saturating_sub(1)),
        underline,
        label
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Diagnostic, Rule};

    const R: Rule = Rule {
        code: "SP999",
        name: "test-rule",
        severity: Severity::Error,
        summary: "test",
        example: "",
    };

    #[test]
    fn underlines_the_value() {
        let mut sources = SourceMap::new();
        let id = sources.add("pack/a.yaml", None, "syncs:\n  - id: agent\n    data-source: agnt\n");
        let text = "syncs:\n  - id: agent\n    data-source: agnt\n";
        let start = text.find("agnt").unwrap_or(0);
        let mut diags = Diagnostics::new();
        diags.push(
            Diagnostic::new(&R, Span::new(id, start, start + 4), "unknown data source `agnt`")
                .label("not defined")
                .help("did you mean `agent`?"),
        );
        let out = render(&diags, &sources, RenderOptions { color: false });
        assert_eq!(
            out,
            "error[SP999]: unknown data source `agnt`\n --> pack/a.yaml:3:18\n  |\n3 |     data-source: agnt\n  |                  ^^^^ not defined\n  = help: did you mean `agent`?\n\n1 error, 0 warnings, 0 infos\n"
        );
    }
}
