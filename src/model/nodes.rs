//! Node files → [`Node`]s.

use super::manifest::pack_path;
use super::*;
use crate::diag::{did_you_mean, Diagnostic};
use crate::load::rules;
use crate::load::tree::{Fields, Kind, Value};

/// Short ids: lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
}

pub(crate) fn lower_file(doc: &Value, out: &mut Vec<Node>, diags: &mut Diagnostics) {
    if matches!(doc.kind, Kind::Null) {
        return; // an empty document
    }
    let Some(map) = doc.as_map() else {
        diags.push(
            Diagnostic::new(
                &rules::WRONG_TYPE,
                doc.span,
                format!("a node file must be a mapping of node kinds, found {}", doc.type_name()),
            )
            .help("start the file with a kind, e.g. `component-types:` followed by a list of nodes"),
        );
        return;
    };
    for (key, list) in &map.entries {
        let Some(kind) = NodeKind::from_key(&key.value) else {
            let mut d = Diagnostic::new(
                &rules::UNKNOWN_KIND,
                key.span,
                format!("unknown node kind `{}`", key.value),
            )
            .label("not a node kind");
            d = match did_you_mean(&key.value, NodeKind::ALL.iter().map(|k| k.key())) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!(
                    "node kinds are: {}",
                    NodeKind::ALL.iter().map(|k| k.key()).collect::<Vec<_>>().join(", ")
                )),
            };
            diags.push(d);
            continue;
        };
        let items = match &list.kind {
            Kind::Seq(items) => items.as_slice(),
            Kind::Null => &[],
            _ => {
                diags.push(
                    Diagnostic::new(
                        &rules::WRONG_TYPE,
                        list.span,
                        format!("`{}` must be a list of nodes, found {}", key.value, list.type_name()),
                    )
                    .help("write each node as a list item starting with `- id: …`"),
                );
                continue;
            }
        };
        for item in items {
            if let Some(node) = lower_node(kind, item, diags) {
                out.push(node);
            }
        }
    }
}

fn lower_node(kind: NodeKind, v: &Value, diags: &mut Diagnostics) -> Option<Node> {
    let mut f = Fields::new(v, format!("a {}", kind.singular()), diags)?;
    let id = f.req_str("id", diags);
    if let Some(id) = &id {
        if !valid_id(&id.value) {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    id.span,
                    format!("id `{}` is not a valid short id", id.value),
                )
                .label("becomes the last segment of the node's URN")
                .help("use lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit"),
            );
        }
    }
    let name = if kind == NodeKind::Stj {
        None
    } else if matches!(kind, NodeKind::ComponentType | NodeKind::RelationType) {
        // For component and relation types the name is the external type name templates match
        // on, which is usually the id itself.
        f.opt_str("name", diags)
    } else {
        f.req_str("name", diags)
    };
    let description = f.opt_str("description", diags);
    let identifier = f.opt_str("identifier", diags);
    let scope = match f.opt_str("scope", diags) {
        None => Scope::Shared,
        Some(s) if s.value == "shared" => Scope::Shared,
        Some(s) if s.value == "instance" => Scope::Instance,
        Some(s) => {
            diags.push(
                Diagnostic::new(&rules::INVALID_VALUE, s.span, format!("unknown scope `{}`", s.value))
                    .help("use `shared` (one node for the pack) or `instance` (one per installed instance)"),
            );
            Scope::Shared
        }
    };
    let body = lower_body(kind, &mut f, diags);
    let span = f.span;
    f.finish(diags);
    let id = id?;
    let body = body?;
    let name = match (name, &body) {
        (Some(n), _) => n,
        (None, Body::Stj { fields, .. }) => match fields.as_map().and_then(|m| m.get("name")) {
            Some(Value {
                kind: Kind::Str(s),
                span,
            }) => Spanned::new(s.clone(), *span),
            _ => id.clone(),
        },
        (None, _) => id.clone(),
    };
    Some(Node {
        kind,
        id,
        name,
        description,
        identifier,
        scope,
        span,
        body,
    })
}

/// A path field that names a text file of the pack (existence is checked when it is read).
fn path_field(f: &mut Fields, key: &'static str, required: bool, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    let raw = if required {
        f.req_str(key, diags)
    } else {
        f.opt_str(key, diags)
    }?;
    pack_path(raw, &BTreeMap::new(), false, diags)
}

