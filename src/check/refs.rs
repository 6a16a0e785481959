//! SP2xx: nodes and references — duplicate ids and URNs, references that resolve to a node of
//! the right kind, function parameters and return types, identifiers.

use super::{is_identifier, rules};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::model::{Body, Node, NodeKind, Pack, ParamType, Ref, Resolved, Scope};
use std::collections::HashMap;

/// `^urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,\-.:=@;$_!*'%/?#]+$` (reference §4.1), checked
/// after replacing import-time `{{…}}` placeholders, which are filled in at import.
pub fn urn_is_valid(urn: &str) -> bool {
    let mut s = String::new();
    let mut rest = urn;
    while let Some(at) = rest.find("{{") {
        s.push_str(&rest[..at]);
        match rest[at..].find("}}") {
            Some(end) => {
                s.push('x');
                rest = &rest[at + end + 2..];
            }
            None => {
                rest = &rest[at..];
                break;
            }
        }
    }
    s.push_str(rest);
    crate::model::resolve::urn_matches_pattern(&s)
}

pub fn check(pack: &Pack, diags: &mut Diagnostics) {
    duplicates(pack, diags);
    let instance_imported = pack.instance_imported();
    for node in &pack.nodes {
        identifier(pack, node, instance_imported, diags);
        match &node.body {
            Body::Sync(sync) => {
                check_ref(pack, &sync.data_source, &[NodeKind::DataSource], "data-source", diags);
                check_ref(
                    pack,
                    &sync.component_id_extractor,
                    &[NodeKind::IdExtractor],
                    "component-id-extractor",
                    diags,
                );
                check_ref(
                    pack,
                    &sync.relation_id_extractor,
                    &[NodeKind::IdExtractor],
                    "relation-id-extractor",
                    diags,
                );
                let component = sync.default_component_action.iter().chain(&sync.component_actions);
                let relation = sync.default_relation_action.iter().chain(&sync.relation_actions);
                for (actions, template, mapping) in [
                    (
                        component.collect::<Vec<_>>(),
                        NodeKind::ComponentTemplate,
                        NodeKind::ComponentMapping,
                    ),
                    (
                        relation.collect::<Vec<_>>(),
                        NodeKind::RelationTemplate,
                        NodeKind::RelationMapping,
                    ),
                ] {
                    for action in actions {
                        check_ref(pack, &action.template, &[template], "template", diags);
                        if let Some(m) = &action.mapping {
                            check_ref(pack, m, &[mapping], "mapping", diags);
                        }
                        if action.merge_strategy.value != "MergePreferTheirs" {
                            diags.push(
                                Diagnostic::new(
                                    &rules::UNUSUAL_MERGE_STRATEGY,
                                    action.merge_strategy.span,
                                    format!("merge strategy `{}` is not used by any known pack", action.merge_strategy.value),
                                )
                                .help("use `MergePreferTheirs` unless you have checked that StackState accepts this one")
                                .note("the reference only documents the four strategies by label; `MergePreferTheirs` is the one real packs use"),
                            );
                        }
                    }
                }
            }
            Body::View(view) => {
                if let Some(h) = &view.health {
                    if let Some(i) = check_ref(pack, &h.function, &[NodeKind::Stj], "function", diags) {
                        if let Some(Node {
                            body: Body::Stj { stj_type, .. },
                            ..
                        }) = pack.nodes.get(i)
                        {
                            if stj_type.value != "ViewHealthStateConfigurationFunction" {
                                diags.push(
                                    Diagnostic::new(
                                        &rules::VIEW_HEALTH_FUNCTION_KIND,
                                        h.function.raw.span,
                                        format!(
                                            "`{}` is a verbatim `{}` node, not a view health function",
                                            h.function.raw.value, stj_type.value
                                        ),
                                    )
                                    .related(stj_type.span, "declared with this type")
                                    .help("point at a `ViewHealthStateConfigurationFunction`, e.g. `urn:stackpack:common:view-health-state-configuration-function:minimum-health-states`"),
                                );
                            }
                        }
                    }
                }
            }
            Body::CheckFunction(cf) => {
                if cf.returns.is_empty() {
                    diags.push(
                        Diagnostic::new(
                            &rules::MISSING_RETURN_TYPE,
                            node.id.span,
                            format!("check function `{}` declares no return type", node.id.value),
                        )
                        .help("add `returns: [health-state]` (or `run-state`)"),
                    );
                }
                let mut seen: HashMap<&str, &crate::source::Spanned<String>> = HashMap::new();
                for p in &cf.parameters {
                    param_name(&p.name, "check function parameter", diags);
                    let why = match p.ty.value {
                        ParamType::StructType => {
                            Some("`struct` is the system parameter of mapping, id extractor and template functions")
                        }
                        ParamType::ScriptMetricQuery => {
                            Some("`script-metric-query` parameters belong to monitor functions")
                        }
                        _ => None,
                    };
                    if let Some(why) = why {
                        diags.push(
                            Diagnostic::new(
                                &rules::PARAMETER_TYPE_FOR_KIND,
                                p.ty.span,
                                format!("check function `{}` has a `{}` parameter", node.id.value, p.ty.value.name()),
                            )
                            .label("not a check function input")
                            .note(why)
                            .help("check functions read streams and values: use metric-stream, event-stream, run-state, string or double"),
                        );
                    }
                    match seen.get(p.name.value.as_str()) {
                        Some(first) => diags.push(
                            Diagnostic::new(
                                &rules::DUPLICATE_PARAMETER,
                                p.name.span,
                                format!("parameter `{}` of `{}` is declared twice", p.name.value, node.id.value),
                            )
                            .label("second declaration")
                            .related(first.span, "first declared here")
                            .help("give every parameter its own name"),
                        ),
                        None => {
                            seen.insert(&p.name.value, &p.name);
                        }
                    }
                }
                for (i, r) in cf.returns.iter().enumerate() {
                    if let Some(first) = cf.returns[..i].iter().find(|f| f.value == r.value) {
                        diags.push(
                            Diagnostic::new(
                                &rules::DUPLICATE_PARAMETER,
                                r.span,
                                format!("return type `{}` is listed twice", r.value.stj()),
                            )
                            .related(first.span, "first listed here")
                            .help("list each return type once"),
                        );
                    }
                }
            }
            Body::Script(sf) => {
                let valid = param_name(&sf.parameter, "parameter", diags);
                if valid && node.kind == NodeKind::IdExtractor {
                    if let Some((_, text)) = pack.text(&sf.script.value) {
                        if !mentions_word(text, &sf.parameter.value) {
                            diags.push(
                                Diagnostic::new(
                                    &rules::ID_EXTRACTOR_PARAMETER_UNUSED,
                                    sf.parameter.span,
                                    format!(
                                        "id extractor `{}` passes its element as `{}`, but `{}` never mentions it",
                                        node.id.value, sf.parameter.value, sf.script.value
                                    ),
                                )
                                .label("never read by the script")
                                .help("set `parameter:` to the variable the script reads (usually `topologyElement`)"),
                            );
                        }
                    }
                }
            }
            Body::Template(tf) => {
                param_name(&tf.parameter, "parameter", diags);
            }
            _ => {}
        }
    }
}

