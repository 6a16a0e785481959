//! Which StackState features a pack uses, each with the span of the source value that causes it.
//!
//! Read from the typed model: the STJ `_type` of every node kind and of the nested objects the
//! compiler emits for it, fields whose presence depends on the source (auto-grouping, SVG icons,
//! parameter and return types), the STJ helpers the compiler writes (`include` and its
//! encodings, `get`) and those authors write in sync templates (found with
//! [`crate::template::scan`]), `_type` strings written in templates' JSON, URNs of `common`
//! nodes that only exist from some version on, and the `stackpack.conf` keys the manifest
//! produces.

use crate::model::{Body, Manifest, Pack, ParamType, ReturnType, Scope};
use crate::source::{FileId, Span};
use crate::template::{self, ArgKind, TagKind};

/// How a use names its table row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lookup {
    /// A row key (`helper_include_encoding_identity`): features the compiler or the model imply.
    Key(&'static str),
    /// A node type by its STJ `_type` (written by the author: verbatim nodes, template JSON).
    NodeType(String),
    /// A row of kind `other` named by a `common` URN.
    CommonUrn(String),
}

/// One use of a feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub lookup: Lookup,
    /// The source value that causes the use.
    pub span: Span,
    /// What uses it, for messages ("check function `disk-space`").
    pub by: String,
}

struct Collector {
    uses: Vec<Use>,
}

impl Collector {
    fn key(&mut self, key: &'static str, span: Span, by: impl Into<String>) {
        self.uses.push(Use {
            lookup: Lookup::Key(key),
            span,
            by: by.into(),
        });
    }
    fn node_type(&mut self, name: &str, span: Span, by: impl Into<String>) {
        self.uses.push(Use {
            lookup: Lookup::NodeType(name.to_string()),
            span,
            by: by.into(),
        });
    }
}

/// Every feature `pack` uses.
pub fn collect(pack: &Pack) -> Vec<Use> {
    let mut c = Collector { uses: Vec::new() };
    conf_keys(&pack.manifest, &mut c);
    for node in &pack.nodes {
        let by = format!("{} `{}`", node.kind.singular(), node.id.value);
        if let Some(t) = node.kind.stj_type() {
            c.node_type(t, node.id.span, &by);
        }
        match &node.body {
            Body::ComponentType { icon } => {
                if let Some(icon) = icon {
                    c.key("helper_include", icon.span, &by);
                    c.key("helper_include_encoding_base64", icon.span, &by);
                    if icon.value.to_ascii_lowercase().ends_with(".svg") {
                        c.key("field_component_type_svg_icon", icon.span, &by);
                    }
                }
            }
            Body::RelationType { .. } | Body::Ordered { .. } => {}
            Body::Script(f) => {
                c.key("node_parameter", f.parameter.span, &by);
                c.key("param_type_struct_type", f.parameter.span, &by);
                script_include(&mut c, f.script.span, &by);
            }
            Body::Template(f) => {
                c.key("node_parameter", f.parameter.span, &by);
                c.key("param_type_struct_type", f.parameter.span, &by);
                // Template bodies are included in the default mode: they hold import-time tags.
                c.key("helper_include", f.template.span, &by);
                if let (Some((file, text)), Some(Ok(scanned))) =
                    (pack.text(&f.template.value), pack.template_scan(&f.template.value))
                {
                    template_uses(&mut c, file, text, scanned, &by);
                }
            }
            Body::CheckFunction(f) => {
                for p in &f.parameters {
                    c.key("node_parameter", p.name.span, &by);
                    c.key(param_key(p.ty.value), p.ty.span, &by);
                }
                for r in &f.returns {
                    let key = match r.value {
                        ReturnType::HealthState => "check_return_health_state",
                        ReturnType::RunState => "check_return_run_state",
                    };
                    c.key(key, r.span, &by);
                }
                script_include(&mut c, f.script.span, &by);
            }
            Body::DataSource(_) => {
                c.key("node_sts_topology_data_source_config", node.id.span, &by);
                c.key("node_ext_topology", node.id.span, &by);
                c.key("node_topology_sync_settings", node.id.span, &by);
            }
            Body::Sync(s) => {
                c.key("node_sts_topology_elements_query", s.data_source.raw.span, &by);
                let defaults = s.default_component_action.iter().chain(&s.component_actions);
                for a in defaults {
                    c.key("node_sync_action_create_component", a.span, &by);
                }
                for a in s.default_relation_action.iter().chain(&s.relation_actions) {
                    c.key("node_sync_action_create_relation", a.span, &by);
                }
                for r in [&s.data_source, &s.component_id_extractor, &s.relation_id_extractor] {
                    reference(&mut c, pack, node.scope, &r.raw.value, r.raw.span, &by);
                }
                for a in s
                    .default_component_action
                    .iter()
                    .chain(&s.component_actions)
                    .chain(s.default_relation_action.iter())
                    .chain(&s.relation_actions)
                {
                    reference(
                        &mut c,
                        pack,
                        node.scope,
                        &a.template.raw.value,
                        a.template.raw.span,
                        &by,
                    );
                    if let Some(m) = &a.mapping {
                        reference(&mut c, pack, node.scope, &m.raw.value, m.raw.span, &by);
                    }
                }
            }
            Body::View(v) => {
                if let Some(auto) = &v.grouping.auto {
                    c.key("field_query_view_auto_grouping", auto.span, &by);
                }
                if let Some(h) = &v.health {
                    c.key("node_view_health_state_configuration", h.span, &by);
                    for (name, _) in &h.arguments {
                        c.key("node_argument_long_val", name.span, &by);
                    }
                    reference(
                        &mut c,
                        pack,
                        node.scope,
                        &h.function.raw.value,
                        h.function.raw.span,
                        &by,
                    );
                }
            }
            Body::Stj { stj_type, fields } => {
                c.node_type(&stj_type.value, stj_type.span, &by);
                verbatim_fields(&mut c, &stj_type.value, fields, &by);
            }
        }
    }
    c.uses
}