fn param_name(f: &mut Fields, default: &str, diags: &mut Diagnostics) -> Spanned<String> {
    f.opt_str("parameter", diags)
        .unwrap_or_else(|| Spanned::new(default.to_string(), f.span))
}

fn reference(f: &mut Fields, key: &'static str, required: bool, diags: &mut Diagnostics) -> Option<Ref> {
    let raw = if required {
        f.req_str(key, diags)
    } else {
        f.opt_str(key, diags)
    }?;
    Some(Ref { raw })
}

fn lower_body(kind: NodeKind, f: &mut Fields, diags: &mut Diagnostics) -> Option<Body> {
    Some(match kind {
        NodeKind::ComponentType => Body::ComponentType {
            icon: path_field(f, "icon", false, diags),
        },
        NodeKind::RelationType => {
            let direction = match f.opt_str("dependency-direction", diags) {
                None => Spanned::new(Direction::OneWay, f.span),
                Some(s) => {
                    let d = match s.value.as_str() {
                        "one-way" => Direction::OneWay,
                        "both" => Direction::Both,
                        "none" => Direction::None,
                        _ => {
                            diags.push(
                                Diagnostic::new(
                                    &rules::INVALID_VALUE,
                                    s.span,
                                    format!("unknown dependency direction `{}`", s.value),
                                )
                                .help("use `one-way` (default), `both` or `none`"),
                            );
                            Direction::OneWay
                        }
                    };
                    Spanned::new(d, s.span)
                }
            };
            Body::RelationType { direction }
        }
        NodeKind::Layer | NodeKind::Domain | NodeKind::Environment => Body::Ordered {
            order: f.opt_f64("order", diags),
        },
        NodeKind::IdExtractor => {
            let script = path_field(f, "script", true, diags);
            let parameter = param_name(f, "topologyElement", diags);
            let import_variables = f.opt_str_list("import-variables", diags);
            Body::Script(ScriptFunction {
                script: script?,
                parameter,
                import_variables,
            })
        }
        NodeKind::ComponentMapping | NodeKind::RelationMapping => {
            let script = path_field(f, "script", true, diags);
            let parameter = param_name(f, "element", diags);
            let import_variables = f.opt_str_list("import-variables", diags);
            Body::Script(ScriptFunction {
                script: script?,
                parameter,
                import_variables,
            })
        }
        NodeKind::ComponentTemplate | NodeKind::RelationTemplate => {
            let template = path_field(f, "template", true, diags);
            let parameter = param_name(f, "element", diags);
            let system = f.opt_bool("system-parameter", diags).map(|b| b.value).unwrap_or(false);
            Body::Template(TemplateFunction {
                template: template?,
                parameter,
                system,
            })
        }
        NodeKind::CheckFunction => {
            let script = path_field(f, "script", true, diags);
            let import_variables = f.opt_str_list("import-variables", diags);
            let mut parameters = Vec::new();
            for p in f.opt_seq("parameters", diags).unwrap_or_default() {
                if let Some(p) = lower_param(p, diags) {
                    parameters.push(p);
                }
            }
            let mut returns = Vec::new();
            for r in f.opt_str_list("returns", diags) {
                let t = match r.value.as_str() {
                    "health-state" => ReturnType::HealthState,
                    "run-state" => ReturnType::RunState,
                    _ => {
                        diags.push(
                            Diagnostic::new(
                                &rules::INVALID_VALUE,
                                r.span,
                                format!("unknown return type `{}`", r.value),
                            )
                            .help("check functions return `health-state` or `run-state`"),
                        );
                        continue;
                    }
                };
                returns.push(Spanned::new(t, r.span));
            }
            Body::CheckFunction(CheckFunction {
                parameters,
                returns,
                script: script?,
                import_variables,
            })
        }
        NodeKind::DataSource => {
            let topic = f.req_str("topic", diags);
            let integration_type = f.req_str("integration-type", diags);
            let int = |f: &mut Fields, key: &'static str, default: i64, diags: &mut Diagnostics| {
                f.opt_i64(key, diags).map(|v| v.value).unwrap_or(default)
            };
            let auto_expire_elements = f
                .opt_bool("auto-expire-elements", diags)
                .map(|b| b.value)
                .unwrap_or(false);
            let expire_elements_after_ms = int(f, "expire-elements-after-ms", 172_800_000, diags);
            let cleanup_expired_elements = f
                .opt_bool("cleanup-expired-elements", diags)
                .map(|b| b.value)
                .unwrap_or(false);
            let cleanup_interval_ms = int(f, "cleanup-interval-ms", 3_600_000, diags);
            let max_batch_size = int(f, "max-batch-size", 200, diags);
            let max_batches_per_second = int(f, "max-batches-per-second", 5, diags);
            let ui_request_timeout_ms = int(f, "ui-request-timeout-ms", 15_000, diags);
            Body::DataSource(DataSource {
                topic: topic?,
                integration_type: integration_type?,
                auto_expire_elements,
                expire_elements_after_ms,
                cleanup_expired_elements,
                cleanup_interval_ms,
                max_batch_size,
                max_batches_per_second,
                ui_request_timeout_ms,
            })
        }
        NodeKind::Sync => {
            let data_source = reference(f, "data-source", true, diags);
            let component_id_extractor = reference(f, "component-id-extractor", true, diags);
            let relation_id_extractor = reference(f, "relation-id-extractor", true, diags);
            let default_component_action = f
                .raw("default-component-action")
                .and_then(|v| lower_action(v, false, diags));
            let default_relation_action = f
                .raw("default-relation-action")
                .and_then(|v| lower_action(v, false, diags));
            let component_actions = f
                .opt_seq("component-actions", diags)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| lower_action(v, true, diags))
                .collect();
            let relation_actions = f
                .opt_seq("relation-actions", diags)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| lower_action(v, true, diags))
                .collect();
            Body::Sync(Box::new(Sync {
                data_source: data_source?,
                component_id_extractor: component_id_extractor?,
                relation_id_extractor: relation_id_extractor?,
                default_component_action,
                default_relation_action,
                component_actions,
                relation_actions,
            }))
        }
        NodeKind::View => {
            let query = f.req_str("query", diags);
            let mut grouping = Grouping {
                enabled: true,
                by_layers: true,
                by_domains: true,
                by_relations: true,
                auto: None,
                minimum_group_size: 8,
            };
            if let Some((m, span)) = f.opt_map("grouping", diags) {
                let mut g = Fields::from_map(m, span, "view grouping");
                let b = |g: &mut Fields, key: &'static str, d: bool, diags: &mut Diagnostics| {
                    g.opt_bool(key, diags).map(|x| x.value).unwrap_or(d)
                };
                grouping.enabled = b(&mut g, "enabled", true, diags);
                grouping.by_layers = b(&mut g, "by-layers", true, diags);
                grouping.by_domains = b(&mut g, "by-domains", true, diags);
                grouping.by_relations = b(&mut g, "by-relations", true, diags);
                grouping.auto = g.opt_bool("auto", diags);
                grouping.minimum_group_size = g.opt_i64("minimum-group-size", diags).map(|x| x.value).unwrap_or(8);
                g.finish(diags);
            }
            let show_indirect_relations = f
                .opt_bool("show-indirect-relations", diags)
                .map(|b| b.value)
                .unwrap_or(false);
            let health = match f.opt_map("health", diags) {
                Some((m, span)) => {
                    let mut h = Fields::from_map(m, span, "view health");
                    let function = reference(&mut h, "function", true, diags);
                    let mut arguments = Vec::new();
                    if let Some((args, _)) = h.opt_map("arguments", diags) {
                        for (k, v) in &args.entries {
                            match v.kind {
                                Kind::Int(i) => arguments.push((k.clone(), Spanned::new(i, v.span))),
                                _ => diags.push(Diagnostic::new(
                                    &rules::WRONG_TYPE,
                                    v.span,
                                    format!(
                                        "view health argument `{}` must be an integer, found {}",
                                        k.value,
                                        v.type_name()
                                    ),
                                )),
                            }
                        }
                    }
                    h.finish(diags);
                    function.map(|function| ViewHealth {
                        function,
                        arguments,
                        span,
                    })
                }
                None => None,
            };
            Body::View(Box::new(View {
                query: query?,
                grouping,
                show_indirect_relations,
                health,
            }))
        }
        NodeKind::Stj => {
            let stj_type = f.req_str("type", diags);
            let fields = match f.raw("fields") {
                Some(v) if v.as_map().is_some() => v.clone(),
                Some(v) => {
                    diags.push(Diagnostic::new(
                        &rules::WRONG_TYPE,
                        v.span,
                        format!("`fields` must be a mapping, found {}", v.type_name()),
                    ));
                    return None;
                }
                None => Value {
                    kind: Kind::Map(Default::default()),
                    span: f.span,
                },
            };
            Body::Stj {
                stj_type: stj_type?,
                fields,
            }
        }
    })
}

