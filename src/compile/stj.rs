//! Nodes → STJ files (`provisioning/templates/*.stj`), plus the scripts, sync templates and
//! icons they `include`.
//!
//! Shared nodes go to the shared file, instance-scoped nodes to the instance file. Within a file
//! nodes are sorted (kind order of [`NodeKind::ALL`], then short id) and every object that has an
//! `id` gets the next negative id in document order (keys sorted, `_type` first), so ids only
//! change when the definition does. A reference to a node of the same file is written as its
//! negative id; any other reference as `{{ get "<urn>" }}`, unquoted.

use super::json::{self, Handle, J};
use super::{Files, Source};
use crate::archive::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::tree::{Kind, Value};
use crate::model::{Body, Node, NodeKind, Pack, Ref, Resolved, Scope};
use crate::source::{Span, Spanned};
use std::collections::BTreeMap;

/// Characters that cannot appear in a path written inside `{{ include "…" }}`.
pub fn unsafe_in_include(path: &str) -> bool {
    path.chars()
        .any(|c| matches!(c, '"' | '\\' | '{' | '}') || c.is_control())
}

/// Escape every `{{` and `}}` of a Groovy body as `\{{` / `\}}` so that the default
/// (`handlebars`) include mode gives back the original text (reference §5 rule 6: what the real
/// packs prove). Groovy bodies are always included in that mode, for every StackState version:
/// no published pack includes Groovy with `"identity"` inside a JSON string, and nothing public
/// says that output is JSON-escaped (issue 10.1).
///
/// Tags `{{ var }}` whose variable is in `keep` (the node's declared `import-variables`) stay
/// unescaped: the import pass substitutes them, as the Splunk and SolarWinds packs do with
/// `{{instanceName}}`.
pub fn escape_groovy(text: &str, keep: &[&str]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    loop {
        let open = rest.find("{{");
        let close = rest.find("}}");
        let (at, is_open) = match (open, close) {
            (None, None) => break,
            (Some(o), Some(c)) if c < o => (c, false),
            (Some(o), _) => (o, true),
            (None, Some(c)) => (c, false),
        };
        out.push_str(&rest[..at]);
        if is_open {
            if let Some(var) = kept_tag(&rest[at..], keep) {
                out.push_str(&rest[at..at + var]);
                rest = &rest[at + var..];
                continue;
            }
        }
        out.push('\\');
        out.push_str(&rest[at..at + 2]);
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// The length of `{{ var }}` at the start of `s` when `var` is one of `keep`.
fn kept_tag(s: &str, keep: &[&str]) -> Option<usize> {
    let inner = s.strip_prefix("{{")?;
    let end = inner.find("}}")?;
    let var = inner[..end].trim();
    (keep.contains(&var) && !inner[..end].contains('{')).then_some(end + 4)
}

fn node_handle(i: usize) -> Handle {
    Handle(format!("n{i}"))
}
fn nested(i: usize, what: &str) -> Handle {
    Handle(format!("n{i}/{what}"))
}
fn ext_handle(i: usize) -> Handle {
    nested(i, "extTopology")
}

/// The two STJ files and the node indices that go into each.
pub struct Plan {
    pub shared: Vec<usize>,
    pub instance: Vec<usize>,
}

pub fn plan(pack: &Pack) -> Plan {
    let mut order: Vec<usize> = (0..pack.nodes.len()).collect();
    let kind_pos = |k: NodeKind| NodeKind::ALL.iter().position(|x| *x == k).unwrap_or(usize::MAX);
    order.sort_by(|&a, &b| {
        let (na, nb) = (&pack.nodes[a], &pack.nodes[b]);
        (kind_pos(na.kind), &na.id.value, a).cmp(&(kind_pos(nb.kind), &nb.id.value, b))
    });
    let (shared, instance) = order.into_iter().partition(|&i| pack.nodes[i].scope == Scope::Shared);
    Plan { shared, instance }
}

struct Ctx<'a, 'd> {
    pack: &'a Pack,
    files: &'d mut Files,
    diags: &'d mut Diagnostics,
    /// File names given to sync templates, by node index.
    template_names: BTreeMap<usize, String>,
    /// The node being compiled and how many nested ids its verbatim fields have had.
    current: usize,
    verbatim_ids: usize,
}

/// Compile one STJ file holding `nodes` (indices into `pack.nodes`, in order). `timestamp` is the
/// envelope's ISO-8601 time.
#[allow(clippy::too_many_arguments)]
pub fn compile_file(
    pack: &Pack,
    nodes: &[usize],
    timestamp: &str,
    files: &mut Files,
    diags: &mut Diagnostics,
) -> Option<String> {
    let mut ctx = Ctx {
        pack,
        files,
        diags,
        template_names: template_names(pack),
        current: 0,
        verbatim_ids: 0,
    };
    let mut list = Vec::new();
    for &i in nodes {
        list.push(ctx.node(i));
    }
    let mut doc = J::obj(vec![
        ("nodes", J::Arr(list)),
        ("timestamp", J::str(timestamp)),
        ("version", J::str("0.1")),
    ]);
    json::sort_keys(&mut doc);
    let mut ids = BTreeMap::new();
    json::assign_ids(&doc, &mut 1, &mut ids);
    match json::emit(&doc, &ids) {
        Ok(text) => Some(text),
        // Every reference the compiler emits as a handle points at a node of the same file, and
        // dangling ones are reported when the reference is resolved; report defensively anyway.
        Err(json::DanglingRef(h)) => {
            ctx.diags.push(Diagnostic::at_path(
                &rules::UNRESOLVED_REFERENCE,
                pack.root.display().to_string(),
                format!("internal: reference `{}` has no target in its STJ file", h.0),
            ));
            None
        }
    }
}

/// `provisioning/templates/<id>.json.handlebars`; when a component template and a relation
/// template share an id, `<id>.component.json.handlebars` / `<id>.relation.json.handlebars`.
fn template_names(pack: &Pack) -> BTreeMap<usize, String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &pack.nodes {
        if matches!(n.body, Body::Template(_)) {
            *count.entry(n.id.value.as_str()).or_default() += 1;
        }
    }
    let mut out = BTreeMap::new();
    for (i, n) in pack.nodes.iter().enumerate() {
        if matches!(n.body, Body::Template(_)) {
            let name = if count.get(n.id.value.as_str()).copied().unwrap_or(0) > 1 {
                let k = if n.kind == NodeKind::RelationTemplate {
                    "relation"
                } else {
                    "component"
                };
                format!("{}.{k}.json.handlebars", n.id.value)
            } else {
                format!("{}.json.handlebars", n.id.value)
            };
            out.insert(i, name);
        }
    }
    out
}

impl Ctx<'_, '_> {
    fn node(&mut self, i: usize) -> J {
        let pack = self.pack;
        let node = &pack.nodes[i];
        let mut f: Vec<(&str, J)> = Vec::new();
        if let Some(t) = node.kind.stj_type() {
            f.push(("_type", J::str(t)));
        }
        f.push(("id", J::Id(node_handle(i))));
        f.push(("identifier", J::str(pack.urn(node))));
        if node.kind != NodeKind::Stj {
            f.push(("name", J::str(&node.name.value)));
        }
        if let Some(d) = &node.description {
            f.push(("description", J::str(&d.value)));
        }
        match &node.body {
            Body::ComponentType { icon } => {
                if let Some(icon) = icon {
                    if let Some(inc) = self.icon(icon) {
                        f.push(("iconbase64", inc));
                    }
                }
            }
            Body::RelationType { direction } => f.push(("dependencyDirection", J::str(direction.value.stj()))),
            Body::Ordered { order } => {
                if let Some(o) = order {
                    f.push(("order", J::Float(o.value)));
                }
            }
            Body::Script(s) => {
                let param = param(nested(i, "param"), &s.parameter.value, "STRUCT_TYPE", true, false, true);
                f.push(("parameters", J::Arr(vec![param])));
                let key = if node.kind == NodeKind::IdExtractor {
                    "groovyScript"
                } else {
                    "script"
                };
                if let Some(inc) = self.script(&s.script, &s.import_variables) {
                    f.push((key, inc));
                }
            }
            Body::Template(t) => {
                let param = param(
                    nested(i, "param"),
                    &t.parameter.value,
                    "STRUCT_TYPE",
                    true,
                    false,
                    t.system,
                );
                f.push(("parameters", J::Arr(vec![param])));
                if let Some(inc) = self.template(i, &t.template) {
                    f.push(("handlebarsTemplate", inc));
                }
            }
            Body::CheckFunction(c) => {
                let params = c
                    .parameters
                    .iter()
                    .enumerate()
                    .map(|(k, p)| {
                        param(
                            nested(i, &format!("param{k}")),
                            &p.name.value,
                            p.ty.value.stj(),
                            p.required,
                            p.multiple,
                            false,
                        )
                    })
                    .collect();
                f.push(("parameters", J::Arr(params)));
                f.push((
                    "returnTypes",
                    J::Arr(c.returns.iter().map(|r| J::str(r.value.stj())).collect()),
                ));
                if let Some(inc) = self.script(&c.script, &c.import_variables) {
                    f.push(("script", inc));
                }
            }
            Body::DataSource(ds) => {
                f.push(("pluginId", J::str("Sts")));
                f.push(("uiRequestTimeout", J::Int(ds.ui_request_timeout_ms)));
                f.push((
                    "config",
                    J::obj(vec![
                        ("_type", J::str("Sts.StsTopologyDataSourceConfig")),
                        ("id", J::Id(nested(i, "config"))),
                        ("topic", J::str(&ds.topic.value)),
                        ("integrationType", J::str(&ds.integration_type.value)),
                        ("supportedDataTypes", J::Arr(vec![J::str("TOPOLOGY_ELEMENTS")])),
                        ("supportedWindowingMethods", J::Arr(vec![])),
                        ("autoExpireElements", J::Bool(ds.auto_expire_elements)),
                        ("expireElementsAfter", J::Int(ds.expire_elements_after_ms)),
                    ]),
                ));
                f.push((
                    "extTopology",
                    J::obj(vec![
                        ("_type", J::str("ExtTopology")),
                        ("id", J::Id(ext_handle(i))),
                        ("dataSource", J::Ref(node_handle(i))),
                        (
                            "settings",
                            J::obj(vec![
                                ("_type", J::str("TopologySyncSettings")),
                                ("id", J::Id(nested(i, "settings"))),
                                ("cleanupExpiredElements", J::Bool(ds.cleanup_expired_elements)),
                                ("cleanupInterval", J::Int(ds.cleanup_interval_ms)),
                                ("maxBatchSize", J::Int(ds.max_batch_size)),
                                ("maxBatchesPerSecond", J::Int(ds.max_batches_per_second)),
                            ]),
                        ),
                    ]),
                ));
            }
            Body::Sync(s) => {
                let ext = self.ext_topology(node, &s.data_source);
                f.push(("extTopology", ext));
                let cid = self.reference(node, &s.component_id_extractor, &[NodeKind::IdExtractor]);
                let rid = self.reference(node, &s.relation_id_extractor, &[NodeKind::IdExtractor]);
                f.push((
                    "topologyDataQuery",
                    J::obj(vec![
                        ("_type", J::str("Sts.StsTopologyElementsQuery")),
                        ("id", J::Id(nested(i, "query"))),
                        ("componentIdExtractorFunction", cid),
                        ("relationIdExtractorFunction", rid),
                        ("consumerOffsetStartAtEarliest", J::Bool(false)),
                    ]),
                ));
                let mut actions = |list: &[crate::model::Action], component: bool, tag: &str| -> J {
                    J::Arr(
                        list.iter()
                            .enumerate()
                            .map(|(k, a)| self.action(i, node, a, component, &format!("{tag}{k}")))
                            .collect(),
                    )
                };
                let ca = actions(&s.component_actions, true, "ca");
                let ra = actions(&s.relation_actions, false, "ra");
                f.push(("componentActions", ca));
                f.push(("relationActions", ra));
                if let Some(a) = &s.default_component_action {
                    let j = self.action(i, node, a, true, "dca");
                    f.push(("defaultComponentAction", j));
                }
                if let Some(a) = &s.default_relation_action {
                    let j = self.action(i, node, a, false, "dra");
                    f.push(("defaultRelationAction", j));
                }
            }
            Body::View(v) => {
                f.push(("query", J::str(&v.query.value)));
                f.push(("queryVersion", J::str("0.0.1")));
                f.push(("groupingEnabled", J::Bool(v.grouping.enabled)));
                f.push(("groupedByLayers", J::Bool(v.grouping.by_layers)));
                f.push(("groupedByDomains", J::Bool(v.grouping.by_domains)));
                f.push(("groupedByRelations", J::Bool(v.grouping.by_relations)));
                if let Some(auto) = &v.grouping.auto {
                    f.push(("autoGrouping", J::Bool(auto.value)));
                }
                f.push(("minimumGroupSize", J::Int(v.grouping.minimum_group_size)));
                f.push(("showIndirectRelations", J::Bool(v.show_indirect_relations)));
                if let Some(h) = &v.health {
                    let function = self.reference(node, &h.function, &[NodeKind::Stj]);
                    let fn_urn = self.target_urn(&h.function, &[NodeKind::Stj]);
                    let args = h
                        .arguments
                        .iter()
                        .enumerate()
                        .map(|(k, (name, value))| {
                            let parameter = match &fn_urn {
                                Some(urn) => {
                                    self.get_expr(urn, Some(&format!("Type=Parameter;Name={}", name.value)), name.span)
                                }
                                None => J::Null,
                            };
                            J::obj(vec![
                                ("_type", J::str("ArgumentLongVal")),
                                ("id", J::Id(nested(i, &format!("vhArg{k}")))),
                                ("parameter", parameter),
                                ("value", J::Int(value.value)),
                            ])
                        })
                        .collect();
                    f.push((
                        "viewHealthStateConfiguration",
                        J::obj(vec![
                            ("_type", J::str("ViewHealthStateConfiguration")),
                            ("id", J::Id(nested(i, "vh"))),
                            ("enabled", J::Bool(true)),
                            ("function", function),
                            ("arguments", J::Arr(args)),
                        ]),
                    ));
                }
            }
            Body::Stj { stj_type, fields } => {
                self.current = i;
                self.verbatim_ids = 0;
                f.push(("_type", J::str(&stj_type.value)));
                let mut extra = Vec::new();
                if let Some(m) = fields.as_map() {
                    for (k, v) in &m.entries {
                        // The compiler owns `id` (negative ids are assigned per file); `_type` is
                        // the node's `type`. An explicit `identifier` field wins over the URN.
                        if k.value == "id" || k.value == "_type" {
                            continue;
                        }
                        let j = self.verbatim(node, v);
                        extra.push((k.value.clone(), j));
                    }
                }
                let mut obj: Vec<(String, J)> = extra;
                for (k, v) in f {
                    if !obj.iter().any(|(ok, _)| ok == k) {
                        obj.push((k.to_string(), v));
                    }
                }
                return J::Obj(obj);
            }
        }
        J::obj(f)
    }

    fn action(&mut self, i: usize, node: &Node, a: &crate::model::Action, component: bool, tag: &str) -> J {
        let (ty, tmpl_kind, map_kind, default) = if component {
            (
                "SyncActionCreateComponent",
                NodeKind::ComponentTemplate,
                NodeKind::ComponentMapping,
                "default_component_mapping",
            )
        } else {
            (
                "SyncActionCreateRelation",
                NodeKind::RelationTemplate,
                NodeKind::RelationMapping,
                "default_relation_mapping",
            )
        };
        let mut f = vec![
            ("_type", J::str(ty)),
            ("id", J::Id(nested(i, tag))),
            (
                "type",
                J::str(a.type_name.as_ref().map(|t| t.value.as_str()).unwrap_or(default)),
            ),
            ("templateFunction", self.reference(node, &a.template, &[tmpl_kind])),
            ("mergeStrategy", J::str(&a.merge_strategy.value)),
        ];
        if let Some(m) = &a.mapping {
            f.push(("mappingFunction", self.reference(node, m, &[map_kind])));
        }
        J::obj(f)
    }

    /// The `{{ get "<urn>" [selector] }}` expression, after checking the URN can be written there.
    fn get_expr(&mut self, urn: &str, selector: Option<&str>, span: Span) -> J {
        if urn.contains(['"', '\\']) || urn.contains("{{") || urn.contains("}}") {
            self.diags.push(
                Diagnostic::new(
                    &rules::UNSAFE_URN,
                    span,
                    format!("`{urn}` cannot be written inside `{{{{ get \"…\" }}}}`"),
                )
                .label("referenced from another STJ file")
                .help("give the target an identifier without quotes, backslashes or `{{ … }}`, or move both nodes into the same scope"),
            );
            return J::Null;
        }
        match selector {
            Some(s) => J::Raw(format!("{{{{ get \"{urn}\" \"{s}\" }}}}")),
            None => J::Raw(format!("{{{{ get \"{urn}\" }}}}")),
        }
    }

    fn target_urn(&mut self, r: &Ref, kinds: &[NodeKind]) -> Option<String> {
        let resolved = self.pack.resolve(r, kinds);
        self.pack.target_urn(&resolved)
    }

    /// A reference from `from` to a node of one of `kinds`.
    fn reference(&mut self, from: &Node, r: &Ref, kinds: &[NodeKind]) -> J {
        let pack = self.pack;
        match pack.resolve(r, kinds) {
            Resolved::Local(t) => {
                let target = &pack.nodes[t];
                if target.scope == from.scope {
                    J::Ref(node_handle(t))
                } else if from.scope == Scope::Shared {
                    self.diags.push(
                        Diagnostic::new(
                            &rules::CROSS_FILE_REFERENCE,
                            r.raw.span,
                            format!(
                                "shared {} `{}` refers to instance-scoped {} `{}`",
                                from.kind, from.id.value, target.kind, target.id.value
                            ),
                        )
                        .label("the shared file is imported before any instance exists")
                        .related(target.id.span, "declared with `scope: instance` here")
                        .help("make the referring node instance-scoped too, or the target shared"),
                    );
                    J::Null
                } else {
                    let urn = pack.urn(target);
                    self.get_expr(&urn, None, r.raw.span)
                }
            }
            Resolved::Dependency { urn, .. } => self.get_expr(&urn, None, r.raw.span),
            other => {
                self.unresolved(r, kinds, &other);
                J::Null
            }
        }
    }

    fn unresolved(&mut self, r: &Ref, kinds: &[NodeKind], how: &Resolved) {
        let expected = kinds.iter().map(|k| k.singular()).collect::<Vec<_>>().join(" or ");
        let d = match how {
            Resolved::WrongKind(t) => {
                let target = &self.pack.nodes[*t];
                Diagnostic::new(
                    &rules::UNRESOLVED_REFERENCE,
                    r.raw.span,
                    format!(
                        "`{}` is {} {}, expected {} {expected}",
                        r.raw.value,
                        article(target.kind.singular()),
                        target.kind,
                        article(&expected)
                    ),
                )
                .related(target.id.span, "declared here")
                .help(format!("name {} {expected} here", article(&expected)))
            }
            Resolved::UndeclaredDependency { pack, .. } => Diagnostic::new(
                &rules::UNRESOLVED_REFERENCE,
                r.raw.span,
                format!("`{}` belongs to pack `{pack}`, which is not a dependency", r.raw.value),
            )
            .help(format!(
                "declare it in the manifest: `[dependencies] {pack} = \"<version>\"`"
            )),
            _ => Diagnostic::new(
                &rules::UNRESOLVED_REFERENCE,
                r.raw.span,
                format!("no {expected} `{}` in this pack", r.raw.value),
            )
            .label("unknown reference")
            .help(format!(
                "declare {} {expected} with this id, or write the full URN of a dependency's node",
                article(&expected)
            )),
        };
        self.diags.push(d);
    }

    /// A sync's `extTopology`: the data source's nested ExtTopology, which has no URN of its own,
    /// so the data source must be in the same file.
    fn ext_topology(&mut self, from: &Node, r: &Ref) -> J {
        let pack = self.pack;
        match pack.resolve(r, &[NodeKind::DataSource]) {
            Resolved::Local(t) if pack.nodes[t].kind == NodeKind::DataSource && pack.nodes[t].scope == from.scope => {
                J::Ref(ext_handle(t))
            }
            Resolved::Local(t) if pack.nodes[t].kind == NodeKind::DataSource => {
                let target = &pack.nodes[t];
                self.diags.push(
                    Diagnostic::new(
                        &rules::CROSS_FILE_REFERENCE,
                        r.raw.span,
                        format!(
                            "sync `{}` and its data source `{}` are in different scopes",
                            from.id.value, target.id.value
                        ),
                    )
                    .label("the sync points at the data source's nested ExtTopology, which has no URN")
                    .related(target.id.span, "data source declared here")
                    .help("give the sync and its data source the same `scope`"),
                );
                J::Null
            }
            Resolved::Local(_) | Resolved::Dependency { .. } => {
                self.diags.push(
                    Diagnostic::new(
                        &rules::CROSS_FILE_REFERENCE,
                        r.raw.span,
                        format!("sync `{}` must use a data source declared in this pack", from.id.value),
                    )
                    .label("not a `data-sources` node of this pack")
                    .help("declare the data source in this pack, in the sync's scope"),
                );
                J::Null
            }
            other => {
                self.unresolved(r, &[NodeKind::DataSource], &other);
                J::Null
            }
        }
    }

    /// `{{ include "./scripts/<path>" }}` (default mode), registering the escaped copy.
    fn script(&mut self, path: &Spanned<String>, import_variables: &[Spanned<String>]) -> Option<J> {
        let rel = strip_dir(&path.value, "scripts/");
        if !self.safe_path(path, &rel) {
            return None;
        }
        let text = match self.pack.text(&path.value) {
            Some((_, t)) => t.to_string(),
            None => return None, // unreadable or missing: reported by the model stage
        };
        let keep: Vec<&str> = import_variables.iter().map(|v| v.value.as_str()).collect();
        let data = escape_groovy(&text, &keep);
        self.files.add(
            format!("provisioning/scripts/{rel}"),
            Source::File(path.value.clone()),
            data.into_bytes(),
            Some(path.span),
            self.diags,
        );
        Some(J::RawStr(format!("{{{{ include \"./scripts/{rel}\" }}}}")))
    }

    fn icon(&mut self, path: &Spanned<String>) -> Option<J> {
        let rel = strip_dir(&path.value, "icons/");
        if !self.safe_path(path, &rel) {
            return None;
        }
        let file = self.pack.files.get(&path.value)?; // missing: reported by the model stage
        let data = match file.bytes() {
            Ok(d) => d,
            Err(e) => {
                self.diags.push(
                    Diagnostic::new(
                        &rules::UNREADABLE,
                        path.span,
                        format!("cannot read icon `{}`: {e}", path.value),
                    )
                    .help("check that the file exists and is readable, then build again"),
                );
                return None;
            }
        };
        self.files.add(
            format!("provisioning/icons/{rel}"),
            Source::File(path.value.clone()),
            data.to_vec(),
            Some(path.span),
            self.diags,
        );
        Some(J::RawStr(format!("{{{{ include \"./icons/{rel}\" \"base64\" }}}}")))
    }

    fn template(&mut self, i: usize, path: &Spanned<String>) -> Option<J> {
        let name = self.template_names.get(&i)?.clone();
        if !self.safe_path(path, &name) {
            return None;
        }
        let (file, text) = self.pack.text(&path.value)?;
        let scanned = match self.pack.template_scan(&path.value)? {
            Ok(s) => s,
            Err(e) => {
                let span = Span::new(file, e.range.start, e.range.end);
                self.diags.push(
                    Diagnostic::new(&rules::SYNC_TEMPLATE, span, e.message.clone())
                        .help("fix the Handlebars syntax; the template is written once, unescaped"),
                );
                return None;
            }
        };
        let pack = self.pack;
        let expand = |target: &str| expand_short_get(pack, target);
        let stj = crate::template::to_stj(text, scanned, &expand);
        self.files.add(
            format!("provisioning/templates/{name}"),
            Source::Generated(format!("sync template of `{}`", pack.nodes[i].id.value)),
            stj.into_bytes(),
            Some(path.span),
            self.diags,
        );
        Some(J::RawStr(format!("{{{{ include \"./templates/{name}\" }}}}")))
    }

    fn safe_path(&mut self, path: &Spanned<String>, rel: &str) -> bool {
        if unsafe_in_include(rel) {
            self.diags.push(
                Diagnostic::new(
                    &rules::UNSAFE_INCLUDE_PATH,
                    path.span,
                    format!("`{}` cannot be written inside an `include` expression", path.value),
                )
                .label("contains `\"`, `\\`, `{`, `}` or a control character")
                .help("rename the file"),
            );
            return false;
        }
        true
    }

    /// A verbatim field value. A string that is exactly one `{{ get "<target>" … }}` expression is
    /// written unquoted: as the target's negative id when it is a node of the same file, as a
    /// `get` with the full URN otherwise (short forms `"<segment>:<id>"` are expanded).
    fn verbatim(&mut self, node: &Node, v: &Value) -> J {
        match &v.kind {
            Kind::Str(s) => match parse_whole_get(s) {
                Some((target, rest)) => self.verbatim_get(node, &target, &rest, v.span),
                None => J::Str(s.clone()),
            },
            Kind::Seq(items) => J::Arr(items.iter().map(|x| self.verbatim(node, x)).collect()),
            // A nested object's `id` is the compiler's too: it gets the next negative id of the
            // file, so it cannot collide with the ids of other nodes (the SolarWinds view's
            // `viewHealthStateConfiguration` kept `-11`, which the file gave another node).
            Kind::Map(m) => J::Obj(
                m.entries
                    .iter()
                    .map(|(k, x)| {
                        let j = if k.value == "id" && matches!(x.kind, Kind::Int(_)) {
                            self.verbatim_ids += 1;
                            J::Id(nested(self.current, &format!("v{}", self.verbatim_ids)))
                        } else {
                            self.verbatim(node, x)
                        };
                        (k.value.clone(), j)
                    })
                    .collect(),
            ),
            _ => json::from_tree(v),
        }
    }

    fn verbatim_get(&mut self, node: &Node, target: &str, rest: &str, span: Span) -> J {
        let pack = self.pack;
        let urn = if target.starts_with("urn:") {
            target.to_string()
        } else {
            match expand_short_get(pack, target) {
                Some(u) => u,
                None => {
                    self.diags.push(
                        Diagnostic::new(
                            &rules::UNRESOLVED_REFERENCE,
                            span,
                            format!("`{target}` names no node of this pack"),
                        )
                        .help("write `<urn-segment>:<id>` of a node of this pack, or a full URN"),
                    );
                    return J::Null;
                }
            }
        };
        let local = pack.index.by_urn(&urn);
        if rest.is_empty() {
            if let Some(t) = local {
                if pack.nodes[t].scope == node.scope {
                    return J::Ref(node_handle(t));
                }
            }
        }
        if let Some(t) = local {
            if node.scope == Scope::Shared && pack.nodes[t].scope == Scope::Instance {
                self.diags.push(
                    Diagnostic::new(
                        &rules::CROSS_FILE_REFERENCE,
                        span,
                        format!("shared node `{}` refers to instance-scoped `{urn}`", node.id.value),
                    )
                    .help("make the referring node instance-scoped too, or the target shared"),
                );
                return J::Null;
            }
        }
        if urn.contains(['"', '\\']) || urn.contains("{{") {
            return self.get_expr(&urn, None, span);
        }
        if rest.is_empty() {
            J::Raw(format!("{{{{ get \"{urn}\" }}}}"))
        } else {
            J::Raw(format!("{{{{ get \"{urn}\" {rest} }}}}"))
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `scripts/a/b.groovy` → `a/b.groovy`; other paths are kept whole.
pub fn strip_dir(path: &str, dir: &str) -> String {
    path.strip_prefix(dir).unwrap_or(path).to_string()
}

/// Expand a `get` shorthand `"<urn-segment>:<id>"` to the URN of the pack's node, if one matches.
pub fn expand_short_get(pack: &Pack, target: &str) -> Option<String> {
    if target.starts_with("urn:") {
        return None;
    }
    let name = &pack.manifest.name.value;
    let shared = format!("urn:stackpack:{name}:shared:{target}");
    if pack.index.by_urn(&shared).is_some() {
        return Some(shared);
    }
    let instance = format!("urn:stackpack:{name}:instance:{{{{instanceId}}}}:{target}");
    if pack.index.by_urn(&instance).is_some() {
        return Some(instance);
    }
    None
}

/// `{{ get "X" rest… }}` (the whole string) → `(X, rest)`.
fn parse_whole_get(s: &str) -> Option<(String, String)> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let after = inner.strip_prefix("get")?;
    if !after.starts_with(char::is_whitespace) {
        return None;
    }
    let after = after.trim_start().strip_prefix('"')?;
    let end = after.find('"')?;
    let target = &after[..end];
    let rest = after[end + 1..].trim();
    if inner.contains("{{") || rest.contains("}}") {
        return None;
    }
    Some((target.to_string(), rest.to_string()))
}

fn param(h: Handle, name: &str, ty: &str, required: bool, multiple: bool, system: bool) -> J {
    J::obj(vec![
        ("_type", J::str("Parameter")),
        ("id", J::Id(h)),
        ("name", J::str(name)),
        ("type", J::str(ty)),
        ("required", J::Bool(required)),
        ("multiple", J::Bool(multiple)),
        ("system", J::Bool(system)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_get_strings() {
        assert_eq!(
            parse_whole_get("{{ get \"urn:a\" }}"),
            Some(("urn:a".to_string(), String::new()))
        );
        assert_eq!(
            parse_whole_get(" {{get \"x:y\" \"Type=Parameter;Name=p\"}} "),
            Some(("x:y".to_string(), "\"Type=Parameter;Name=p\"".to_string()))
        );
        assert_eq!(parse_whole_get("a {{ get \"urn:a\" }}"), None);
        assert_eq!(parse_whole_get("{{ getter \"urn:a\" }}"), None);
    }

    #[test]
    fn groovy_escaping_and_paths() {
        assert_eq!(escape_groovy("a {{ b }} c", &[]), "a \\{{ b \\}} c");
        assert_eq!(escape_groovy("x }}} {{{ y", &[]), "x \\}}} \\{{{ y");
        assert_eq!(
            escape_groovy("'{{instanceName}}' + {{ other }} { [a: [b: 1]]}}", &["instanceName"]),
            "'{{instanceName}}' + \\{{ other \\}} { [a: [b: 1]]\\}}"
        );
        assert!(unsafe_in_include("a\"b"));
        assert!(unsafe_in_include("a{b"));
        assert!(!unsafe_in_include("SAP health state check.groovy"));
        assert_eq!(strip_dir("scripts/x/y.groovy", "scripts/"), "x/y.groovy");
        assert_eq!(strip_dir("other/y.groovy", "scripts/"), "other/y.groovy");
    }
}