fn param_key(t: ParamType) -> &'static str {
    match t {
        ParamType::MetricStream => "param_type_metric_stream",
        ParamType::EventStream => "param_type_event_stream",
        ParamType::StructType => "param_type_struct_type",
        ParamType::RunStateValue => "param_type_run_state_value",
        ParamType::String => "param_type_string",
        ParamType::Double => "param_type_double",
        ParamType::ScriptMetricQuery => "param_type_script_metric_query",
    }
}

/// Groovy bodies are always included in the default (handlebars) mode, the form every published
/// pack uses: `"identity"` inside a JSON string is unproven (issue 10.1), so the compiler never
/// emits it and the pack never needs its version.
fn script_include(c: &mut Collector, span: Span, by: &str) {
    c.key("helper_include", span, by);
}

/// A reference to another node: a `get` when it crosses an import (a dependency's node, or a
/// shared node from an instance node), and a versioned `common` URN when it names one.
fn reference(c: &mut Collector, pack: &Pack, scope: Scope, raw: &str, span: Span, by: &str) {
    if raw.starts_with("urn:") {
        let own = format!("urn:stackpack:{}:", pack.manifest.name.value);
        if !raw.starts_with(&own) || scope == Scope::Instance {
            c.key("helper_get", span, by);
        }
        common_urn(c, raw, span, by);
    } else if scope == Scope::Instance {
        // A short id from an instance node may point at a shared node of the other import.
        c.key("helper_get", span, by);
    }
}

fn common_urn(c: &mut Collector, urn: &str, span: Span, by: &str) {
    if urn.starts_with("urn:stackpack:common:") {
        c.uses.push(Use {
            lookup: Lookup::CommonUrn(urn.to_string()),
            span,
            by: by.to_string(),
        });
    }
}