fn lower_param(v: &Value, diags: &mut Diagnostics) -> Option<Parameter> {
    let mut p = Fields::new(v, "a function parameter", diags)?;
    let name = p.req_str("name", diags);
    let ty = p
        .req_str("type", diags)
        .and_then(|t| match ParamType::ALL.iter().find(|(n, _)| *n == t.value) {
            Some((_, ty)) => Some(Spanned::new(*ty, t.span)),
            None => {
                let mut d = Diagnostic::new(
                    &rules::INVALID_VALUE,
                    t.span,
                    format!("unknown parameter type `{}`", t.value),
                );
                d = match did_you_mean(&t.value, ParamType::ALL.iter().map(|(n, _)| *n)) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "parameter types are: {}",
                        ParamType::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    )),
                };
                diags.push(d);
                None
            }
        });
    let required = p.opt_bool("required", diags).map(|b| b.value).unwrap_or(true);
    let multiple = p.opt_bool("multiple", diags).map(|b| b.value).unwrap_or(false);
    let span = p.span;
    p.finish(diags);
    Some(Parameter {
        name: name?,
        ty: ty?,
        required,
        multiple,
        span,
    })
}

fn lower_action(v: &Value, typed: bool, diags: &mut Diagnostics) -> Option<Action> {
    let mut a = Fields::new(
        v,
        if typed {
            "a sync action"
        } else {
            "a default sync action"
        },
        diags,
    )?;
    // A default action may name its `type` too: SAP's is `""`, not `default_component_mapping`.
    let type_name = if typed {
        a.req_str("type", diags)
    } else {
        a.opt_str("type", diags)
    };
    let template = reference(&mut a, "template", true, diags);
    let mapping = reference(&mut a, "mapping", false, diags);
    let merge_strategy = a
        .opt_str("merge-strategy", diags)
        .unwrap_or_else(|| Spanned::new("MergePreferTheirs".to_string(), a.span));
    let span = a.span;
    a.finish(diags);
    if typed && type_name.is_none() {
        return None;
    }
    Some(Action {
        type_name,
        template: template?,
        mapping,
        merge_strategy,
        span,
    })
}