fn param_name(name: &crate::source::Spanned<String>, what: &str, diags: &mut Diagnostics) -> bool {
    if is_identifier(&name.value) {
        return true;
    }
    diags.push(
        Diagnostic::new(
            &rules::INVALID_PARAMETER_NAME,
            name.span,
            format!("{what} name `{}` is not a Groovy identifier", name.value),
        )
        .label("scripts could not read this variable")
        .help("use letters, digits and `_`, starting with a letter, e.g. `topologyElement`"),
    );
    false
}

/// Whether `word` occurs in `text` as a whole identifier.
fn mentions_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

fn identifier(pack: &Pack, node: &Node, instance_imported: bool, diags: &mut Diagnostics) {
    if node.scope == Scope::Instance && !instance_imported {
        let at =
            pack.sources
                .get(node.id.span.file)
                .and_then(|f| {
                    // The model keeps no span for `scope`: find `scope: instance` in the node's text.
                    let start = node.span.start as usize;
                    let text = f.text.get(start..node.span.end as usize)?;
                    let key = text.find("scope:")?;
                    let value = key + "scope:".len();
                    let rel = value + text[value..].find("instance")?;
                    text[value..rel].trim().trim_matches(['"', '\'']).is_empty().then(|| {
                        crate::source::Span::new(node.id.span.file, start + rel, start + rel + "instance".len())
                    })
                })
                .unwrap_or(node.id.span);
        diags.push(
            Diagnostic::new(
                &rules::INSTANCE_SCOPE_IN_SINGLE_INSTANCE_PACK,
                at,
                format!(
                    "`{}` is instance-scoped, but the pack is not multi-instance",
                    node.id.value
                ),
            )
            .label("no instance template would create this node")
            .help("set `multi-instance = true` in stackpack.toml, or use `scope: shared`"),
        );
    }
    let Some(id) = &node.identifier else { return };
    if !urn_is_valid(&id.value) {
        diags.push(
            Diagnostic::new(
                &rules::INVALID_IDENTIFIER,
                id.span,
                format!("identifier `{}` does not match StackState's URN pattern", id.value),
            )
            .label("expected `urn:<prefix>:<type>:<name>` in lower case without spaces")
            .help(format!(
                "drop `identifier` to use the generated `{}`, or use only `a-z 0-9 - . : _ / ( ) + , = @ ; $ ! * ' % ? #`",
                crate::model::node_urn(&pack.manifest.name.value, &Node { identifier: None, ..node.clone() })
            )),
        );
    }
    if node.scope == Scope::Instance && !id.value.contains("{{instanceId}}") {
        diags.push(
            Diagnostic::new(
                &rules::INSTANCE_URN_WITHOUT_INSTANCE_ID,
                id.span,
                format!(
                    "instance-scoped `{}` has an identifier without `{{{{instanceId}}}}`",
                    node.id.value
                ),
            )
            .label("every installed instance would create this same URN")
            .help(format!(
                "use `urn:stackpack:{}:instance:{{{{instanceId}}}}:…`, or drop `identifier` to get that generated",
                pack.manifest.name.value
            )),
        );
    }
}

