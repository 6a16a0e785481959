//! Cross-references between and inside nodes: presentations, menu groups, columns, filters,
//! metrics, mapping variables, dashboards.

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::v2::load::{NodeAt, Pack};
use crate::v2::rules;
use crate::v2::yaml::Node;
use std::collections::{BTreeMap, BTreeSet};

/// Projections whose values cannot be ordered.
// Guess: tags, maps and image lists have no single comparable value; every other projection
// yields a number, text, health state or time.
const UNSORTABLE: [&str; 3] = ["TagProjection", "MapProjection", "ContainerImageProjection"];

pub fn run(pack: &Pack, diags: &mut Diagnostics) {
    let nodes: Vec<NodeAt> = pack.nodes().collect();
    let of = |t: &'static str| nodes.iter().filter(move |n| n.type_name() == Some(t));
    let presentations: BTreeSet<&str> = of("ComponentPresentation").filter_map(|n| n.identifier()).collect();
    let groups: BTreeSet<&str> = of("MainMenuGroup").filter_map(|n| n.node.str_at("name")).collect();
    let mappings: BTreeSet<&str> = of("OtelComponentMapping").filter_map(|n| n.identifier()).collect();
    let dashboards: BTreeSet<&str> = of("Dashboard").filter_map(|n| n.identifier()).collect();
    // Columns and filters defined anywhere in the pack (a definition has more than its id).
    let mut columns: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    let mut filters: BTreeSet<&str> = BTreeSet::new();
    for p in of("ComponentPresentation") {
        for c in p.node.seq_at("presentation.overview.columns") {
            if let Some(id) = c.str_at("columnId") {
                if c.as_map().is_some_and(|m| m.len() > 1) || !columns.contains_key(id) {
                    let proj = c.str_at("projection._type");
                    if c.as_map().is_some_and(|m| m.len() > 1) {
                        columns.insert(id, proj);
                    }
                }
            }
        }
        for f in p.node.seq_at("presentation.filters") {
            if let (Some(id), true) = (f.str_at("filterId"), f.as_map().is_some_and(|m| m.len() > 1)) {
                filters.insert(id);
            }
        }
    }
    let own = pack.name().unwrap_or("");
    for p in of("ComponentPresentation") {
        let n = p.node;
        // Bare column references and sorting.
        let mut local: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        for c in n.seq_at("presentation.overview.columns") {
            let Some(idn) = c.get("columnId") else { continue };
            let Some(id) = idn.as_str() else { continue };
            let defined = c.as_map().is_some_and(|m| m.len() > 1);
            if defined {
                local.insert(id, c.str_at("projection._type"));
            } else if let Some(proj) = columns.get(id) {
                local.insert(id, *proj);
            } else {
                diags.push(unknown(
                    &rules::FILTER_COLUMN_REF,
                    idn,
                    "column",
                    id,
                    columns.keys().copied(),
                    "define it (with a `title` or `projection`) in one of the pack's presentations",
                ));
            }
        }
        for s in n.seq_at("presentation.overview.sort") {
            let Some(idn) = s.get("columnId") else { continue };
            let Some(id) = idn.as_str() else { continue };
            match local.get(id) {
                None => {
                    let mut d = Diagnostic::new(
                        &rules::SORT_COLUMN,
                        idn.span,
                        format!("sorts by `{id}`, which is not a column of this presentation"),
                    );
                    d = match did_you_mean(id, local.keys().copied()) {
                        Some(m) => d.help(format!("did you mean `{m}`?")),
                        None => d.help("add the column to `overview.columns` or sort by one of its columns"),
                    };
                    diags.push(d);
                }
                Some(Some(proj)) if UNSORTABLE.contains(proj) => diags.push(
                    Diagnostic::new(
                        &rules::SORT_COLUMN,
                        idn.span,
                        format!("the column `{id}` is a {proj}, which cannot be sorted"),
                    )
                    .help("sort by a column of text, numbers, health or time"),
                ),
                Some(_) => {}
            }
        }
        for f in n.seq_at("presentation.filters") {
            let Some(idn) = f.get("filterId") else { continue };
            let Some(id) = idn.as_str() else { continue };
            if f.as_map().is_some_and(|m| m.len() == 1) && !filters.contains(id) {
                diags.push(unknown(
                    &rules::FILTER_COLUMN_REF,
                    idn,
                    "filter",
                    id,
                    filters.iter().copied(),
                    "define it (with `displayName` and `filter`) in one of the pack's presentations",
                ));
            }
        }
        for r in n.seq_at("presentation.highlight.relatedResources") {
            let Some(pi) = r.get("presentationIdentifier") else {
                continue;
            };
            let Some(id) = pi.as_str() else { continue };
            let other_pack = id.split(':').nth(2).is_some_and(|p| p != own);
            if !presentations.contains(id) && !other_pack {
                diags.push(unknown(
                    &rules::PRESENTATION_REF,
                    pi,
                    "presentation",
                    id,
                    presentations.iter().copied(),
                    "define a ComponentPresentation with this identifier, or point at an existing one",
                ));
            }
        }
        if let Some(g) = n.at("presentation.overview.mainMenu.group") {
            if let Some(name) = g.as_str() {
                if !groups.contains(name) {
                    diags.push(
                        unknown(
                            &rules::MENU_GROUP_REF,
                            g,
                            "main menu group",
                            name,
                            groups.iter().copied(),
                            "declare a MainMenuGroup with this `name` (groups are joined by display name)",
                        )
                        .note("a group of another installed pack also works; this pack cannot check that"),
                    );
                }
            }
        }
        for sel in [
            "presentation.highlight.provisioning",
            "presentation.overview.provisioning",
        ] {
            for key in ["externalComponentSelector", "topologySourceSelector"] {
                let Some(v) = n.at(&format!("{sel}.{key}")) else {
                    continue;
                };
                let Some(text) = v.as_str() else { continue };
                for urn in mapping_urns(text) {
                    if !mappings.contains(urn.as_str()) && urn.split(':').nth(2) == Some(own) {
                        diags.push(unknown(
                            &rules::MAPPING_REF,
                            v,
                            "component mapping",
                            &urn,
                            mappings.iter().copied(),
                            "use the identifier of one of the pack's OtelComponentMappings",
                        ));
                    }
                }
            }
        }
        for l in n.seq_at("presentation.highlight.links") {
            let Some(t) = l.get("target") else { continue };
            let Some(target) = t.as_str() else { continue };
            if let Some(id) = target.strip_prefix("#/dashboards/") {
                if !dashboards.contains(id) && id.split(':').nth(2) == Some(own) {
                    diags.push(unknown(
                        &rules::DASHBOARD_REF,
                        t,
                        "dashboard",
                        id,
                        dashboards.iter().copied(),
                        "link to a Dashboard of the pack",
                    ));
                }
            }
        }
        metric_ids(n, diags);
    }
    for m in nodes
        .iter()
        .filter(|n| matches!(n.type_name(), Some("OtelComponentMapping" | "OtelRelationMapping")))
    {
        vars(m.node, diags);
    }
    for d in of("Dashboard") {
        dashboard_refs(d.node, diags);
    }
}