/// Read every script and template named by the nodes, once, into the source map.
pub(super) fn read_referenced(
    root: &std::path::Path,
    _canonical_root: &std::path::Path,
    files: &BTreeMap<String, PackFile>,
    nodes: &[Node],
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> BTreeMap<String, FileId> {
    let mut texts = BTreeMap::new();
    for node in nodes {
        let path = match &node.body {
            Body::Script(s) => &s.script,
            Body::Template(t) => &t.template,
            Body::CheckFunction(c) => &c.script,
            Body::ComponentType { icon: Some(icon) } => {
                check_exists(icon, files, diags);
                continue;
            }
            _ => continue,
        };
        if texts.contains_key(&path.value) {
            continue;
        }
        if !check_exists(path, files, diags) {
            continue;
        }
        let Some(file) = files.get(&path.value) else { continue };
        if let Some(id) = crate::load::read_pack_text(sources, root, &path.value, file, diags) {
            texts.insert(path.value.clone(), id);
        }
    }
    texts
}

fn check_exists(path: &Spanned<String>, files: &BTreeMap<String, PackFile>, diags: &mut Diagnostics) -> bool {
    match files.get(&path.value) {
        Some(f) if f.escapes => {
            diags.push(
                Diagnostic::new(
                    &rules::PATH_ESCAPES,
                    path.span,
                    format!("`{}` is a symlink to a file outside the pack", path.value),
                )
                .help("copy the file into the pack"),
            );
            false
        }
        Some(_) => true,
        None => {
            let mut d = Diagnostic::new(
                &rules::FILE_NOT_FOUND,
                path.span,
                format!("file `{}` does not exist in the pack", path.value),
            )
            .label("no such file");
            if let Some(s) = did_you_mean(&path.value, files.keys().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            diags.push(d);
            false
        }
    }
}
