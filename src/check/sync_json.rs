//! SP340: sync templates whose output cannot be valid JSON for any element.
//!
//! Each component and relation template is rendered with the sync-time renderer
//! ([`crate::sync::evaluate`]) on two synthetic elements: a minimal one (`externalId`,
//! `type.name`, empty `data`) and a rich one built from the fields the template reads (a string
//! where the field is used inside a JSON string, a number where it stands bare, a one-item list
//! where it is iterated, a resolvable URN where it is passed to `get`). When neither gives valid
//! JSON, the fault lies in the template's own text, not in the data: that is an error.
//! Everything data-dependent is left to `stackpack test`.

use super::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Body, NodeKind, Pack};
use crate::sync::rules as sync_rules;
use crate::template::{ArgKind, Tag, TagKind};
use serde_json::{json, Map, Value};

pub fn check(pack: &Pack, diags: &mut Diagnostics) {
    let args = crate::sync::render::default_import_args(pack);
    let instance_id = args
        .get("instanceId")
        .map_or_else(|| "1".to_string(), |v| v.to_string());
    // One resolver for every template: its index is linear in the nodes.
    let resolver = crate::sync::render::Resolver::new(pack, &instance_id);
    let mut seen = std::collections::BTreeSet::new();
    let types = action_types(pack);
    for (index, node) in pack.nodes.iter().enumerate() {
        let Body::Template(t) = &node.body else { continue };
        if !seen.insert(t.template.value.as_str()) {
            continue;
        }
        // Syntax errors are SP301's.
        let Some(Ok(scanned)) = pack.template_scan(&t.template.value) else {
            continue;
        };
        let Some((_, text)) = pack.text(&t.template.value) else {
            continue;
        };
        let type_name = types.get(&index).cloned().unwrap_or_else(|| "sample".to_string());
        let relation = node.kind == NodeKind::RelationTemplate;
        let minimal = base(&type_name, relation);
        let rich = synthesize(pack, &t.parameter.value, text, &scanned.tags, minimal.clone());
        // A plain render first (cheap); the located evaluation only for templates that fail.
        let breaks = |element: &Value| {
            let data = crate::sync::render::context_for(node, element, &args);
            crate::sync::render::render_text_with(&resolver, text, &data)
                .is_ok_and(|r| serde_json::from_str::<Value>(&r.text).is_err())
        };
        if !(breaks(&minimal) && breaks(&rich)) {
            continue;
        }
        let Some(d) = crate::sync::evaluate(pack, node, &rich, &args)
            .diags
            .into_iter()
            .find(|d| d.code == sync_rules::NOT_JSON.code)
        else {
            continue;
        };
        let Some(span) = d.span else { continue };
        let detail = d.message.rsplit_once("JSON: ").map_or(d.message.as_str(), |(_, e)| e);
        let mut out = Diagnostic::new(
            &rules::SYNC_TEMPLATE_NEVER_JSON,
            span,
            format!(
                "{} `{}` cannot render valid JSON for any element: a minimal and a rich sample both fail ({detail})",
                node.kind.singular(),
                node.id.value
            ),
        )
        .label("the rendered JSON breaks on this line")
        .related(t.template.span, "template used here")
        .help("fix the JSON text of the template (a missing comma or quote, a bracket); `stackpack render` shows the output");
        for n in &d.notes {
            out = out.note(n.clone());
        }
        diags.push(out);
    }
}

/// The external type of the first sync action that uses `node`.
/// The element type each template is used for, by the template node's index: the `type` of the
/// first sync action naming it. One pass over the syncs (a lookup per template would make the
/// check quadratic: every template against every sync).
fn action_types(pack: &Pack) -> std::collections::HashMap<usize, String> {
    let mut out = std::collections::HashMap::new();
    for n in &pack.nodes {
        let Body::Sync(s) = &n.body else { continue };
        for a in s.component_actions.iter().chain(&s.relation_actions) {
            let Some(t) = &a.type_name else { continue };
            // Each template kind on its own, as a template node resolves its own references.
            for kind in [NodeKind::ComponentTemplate, NodeKind::RelationTemplate] {
                if let crate::model::Resolved::Local(i) = pack.resolve(&a.template, &[kind]) {
                    out.entry(i).or_insert_with(|| t.value.clone());
                }
            }
        }
    }
    out
}

fn base(type_name: &str, relation: bool) -> Value {
    let mut e = json!({"externalId": "sample-element", "type": {"name": type_name}, "data": {}});
    if relation {
        e["sourceExternalId"] = json!("sample-source");
        e["targetExternalId"] = json!("sample-target");
    }
    e
}