fn duplicates(pack: &Pack, diags: &mut Diagnostics) {
    let mut by_id: HashMap<(NodeKind, &str), &Node> = HashMap::new();
    let mut by_urn: HashMap<&str, &Node> = HashMap::new();
    for (i, node) in pack.nodes.iter().enumerate() {
        let mut dup_id = false;
        match by_id.get(&(node.kind, node.id.value.as_str())) {
            Some(first) => {
                dup_id = true;
                diags.push(
                    Diagnostic::new(
                        &rules::DUPLICATE_ID,
                        node.id.span,
                        format!("{} `{}` is defined twice", node.kind.singular(), node.id.value),
                    )
                    .label("second definition")
                    .related(first.id.span, "first defined here")
                    .help(format!("give each {} its own id", node.kind.singular())),
                );
            }
            None => {
                by_id.insert((node.kind, &node.id.value), node);
            }
        }
        let Some(urn) = pack.index.urns.get(i) else { continue };
        match by_urn.get(urn.as_str()) {
            Some(first) if !dup_id || first.kind != node.kind || first.id.value != node.id.value => {
                let span = node.identifier.as_ref().map(|s| s.span).unwrap_or(node.id.span);
                let first_span = first.identifier.as_ref().map(|s| s.span).unwrap_or(first.id.span);
                diags.push(
                    Diagnostic::new(&rules::DUPLICATE_URN, span, format!("URN `{urn}` is used by two nodes"))
                        .label("second node with this URN")
                        .related(
                            first_span,
                            format!("the {} `{}` has it too", first.kind.singular(), first.id.value),
                        )
                        .help("change one `identifier` (or id) so that every node has its own URN"),
                );
            }
            Some(_) => {}
            None => {
                by_urn.insert(urn, node);
            }
        }
    }
}