/// Helpers, sub-expressions, `_type` strings, common URNs and aggregation methods in a sync
/// template (author form).
fn template_uses(c: &mut Collector, file: FileId, text: &str, scanned: &template::Scanned, by: &str) {
    for tag in &scanned.tags {
        let span = Span::new(file, tag.range.start, tag.range.end);
        if matches!(
            tag.kind,
            TagKind::Comment | TagKind::BlockClose | TagKind::Else | TagKind::Partial
        ) {
            continue;
        }
        let has_args = !tag.args.is_empty();
        if tag.kind == TagKind::BlockOpen || has_args {
            helper(c, &tag.head, tag, span, by);
        }
        for a in &tag.args {
            if a.kind == ArgKind::SubExpr {
                for name in subexpr_heads(&a.text) {
                    let s = Span::new(file, a.range.start, a.range.end);
                    if let Some(key) = helper_key(name) {
                        c.key(key, s, by);
                    }
                }
            }
            if a.kind == ArgKind::String {
                common_urn(c, &a.text, Span::new(file, a.range.start, a.range.end), by);
            }
        }
    }
    // `"_type": "X"` in the JSON the template produces.
    for (name, range) in json_types(text) {
        c.node_type(name, Span::new(file, range.start, range.end), by);
    }
    for (needle, key) in [
        ("SUM_NO_ZEROS", "agg_methods_no_zeros"),
        ("EVENT_COUNT_NO_ZEROS", "agg_methods_no_zeros"),
    ] {
        let mut from = 0;
        while let Some(i) = text.get(from..).and_then(|t| t.find(needle)) {
            let start = from + i;
            // `SUM_NO_ZEROS` inside `EVENT_COUNT_NO_ZEROS` is the same feature; count it once.
            let inside_longer = needle == "SUM_NO_ZEROS" && text[..start].ends_with("EVENT_COUNT_");
            if !inside_longer {
                c.key(key, Span::new(file, start, start + needle.len()), by);
            }
            from = start + needle.len();
        }
    }
}

fn helper(c: &mut Collector, head: &str, tag: &template::Tag, span: Span, by: &str) {
    match head {
        "getOrCreate" => {
            // The documented form starts with a URN (often built by a sub-expression); the
            // by-name form `getOrCreate "ComponentType" name "default"` is unspecified.
            let by_name = tag
                .args
                .first()
                .is_some_and(|a| a.kind == ArgKind::String && !a.text.starts_with("urn:"));
            c.key(
                if by_name {
                    "helper_get_or_create_by_name"
                } else {
                    "helper_get_or_create"
                },
                span,
                by,
            );
        }
        "include" => {
            c.key("helper_include", span, by);
            match tag.args.get(1).map(|a| a.text.as_str()) {
                Some("identity") => c.key("helper_include_encoding_identity", span, by),
                Some("base64") => c.key("helper_include_encoding_base64", span, by),
                Some("handlebars") => c.key("helper_include_encoding_handlebars", span, by),
                _ => {}
            }
        }
        other => {
            if let Some(key) = helper_key(other) {
                c.key(key, span, by);
            }
        }
    }
}

/// Table key of a helper by name (helpers with one form only).
fn helper_key(name: &str) -> Option<&'static str> {
    Some(match name {
        "get" => "helper_get",
        "getOrCreate" => "helper_get_or_create",
        "identifier" => "helper_identifier",
        "concat" => "helper_concat",
        "include" => "helper_include",
        "join" => "helper_join",
        "add" => "helper_add",
        "getFirstExisting" => "helper_get_first_existing",
        "resolve" => "helper_resolve",
        "resolveOrCreate" => "helper_resolve_or_create",
        "if" => "helper_if_else",
        "each" => "helper_each",
        _ => return None,
    })
}

