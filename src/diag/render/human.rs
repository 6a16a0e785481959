//! rustc-style rendering: `error[SP201]: message`, `--> file:line:col`, the source line with the
//! offending value underlined, then `= help:` and `= note:` lines.
//!
//! Everything that comes from user files (messages quote values, file names, source lines) is
//! escaped ([`crate::diag::escape`]). Output stays linear in the number of findings: a source
//! line is shown as a window of at most [`WINDOW`] characters around the value, and past
//! [`MAX_PER_FILE_AND_CODE`] findings of one code in one file the rest are counted, not shown.

use super::RenderOptions;
use crate::diag::escape::{escape, escape_message};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;
use std::fmt::Write;

/// Lines up to this many bytes are shown whole.
const WHOLE_LINE: usize = 400;
/// Characters of a longer source line shown around the underlined value.
pub const WINDOW: usize = 160;
/// Characters shown before the value when the line is cut.
const LEAD: usize = 60;
/// Findings of one code in one file shown in full; the rest are summed up in one line. The
/// model caps them first for every format (`Diagnostics::sort`, SP807); this is the same cap,
/// for findings rendered without that pass.
pub const MAX_PER_FILE_AND_CODE: usize = crate::diag::cascade::MAX_REPEATS;

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
    fn green(&self, text: &str) -> String {
        self.paint("1;32", text)
    }
}

/// Render all findings followed by a one-line summary (on a clean run: "no findings in N
/// files", unless `opts.quiet`).
pub fn render(diags: &Diagnostics, sources: &SourceMap, opts: RenderOptions) -> String {
    let style = Style { on: opts.color };
    let mut out = String::new();
    let mut shown: HashMap<(Option<&str>, &str), usize> = HashMap::new();
    let mut hidden: Vec<((Option<&str>, &str), usize)> = Vec::new();
    for d in diags {
        let key = (d.file(sources), d.code);
        let n = shown.entry(key).or_insert(0);
        *n += 1;
        if *n > MAX_PER_FILE_AND_CODE {
            match hidden.iter_mut().find(|(k, _)| *k == key) {
                Some((_, c)) => *c += 1,
                None => hidden.push((key, 1)),
            }
            continue;
        }
        render_one_styled(&mut out, d, sources, &style);
        out.push('\n');
    }
    for ((file, code), n) in &hidden {
        let _ = writeln!(
            out,
            "{}: {n} more {code} {} in {} not shown\n",
            style.bold("note"),
            plural(*n, "finding", "findings"),
            escape(file.unwrap_or("the pack"))
        );
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
    } else if !opts.quiet {
        let _ = writeln!(
            out,
            "{} no findings in {} {}",
            style.green("ok:"),
            opts.files,
            plural(opts.files, "file", "files")
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
        style.bold(&format!(": {}", escape_message(&d.message)))
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
                let _ = writeln!(out, "{pad}{} {}", style.blue("-->"), escape(path));
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
            style.bold(&format!("help: {}", escape_message(help)))
        );
    }
    for note in &d.notes {
        let _ = writeln!(out, "{pad} {} note: {}", style.blue("="), escape_message(note));
    }
}