/// Whether each tag starts inside a JSON string of the template text (raw text between tags is
/// scanned for unescaped `"`; strings end at a line break).
fn in_string(text: &str, tags: &[Tag]) -> Vec<bool> {
    let mut out = Vec::with_capacity(tags.len());
    let mut inside = false;
    let mut pos = 0;
    for t in tags {
        let start = t.range.start.min(text.len());
        if start >= pos {
            let mut escaped = false;
            for c in text.get(pos..start).unwrap_or("").chars() {
                match c {
                    '\\' if inside => escaped = !escaped,
                    '"' if !escaped => {
                        inside = !inside;
                    }
                    '\n' => {
                        inside = false;
                        escaped = false;
                    }
                    _ => escaped = false,
                }
            }
        }
        out.push(inside);
        pos = pos.max(t.range.end.min(text.len()));
    }
    out
}

enum Target {
    /// A path under the element.
    Root(Vec<String>),
    /// A field of the enclosing block's item.
    Item(Vec<String>),
}

struct Frame {
    head: String,
    target: Option<Target>,
    item: Value,
}

fn set(root: &mut Value, path: &[String], leaf: Value) {
    let mut cur = root;
    for (i, seg) in path.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if i + 1 == path.len() {
            let keep =
                m.get(seg).is_some_and(|v| v.is_object() || v.is_array()) && !(leaf.is_array() || leaf.is_object());
            if !keep {
                m.insert(seg.clone(), leaf);
            }
            return;
        }
        cur = m.entry(seg.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// The rich element: `minimal` plus every field the template reads.
fn synthesize(pack: &Pack, param: &str, text: &str, tags: &[Tag], minimal: Value) -> Value {
    let mut root = minimal;
    let urn = pack
        .nodes
        .first()
        .map(|n| pack.urn(n).replace("{{instanceId}}", "1"))
        .unwrap_or_default();
    let strings = in_string(text, tags);
    let mut stack: Vec<Frame> = Vec::new();
    let prefix = format!("{param}.");
    let classify = |p: &str| -> Option<Target> {
        let p = p.trim_start_matches("this.");
        if let Some(rest) = p.strip_prefix(&prefix) {
            return Some(Target::Root(rest.split('.').map(str::to_string).collect()));
        }
        if p.starts_with("../") || p.starts_with('@') || p == "this" || p == "." || p.starts_with(param) {
            return None;
        }
        Some(Target::Item(p.split('.').map(str::to_string).collect()))
    };
    for (tag, &quoted) in tags.iter().zip(&strings) {
        let sample = if quoted { json!("sample") } else { json!(1) };
        match tag.kind {
            TagKind::BlockOpen => {
                let iterates = matches!(tag.head.as_str(), "join" | "each");
                let target = tag
                    .args
                    .first()
                    .filter(|a| a.kind == ArgKind::Path)
                    .and_then(|a| classify(&a.text));
                if !iterates {
                    if let Some(t) = &target {
                        apply(&mut root, &mut stack, t, json!("sample"));
                    }
                }
                stack.push(Frame {
                    head: tag.head.clone(),
                    target: if iterates { target } else { None },
                    item: Value::Object(Map::new()),
                });
            }
            TagKind::BlockClose => {
                let Some(frame) = stack.pop() else { continue };
                if frame.head != tag.head {
                    continue;
                }
                if let Some(t) = frame.target {
                    let item = if frame.item.as_object().is_some_and(Map::is_empty) {
                        json!("sample")
                    } else {
                        frame.item
                    };
                    apply(&mut root, &mut stack, &t, Value::Array(vec![item]));
                }
            }
            TagKind::Expr | TagKind::Raw => {
                let is_get = matches!(tag.head.as_str(), "get" | "getFirstExisting");
                if let Some(t) = classify(&tag.head).filter(|_| tag.args.is_empty()) {
                    apply(&mut root, &mut stack, &t, sample.clone());
                }
                if tag.head == "this" {
                    if let Some(f) = stack.last_mut() {
                        if f.item.as_object().is_some_and(Map::is_empty) {
                            f.item = sample.clone();
                        }
                    }
                }
                for a in &tag.args {
                    let words: Vec<&str> = match a.kind {
                        ArgKind::Path => vec![a.text.as_str()],
                        ArgKind::SubExpr => a
                            .text
                            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                            .collect(),
                        _ => Vec::new(),
                    };
                    for w in words.into_iter().filter(|w| !w.is_empty() && !w.starts_with('"')) {
                        if let Some(t) = classify(w) {
                            let v = if is_get { json!(urn) } else { json!("sample") };
                            // Words of a sub-expression that are helper names are no fields.
                            if a.kind == ArgKind::SubExpr && !w.contains('.') {
                                continue;
                            }
                            apply(&mut root, &mut stack, &t, v);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    root
}

fn apply(root: &mut Value, stack: &mut [Frame], target: &Target, v: Value) {
    match target {
        Target::Root(p) => set(root, p, v),
        Target::Item(p) => {
            if let Some(f) = stack.iter_mut().rev().find(|f| f.target.is_some()) {
                set(&mut f.item, p, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_told_from_bare_positions() {
        let t = r#"{"a": "{{ x }}", "b": {{ y }}, "c": "v{{z}}w"}"#;
        let tags = crate::template::scan(t, &[]).map(|s| s.tags).unwrap_or_default();
        assert_eq!(in_string(t, &tags), vec![true, false, true]);
    }
}