fn unknown<'a>(
    rule: &'static crate::diag::Rule,
    at: &Node,
    what: &str,
    id: &str,
    known: impl IntoIterator<Item = &'a str>,
    help: &str,
) -> Diagnostic {
    let known: Vec<&str> = known.into_iter().collect();
    let d = Diagnostic::new(rule, at.span, format!("no {what} `{id}` in this pack"));
    match did_you_mean(id, known.iter().copied()) {
        Some(m) => d.help(format!("did you mean `{m}`?")),
        None => d.help(help.to_string()),
    }
}

/// `external.mapping.identifier == '<urn>'` comparisons in a selector.
fn mapping_urns(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("mapping.identifier") {
        rest = &rest[i + "mapping.identifier".len()..];
        let t = rest.trim_start();
        let Some(t) = t.strip_prefix("==") else { continue };
        let t = t.trim_start();
        let Some(q) = t.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        if let Some(end) = t[1..].find(q) {
            out.push(t[1..1 + end].to_string());
        }
    }
    out
}

/// `metricId` references in a presentation must name an entry of the node's own `metrics[]`.
fn metric_ids(n: &Node, diags: &mut Diagnostics) {
    let defined: BTreeSet<&str> = n
        .seq_at("metrics")
        .iter()
        .filter_map(|m| m.str_at("metricId"))
        .collect();
    let mut refs: Vec<&Node> = Vec::new();
    for tab in n.seq_at("presentation.metricPerspective.tabs") {
        for s in tab.seq_at("sections") {
            refs.extend(s.seq_at("metrics").iter().filter_map(|m| m.get("metricId")));
        }
    }
    for s in n.seq_at("presentation.highlight.metrics") {
        refs.extend(s.seq_at("metrics").iter().filter_map(|m| m.get("metricId")));
    }
    refs.extend(
        n.seq_at("presentation.summary.metrics")
            .iter()
            .filter_map(|m| m.get("metricId")),
    );
    for c in n.seq_at("presentation.overview.columns") {
        refs.extend(c.at("projection.metricId"));
    }
    for f in n.seq_at("presentation.highlight.fields") {
        refs.extend(f.at("projection.metricId"));
    }
    for r in refs {
        let Some(id) = r.as_str() else { continue };
        if !defined.contains(id) {
            let mut d = Diagnostic::new(
                &rules::METRIC_ID_REF,
                r.span,
                format!("no metric `{id}` in this presentation's `metrics[]`"),
            );
            let suffixed = defined.iter().find(|m| m.ends_with(&format!(":{id}"))).copied();
            d = match (suffixed, did_you_mean(id, defined.iter().copied())) {
                (Some(m), _) => d.help(format!("the definition is `{m}`: use the same id on both sides")),
                (None, Some(m)) => d.help(format!("did you mean `{m}`?")),
                (None, None) => d.help("add a `metrics[]` entry with this `metricId` to the same node"),
            };
            diags.push(d);
        }
    }
}