/// The helper names of a sub-expression and the ones nested in it: `(concat "a" (identifier …))`.
fn subexpr_heads(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_str = false;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => in_str = !in_str,
            b'(' if !in_str => {
                let rest = &text[i + 1..];
                let rest_trim = rest.trim_start();
                let skipped = rest.len() - rest_trim.len();
                let end = rest_trim
                    .find(|ch: char| ch.is_whitespace() || ch == ')' || ch == '(')
                    .unwrap_or(rest_trim.len());
                if end > 0 {
                    out.push(&text[i + 1 + skipped..i + 1 + skipped + end]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `"_type" : "Name"` occurrences: the name and the byte range of its string literal.
fn json_types(text: &str) -> Vec<(&str, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let needle = "\"_type\"";
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find(needle)) {
        let after = from + i + needle.len();
        from = after;
        let rest = &text[after..];
        let trimmed = rest.trim_start();
        let Some(rest2) = trimmed.strip_prefix(':') else {
            continue;
        };
        let value = rest2.trim_start();
        let Some(inner) = value.strip_prefix('"') else { continue };
        let Some(close) = inner.find('"') else { continue };
        let start = text.len() - value.len();
        let name = &inner[..close];
        if !name.is_empty() && !name.contains(['{', '\\']) {
            out.push((name, start..start + close + 2));
        }
    }
    out
}

/// Nested `_type`s and versioned fields of a verbatim node.
fn verbatim_fields(c: &mut Collector, stj_type: &str, fields: &crate::load::tree::Value, by: &str) {
    use crate::load::tree::Kind;
    if stj_type == "Monitor" {
        if let Some(m) = fields.as_map() {
            for (k, _) in &m.entries {
                let key = match k.value.as_str() {
                    "status" => "field_monitor_status",
                    "tags" => "field_monitor_tags",
                    "intervalSeconds" => "field_monitor_interval_seconds",
                    _ => continue,
                };
                c.key(key, k.span, by);
            }
        }
    }
    fn walk(c: &mut Collector, v: &crate::load::tree::Value, by: &str) {
        match &v.kind {
            Kind::Map(m) => {
                for (k, val) in &m.entries {
                    if k.value == "_type" {
                        if let Kind::Str(s) = &val.kind {
                            c.node_type(s, val.span, by);
                        }
                    } else {
                        walk(c, val, by);
                    }
                }
            }
            Kind::Seq(items) => items.iter().for_each(|i| walk(c, i, by)),
            Kind::Str(s) if s.starts_with("urn:stackpack:common:") => common_urn(c, s, v.span, by),
            _ => {}
        }
    }
    walk(c, fields, by);
}

/// The `stackpack.conf` keys the compiler writes for this manifest.
fn conf_keys(m: &Manifest, c: &mut Collector) {
    let by = "the manifest";
    let whole = m.span;
    for key in ["conf_name", "conf_version"] {
        c.key(key, m.name.span, by);
    }
    c.key("conf_displayname", m.display_name.span, by);
    c.key("conf_isnew", whole, by);
    c.key("conf_categories", whole, by);
    c.key("conf_provision", whole, by);
    c.key("conf_release_status", m.release_status.span, by);
    c.key("conf_is_multi_config", whole, by);
    c.key("conf_faqs", whole, by);
    c.key("conf_steps", whole, by);
    c.key("conf_configurationurls", whole, by);
    if let Some(l) = &m.logo {
        c.key("conf_logourl", l.span, by);
    }
    if let Some(o) = &m.pages.overview {
        c.key("conf_overviewurl", o.span, by);
    }
    if let Some(o) = &m.pages.detailed_overview {
        c.key("conf_detailedoverviewurl", o.span, by);
    }
    if let Some(o) = &m.pages.upgrade_instructions {
        c.key("conf_upgradeinstructions", o.span, by);
    }
    // RELEASE.md is rendered from the changelog and named by `releaseNotes`.
    c.key("conf_releasenotes", m.changelog.span, by);
    if let Some(d) = m.dependencies.first() {
        c.key("conf_dependencies", d.name.span, by);
    }
    if let Some(u) = &m.docs_url {
        c.key("conf_docs_url", u.span, by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subexpressions_and_json_types() {
        assert_eq!(
            subexpr_heads(r#"(concat "Type=(x" (identifier "a" "B" element.c))"#),
            vec!["concat", "identifier"]
        );
        let t = r#"{ "_type" : "ArgumentDoubleVal", "x": {"_type":"Check"}, "_type": "{{ t }}" }"#;
        let found: Vec<&str> = json_types(t).into_iter().map(|(n, _)| n).collect();
        assert_eq!(found, vec!["ArgumentDoubleVal", "Check"]);
        let (_, r) = &json_types(t)[0];
        assert_eq!(&t[r.clone()], "\"ArgumentDoubleVal\"");
    }
}
