//! SP4xx: views — STQL queries parse, and the component types they name exist.

use super::{rules, stql};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::model::{Body, NodeKind, Pack};
use crate::source::{Span, Spanned};

/// Map a byte range inside a string value to a span in its source file: exact when the value
/// is written plain or quoted without escapes on the source (then the text between the quotes
/// is the value), otherwise the whole value.
pub fn value_sub_span(pack: &Pack, value: &Spanned<String>, from: usize, to: usize) -> Span {
    let raw = pack.sources.text(value.span);
    if raw == value.value {
        return value.span.sub(from, to);
    }
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"')) || (raw.starts_with('\'') && raw.ends_with('\'')));
    if quoted && raw.get(1..raw.len() - 1) == Some(value.value.as_str()) {
        return value.span.sub(from + 1, to + 1);
    }
    value.span
}

pub fn check(pack: &Pack, diags: &mut Diagnostics) {
    let type_names: Vec<&str> = pack
        .nodes_of(NodeKind::ComponentType)
        .map(|n| n.name.value.as_str())
        .collect();
    for node in &pack.nodes {
        let Body::View(view) = &node.body else { continue };
        let q = &view.query;
        match stql::parse(&q.value) {
            Err(e) => {
                let rule = if e.unknown_name {
                    &rules::STQL_UNKNOWN_FIELD
                } else {
                    &rules::STQL_SYNTAX
                };
                let span = value_sub_span(pack, q, e.range.start, e.range.end);
                let mut d = Diagnostic::new(rule, span, format!("view `{}`: {}", node.id.value, e.message))
                    .label(if e.unknown_name { "not part of STQL" } else { "here" });
                if let Some(h) = e.help {
                    d = d.help(h);
                }
                diags.push(d);
            }
            Ok(parsed) => {
                for f in parsed
                    .filters
                    .iter()
                    .filter(|f| f.field == "type" || f.field == "componenttype")
                {
                    for (value, range) in &f.values {
                        if value.contains("{{") || value.contains('*') || type_names.contains(&value.as_str()) {
                            continue;
                        }
                        let span = value_sub_span(pack, q, range.start, range.end);
                        let mut d = Diagnostic::new(
                            &rules::STQL_UNKNOWN_COMPONENT_TYPE,
                            span,
                            format!(
                                "view `{}` selects component type `{value}`, which this pack does not define",
                                node.id.value
                            ),
                        )
                        .label("no component type with this name");
                        d = match did_you_mean(value, type_names.iter().copied()) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => {
                                d.help("declare it under `component-types`, or allow SP403 if a dependency defines it")
                            }
                        };
                        diags.push(d.note("component types from dependencies cannot be checked offline"));
                    }
                }
            }
        }
    }
}