/// `vars.X` must be declared (before use inside `vars`), and every variable used.
fn vars(n: &Node, diags: &mut Diagnostics) {
    let decls = n.seq_at("vars");
    let names: Vec<(&str, &Node)> = decls
        .iter()
        .filter_map(|v| v.get("name").and_then(|x| x.as_str().map(|s| (s, x))))
        .collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut check = |value: &Node, visible: &[&str], diags: &mut Diagnostics| {
        let Some(text) = value.as_str() else { return };
        for var in vars_used(text) {
            if !visible.contains(&var.as_str()) {
                let all: Vec<&str> = names.iter().map(|(s, _)| *s).collect();
                let mut d = Diagnostic::new(
                    &rules::VARS_REF,
                    value.span,
                    format!("`vars.{var}` is not declared before this use"),
                );
                d = if all.contains(&var.as_str()) {
                    d.help("variables see only the ones declared above them: move the declaration up")
                } else {
                    match did_you_mean(&var, all.iter().copied()) {
                        Some(m) => d.help(format!("did you mean `vars.{m}`?")),
                        None => d.help(format!("declare it: `vars: [{{name: {var}, value: …}}]`")),
                    }
                };
                diags.push(d);
            }
            used.insert(var);
        }
    };
    let all: Vec<&str> = names.iter().map(|(s, _)| *s).collect();
    for (i, v) in decls.iter().enumerate() {
        if let Some(value) = v.get("value") {
            let before: Vec<&str> = decls[..i].iter().filter_map(|d| d.str_at("name")).collect();
            check(value, &before, diags);
        }
    }
    for key in ["output", "input"] {
        if let Some(o) = n.get(key) {
            let mut strings = Vec::new();
            o.walk(&mut |x| {
                if x.as_str().is_some() {
                    strings.push(x);
                }
            });
            for s in strings {
                check(s, &all, diags);
            }
        }
    }
    for (name, at) in names {
        if !used.contains(name) {
            diags.push(
                Diagnostic::new(
                    &rules::UNUSED_VAR,
                    at.span,
                    format!("the variable `{name}` is never used"),
                )
                .help("remove it, or use `vars.".to_string() + name + "` where it was meant"),
            );
        }
    }
}

/// The `X` of every `vars.X` in a CEL text (outside string literals).
pub fn vars_used(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == b'\'' || c == b'"' {
            quote = Some(c);
            i += 1;
            continue;
        }
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.');
        if boundary && text[i..].starts_with("vars.") {
            let start = i + 5;
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            if end > start {
                out.push(text[start..end].to_string());
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// Panel `$ref`s and the layout of a dashboard.
fn dashboard_refs(n: &Node, diags: &mut Diagnostics) {
    let panels: BTreeSet<&str> = n
        .at("dashboard.spec.panels")
        .and_then(Node::as_map)
        .map(|m| m.iter().map(|(k, _)| k.value.as_str()).collect())
        .unwrap_or_default();
    for layout in n.seq_at("dashboard.spec.layouts") {
        for item in layout.seq_at("spec.items") {
            let Some(r) = item.at("content.$ref") else { continue };
            let Some(text) = r.as_str() else { continue };
            let id = text.strip_prefix("#/spec/panels/").unwrap_or(text);
            if !panels.contains(id) {
                diags.push(unknown(
                    &rules::DASHBOARD_REF,
                    r,
                    "panel",
                    id,
                    panels.iter().copied(),
                    "point `$ref` at `#/spec/panels/<a key of spec.panels>`",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_are_found_outside_strings() {
        assert_eq!(vars_used("vars.a + 'vars.b' + myvars.c + vars.d_1"), vec!["a", "d_1"]);
        assert_eq!(
            mapping_urns("external.mapping.identifier == 'urn:x' || external.mapping.identifier==\"urn:y\""),
            vec!["urn:x", "urn:y"]
        );
    }
}
