//! The sync chain, offline: what StackState does with one topology element after a pack is
//! installed (`stackpack render`, `stackpack test`).
//!
//! ```text
//! element → id extractor → mapping function → component/relation template → Component/Relation
//!           (Groovy, [`groovy`])                 ([`render`])                  ([`structure`])
//! ```
//!
//! [`evaluate`] renders one template node for one element and checks the result; [`testfile`]
//! reads the pack's `tests/`, [`runner`] runs them, [`report`] prints the results.

pub mod groovy;
pub mod locate;
pub mod otel;
pub mod otel_test;
pub mod render;
pub mod report;
pub mod rules;
pub mod runner;
pub mod schema;
pub mod structure;
pub mod testfile;

use crate::diag::Diagnostic;
use crate::model::{Body, Node, NodeKind, Pack};
use crate::source::{FileId, Span};
use serde_json::{Map, Value};

pub use render::{placeholder_id, Lookup};

/// The result of rendering one template on one element.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The rendered text (when rendering succeeded).
    pub text: Option<String>,
    /// The parsed output (when it is JSON).
    pub output: Option<Value>,
    pub lookups: Vec<Lookup>,
    /// Render errors, JSON errors and structural findings, located in the template file.
    pub diags: Vec<Diagnostic>,
}

/// The template file of a template node and its source id.
pub fn template_file<'p>(pack: &'p Pack, node: &'p Node) -> Option<(&'p str, FileId, &'p str)> {
    let Body::Template(t) = &node.body else { return None };
    let (file, text) = pack.text(&t.template.value)?;
    Some((t.template.value.as_str(), file, text))
}

/// A component or relation template of the pack by short id or URN.
pub fn find_template<'p>(pack: &'p Pack, name: &str) -> Option<&'p Node> {
    let name = name.trim();
    pack.nodes.iter().find(|n| {
        matches!(n.kind, NodeKind::ComponentTemplate | NodeKind::RelationTemplate)
            && (n.id.value == name || pack.urn(n) == name)
    })
}

/// Render `node` (a component or relation template) for `element` with `import_args` and check
/// the output: JSON, then the structure StackState needs.
pub fn evaluate(pack: &Pack, node: &Node, element: &Value, import_args: &Map<String, Value>) -> Evaluation {
    let mut ev = Evaluation {
        text: None,
        output: None,
        lookups: Vec::new(),
        diags: Vec::new(),
    };
    let Some((rel, file, text)) = template_file(pack, node) else {
        return ev; // missing template file: reported by the model stage (SP010)
    };
    let what = format!("{} `{}` ({rel})", node.kind.singular(), node.id.value);
    let data = render::context_for(node, element, import_args);
    let instance_id = import_args.get("instanceId").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let instance_id = instance_id.unwrap_or_else(|| "1".into());
    let rendered = match render::render_text(pack, text, &data, &instance_id) {
        Ok(r) => r,
        Err(f) => {
            ev.diags.push(f.diagnostic(pack, file, &what));
            return ev;
        }
    };
    ev.lookups = rendered.lookups;
    ev.text = Some(rendered.text.clone());
    // The marked render locates output positions in the template; it runs only when there is
    // something to locate.
    let marked_cell = std::cell::OnceCell::new();
    let marked = || -> &Option<(String, Vec<(usize, usize)>)> {
        marked_cell.get_or_init(|| {
            render::render_text(pack, &locate::mark(text), &data, &instance_id)
                .map(|r| locate::strip(&r.text))
                .ok()
        })
    };
    let at_output = |offset_in_marked: Option<usize>| -> Span {
        let line = match (marked(), offset_in_marked) {
            (Some((_, starts)), Some(o)) => locate::line_at(starts, o),
            _ => None,
        };
        match (line, pack.sources.get(file)) {
            (Some(l), Some(f)) => {
                let start = f.line_start(l);
                let line_text = f.line_text(l);
                let indent = line_text.len() - line_text.trim_start().len();
                Span::new(file, start + indent, start + line_text.trim_end().len().max(indent))
            }
            _ => Span::file_start(file),
        }
    };
    let output: Value = match serde_json::from_str(&rendered.text) {
        Ok(v) => v,
        Err(e) => {
            let offset = marked().as_ref().and_then(|(t, _)| {
                serde_json::from_str::<Value>(t)
                    .err()
                    .map(|e2| offset_of(t, e2.line(), e2.column()))
            });
            let excerpt = excerpt(&rendered.text, e.line(), e.column());
            ev.diags.push(
                Diagnostic::new(
                    &rules::NOT_JSON,
                    at_output(offset),
                    format!("{what} does not render valid JSON: {e}"),
                )
                .label("the output goes wrong on this template line")
                .note(format!("rendered output around the error:\n{excerpt}"))
                .help("fix the JSON around this line (commas, quotes, a value that renders empty); `stackpack render` shows the whole output"),
            );
            return ev;
        }
    };
    let findings = structure::check(&output, render::is_relation(node));
    if !findings.is_empty() {
        let paths = marked()
            .as_ref()
            .map(|(t, _)| locate::json_paths(t))
            .unwrap_or_default();
        for f in findings {
            let at = paths.get(&f.path).copied().or_else(|| {
                // A missing key: point at its parent object.
                let parent = f.path.rsplit_once(['.', '[']).map_or("", |(p, _)| p);
                paths.get(parent).copied()
            });
            let shown = if f.path.is_empty() {
                "the output".to_string()
            } else {
                format!("`{}`", f.path.trim_start_matches('.'))
            };
            ev.diags.push(
                Diagnostic::new(f.rule, at_output(at), format!("{what}: {shown}: {}", f.message))
                    .label("produced by this template line"),
            );
        }
    }
    ev.output = Some(output);
    ev
}

/// Byte offset of a 1-based line and 1-based column of `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col = column.saturating_sub(1).min(l.len());
            let mut at = col;
            while at > 0 && !l.is_char_boundary(at) {
                at -= 1;
            }
            return start + at;
        }
        start += l.len();
    }
    text.len()
}

/// Up to three lines of `text` ending at `line`, with a caret under `column`.
fn excerpt(text: &str, line: usize, column: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let from = line.saturating_sub(3);
    let to = line.min(lines.len());
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate().take(to).skip(from) {
        out.push_str(&format!("{:>4} | {l}\n", i + 1));
    }
    out.push_str(&format!("     | {}^", " ".repeat(column.saturating_sub(1))));
    out
}