/// The kind(s) a field needs, in words ("component mapping function").
/// `noun` with its indefinite article: "an id extractor", "a sync".
fn a(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

fn needs(kinds: &[NodeKind]) -> String {
    if kinds == [NodeKind::Stj] {
        return "view health function (a dependency URN or a verbatim node)".to_string();
    }
    kinds.iter().map(|k| k.singular()).collect::<Vec<_>>().join(" or ")
}

/// Check one reference: report it unless it resolves to a node of one of `kinds` or to a URN
/// of a declared dependency. Returns the index of the local node it resolves to.
pub fn check_ref(pack: &Pack, r: &Ref, kinds: &[NodeKind], field: &str, diags: &mut Diagnostics) -> Option<usize> {
    let raw = r.raw.value.trim();
    match pack.resolve(r, kinds) {
        Resolved::Local(i) => Some(i),
        Resolved::Dependency { .. } => None,
        Resolved::WrongKind(i) => {
            let node = pack.nodes.get(i)?;
            let mut d = Diagnostic::new(
                &rules::WRONG_REFERENCE_KIND,
                r.raw.span,
                format!(
                    "`{raw}` is {}, but `{field}` needs {}",
                    a(node.kind.singular()),
                    a(&needs(kinds))
                ),
            )
            .label(a(node.kind.singular()))
            .related(node.id.span, "defined here");
            let candidates: Vec<&str> = kinds
                .iter()
                .flat_map(|k| pack.nodes_of(*k))
                .map(|n| n.id.value.as_str())
                .collect();
            d = match did_you_mean(raw, candidates.iter().copied()) {
                Some(s) => d.help(format!("did you mean the {} `{s}`?", needs(kinds))),
                None if candidates.is_empty() => d.help(format!(
                    "declare {} under `{}` and point at it",
                    a(&needs(kinds)),
                    kinds.first().map(|k| k.key()).unwrap_or("nodes")
                )),
                None => d.help(format!("{}s of this pack: {}", needs(kinds), candidates.join(", "))),
            };
            diags.push(d);
            None
        }
        Resolved::UndeclaredDependency { pack: dep, .. } => {
            diags.push(
                Diagnostic::new(
                    &rules::UNDECLARED_DEPENDENCY,
                    r.raw.span,
                    format!("`{raw}` belongs to the pack `{dep}`, which is not a declared dependency"),
                )
                .label("may not be installed")
                .help(format!(
                    "add `{dep} = \"<version>\"` to [dependencies] in stackpack.toml"
                )),
            );
            None
        }
        Resolved::Missing => {
            let urns = raw.starts_with("urn:");
            let candidates: Vec<&str> = kinds
                .iter()
                .flat_map(|k| pack.nodes.iter().enumerate().filter(move |(_, n)| n.kind == *k))
                .filter_map(|(i, n)| {
                    if urns {
                        pack.index.urns.get(i).map(String::as_str)
                    } else {
                        Some(n.id.value.as_str())
                    }
                })
                .collect();
            let mut d = Diagnostic::new(
                &rules::UNRESOLVED_REFERENCE,
                r.raw.span,
                format!("`{raw}` does not name {}", a(&needs(kinds))),
            )
            .label(format!(
                "no {} with this {}",
                needs(kinds),
                if urns { "URN" } else { "id" }
            ));
            d = match did_you_mean(raw, candidates.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!(
                    "declare it under `{}`, or use the full URN of a node of a declared dependency",
                    kinds.first().map(|k| k.key()).unwrap_or("nodes")
                )),
            };
            diags.push(d);
            None
        }
    }
}

/// One missing dependency is one finding (issue 13.3): every SP205 about the same pack is folded
/// into the first, whose message counts the uses and whose related labels list the others.
pub fn group_undeclared(diags: Diagnostics) -> Diagnostics {
    fn between<'a>(s: &'a str, open: &str) -> Option<&'a str> {
        let from = s.find(open)? + open.len();
        let len = s[from..].find('`')?;
        Some(&s[from..from + len])
    }
    let mut out: Vec<crate::diag::Diagnostic> = Vec::new();
    // dependency → (index in `out`, uses)
    let mut first: std::collections::BTreeMap<String, (usize, usize)> = std::collections::BTreeMap::new();
    for d in diags.into_vec() {
        let dep = (d.code == rules::UNDECLARED_DEPENDENCY.code)
            .then(|| between(&d.message, "the pack `").map(str::to_string))
            .flatten();
        let Some(dep) = dep else {
            out.push(d);
            continue;
        };
        match first.get_mut(&dep) {
            None => {
                first.insert(dep, (out.len(), 1));
                out.push(d);
            }
            Some((at, uses)) => {
                *uses += 1;
                let target = between(&d.message, "`").unwrap_or("").to_string();
                if let Some(span) = d.span {
                    let merged = std::mem::replace(&mut out[*at], d);
                    out[*at] = merged.related(span, format!("also uses `{target}`"));
                }
            }
        }
    }
    for (dep, (at, uses)) in &first {
        if *uses > 1 {
            let d = &mut out[*at];
            d.message = format!(
                "{uses} references name the pack `{dep}`, which is not a declared dependency (first: `{}`)",
                between(&d.message, "`").unwrap_or("")
            );
        }
    }
    let mut grouped = Diagnostics::new();
    grouped.extend(out);
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_pattern() {
        assert!(urn_is_valid("urn:stackpack:agent:shared:layer:hosts"));
        assert!(urn_is_valid("urn:stackpack:sap:instance:{{instanceId}}:sync:sap"));
        assert!(urn_is_valid("urn:system:auto:component-type:x(1)"));
        assert!(!urn_is_valid("urn:stackpack:agent:shared:layer:My Hosts"));
        assert!(!urn_is_valid("urn:Stackpack:agent"));
        assert!(!urn_is_valid("stackpack:agent:layer:x"));
        assert!(!urn_is_valid("urn:stackpack"));
        assert!(!urn_is_valid("urn:a-very-long-namespace-identifier-over-32:x"));
    }

    #[test]
    fn whole_words_only() {
        assert!(mentions_word(
            "element = topologyElement.asReadonlyMap()",
            "topologyElement"
        ));
        assert!(!mentions_word("element = topologyElements", "topologyElement"));
        assert!(!mentions_word("mystruct.x", "struct"));
        assert!(mentions_word("return struct", "struct"));
    }
}