/// The shown part of a source line: the text before the value, the value's part on this line,
/// the text after it, each cut to the window and escaped (tabs shown as one space).
fn window(line: &str, col0: usize, width: usize) -> (String, String, String, bool, bool) {
    let (skip, window) = if line.len() <= WHOLE_LINE {
        (0, WHOLE_LINE)
    } else {
        (col0.saturating_sub(LEAD), WINDOW)
    };
    let clean = |s: &str| escape(&s.replace('\t', " ")).into_owned();
    let mut pre = String::new();
    let mut mid = String::new();
    let mut post = String::new();
    let mut taken = 0usize;
    let mut cut_end = false;
    for (n, c) in line.chars().enumerate() {
        if n < skip {
            continue;
        }
        if taken >= window.max(col0 - skip + 1) {
            cut_end = true;
            break;
        }
        taken += 1;
        if n < col0 {
            pre.push(c);
        } else if n < col0 + width {
            mid.push(c);
        } else {
            post.push(c);
        }
    }
    (clean(&pre), clean(&mid), clean(&post), skip > 0, cut_end)
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
        escape(&file.display),
        start.line,
        start.col
    );
    if file.text.is_empty() {
        return;
    }
    let line_text = file.line_text(start.line);
    let col0 = start.col.saturating_sub(1);
    let width = if end.line == start.line {
        end.col.saturating_sub(start.col)
    } else {
        usize::MAX / 2
    };
    let (pre, mid, post, cut_start, cut_end) = window(line_text, col0, width);
    let lead = if cut_start { "…" } else { "" };
    let tail = if cut_end { "…" } else { "" };
    let _ = writeln!(out, "{pad} {}", style.blue("|"));
    let _ = writeln!(
        out,
        "{} {} {lead}{pre}{mid}{post}{tail}",
        style.blue(&format!("{:>w$}", start.line, w = pad.len())),
        style.blue("|"),
    );
    let marks = "^".repeat(mid.chars().count().max(1));
    let underline = match severity {
        Severity::Info => style.blue(&marks),
        s => style.severity(s, &marks),
    };
    let label = label.map(|l| format!(" {}", escape(l))).unwrap_or_default();
    let _ = writeln!(
        out,
        "{pad} {} {}{}{}",
        style.blue("|"),
        " ".repeat(pre.chars().count() + lead.chars().count()),
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

    fn opts() -> RenderOptions {
        RenderOptions {
            color: false,
            ..RenderOptions::default()
        }
    }

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
        let out = render(&diags, &sources, opts());
        assert_eq!(
            out,
            "error[SP999]: unknown data source `agnt`\n --> pack/a.yaml:3:18\n  |\n3 |     data-source: agnt\n  |                  ^^^^ not defined\n  = help: did you mean `agent`?\n\n1 error, 0 warnings, 0 infos\n"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut sources = SourceMap::new();
        let text = "name: \"a\u{1b}[2Jb\"\n";
        let id = sources.add("pack/\u{1b}]0;x\u{7}.yaml", None, text);
        let mut diags = Diagnostics::new();
        diags.push(
            Diagnostic::new(
                &R,
                Span::new(id, 6, text.len() - 1),
                "bad value `a\u{1b}[2Jb`\nforged: line",
            )
            .help("x\u{1b}y"),
        );
        let out = render(&diags, &sources, opts());
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
        assert!(out.contains("bad value `a\\e[2Jb`\n    forged: line"), "{out}");
        assert!(out.contains("pack/\\e]0;x\\u{7}.yaml:1:7"), "{out}");
    }

    #[test]
    fn long_lines_are_cut_and_many_findings_counted() {
        let mut sources = SourceMap::new();
        let mut text = String::from("a: {");
        for i in 0..1000 {
            text.push_str(&format!("k: {i}, "));
        }
        text.push('}');
        let id = sources.add("big.yaml", None, text.clone());
        let mut diags = Diagnostics::new();
        let mut at = 4;
        for i in 0..1000 {
            let len = format!("k: {i}, ").len();
            diags.push(Diagnostic::new(&R, Span::new(id, at, at + 1), "duplicate key `k`"));
            at += len;
        }
        let out = render(&diags, &sources, opts());
        assert!(out.len() < 50 * 600 + 1000, "output is bounded: {} bytes", out.len());
        assert!(out.contains("950 more SP999 findings in big.yaml not shown"), "{out}");
        // The last shown finding's line is cut on both sides, with the value underlined.
        assert!(out.contains("…"), "{out}");
    }

    #[test]
    fn clean_runs_say_so() {
        let sources = SourceMap::new();
        let out = render(&Diagnostics::new(), &sources, RenderOptions { files: 3, ..opts() });
        assert_eq!(out, "ok: no findings in 3 files\n");
        let quiet = render(&Diagnostics::new(), &sources, RenderOptions { quiet: true, ..opts() });
        assert_eq!(quiet, "");
    }
}
