//! SP9xx: hygiene — nodes nothing references and files nothing uses.

use super::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::display_path;
use crate::load::tree::{Kind, Value};
use crate::model::{Body, NodeKind, Pack, Ref, Resolved};
use std::collections::BTreeSet;

/// Kinds that only make sense when something references them. Component types, layers and the
/// like are vocabulary used by topology at run time, and syncs and views are roots.
const NEEDS_A_USER: [NodeKind; 7] = [
    NodeKind::IdExtractor,
    NodeKind::ComponentMapping,
    NodeKind::RelationMapping,
    NodeKind::ComponentTemplate,
    NodeKind::RelationTemplate,
    NodeKind::CheckFunction,
    NodeKind::DataSource,
];

/// Directories whose files must be referenced by a node or the manifest.
const REFERENCED_DIRS: [&str; 3] = ["scripts/", "templates/", "icons/"];

/// Run the SP9xx rules; `reached_by_templates` are the nodes templates `get` (from
/// [`super::templates::check`]).
pub fn check(pack: &Pack, reached_by_templates: &[usize], diags: &mut Diagnostics) {
    unused_nodes(pack, reached_by_templates, diags);
    unused_files(pack, diags);
}

fn unused_nodes(pack: &Pack, reached_by_templates: &[usize], diags: &mut Diagnostics) {
    let mut used = vec![false; pack.nodes.len()];
    let mut mark = |r: &Ref, kinds: &[NodeKind], pack: &Pack| {
        // A wrong-kind reference counts as a use too: it is already an error of its own. So
        // does a misspelt one: SP203 already names the node it meant ("did you mean"), and
        // "never used" on that node would be the same mistake reported twice.
        let i = match pack.resolve(r, kinds) {
            Resolved::Local(i) | Resolved::WrongKind(i) => Some(i),
            Resolved::Missing => meant(pack, r, kinds),
            _ => None,
        };
        if let Some(u) = i.and_then(|i| used.get_mut(i)) {
            *u = true;
        }
    };
    for node in &pack.nodes {
        match &node.body {
            Body::Sync(s) => {
                mark(&s.data_source, &[NodeKind::DataSource], pack);
                mark(&s.component_id_extractor, &[NodeKind::IdExtractor], pack);
                mark(&s.relation_id_extractor, &[NodeKind::IdExtractor], pack);
                let component = s.default_component_action.iter().chain(&s.component_actions);
                for a in component {
                    mark(&a.template, &[NodeKind::ComponentTemplate], pack);
                    if let Some(m) = &a.mapping {
                        mark(m, &[NodeKind::ComponentMapping], pack);
                    }
                }
                let relation = s.default_relation_action.iter().chain(&s.relation_actions);
                for a in relation {
                    mark(&a.template, &[NodeKind::RelationTemplate], pack);
                    if let Some(m) = &a.mapping {
                        mark(m, &[NodeKind::RelationMapping], pack);
                    }
                }
            }
            Body::View(v) => {
                if let Some(h) = &v.health {
                    mark(&h.function, &[NodeKind::Stj], pack);
                }
            }
            _ => {}
        }
    }
    for &i in reached_by_templates {
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
    }
    // Verbatim nodes may point at anything by URN.
    let mut stj_strings = Vec::new();
    for node in &pack.nodes {
        if let Body::Stj { fields, .. } = &node.body {
            strings(fields, &mut stj_strings, 0);
        }
    }
    if !stj_strings.is_empty() {
        for (i, urn) in pack.index.urns.iter().enumerate() {
            let Some(node) = pack.nodes.get(i) else { continue };
            if !NEEDS_A_USER.contains(&node.kind) {
                continue;
            }
            let shorthand = format!("\"{}:{}\"", node.kind.urn_segment(), node.id.value);
            if stj_strings
                .iter()
                .any(|s| s.contains(urn.as_str()) || s.contains(&shorthand))
            {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
            }
        }
    }
    for (i, node) in pack.nodes.iter().enumerate() {
        if used.get(i).copied().unwrap_or(true) || !NEEDS_A_USER.contains(&node.kind) {
            continue;
        }
        let by = match node.kind {
            NodeKind::IdExtractor => "a sync's `component-id-extractor` or `relation-id-extractor`",
            NodeKind::ComponentMapping => "a component action's `mapping`",
            NodeKind::RelationMapping => "a relation action's `mapping`",
            NodeKind::ComponentTemplate => "a component action's `template`",
            NodeKind::RelationTemplate => "a relation action's `template`",
            NodeKind::CheckFunction => "a template's `{{ get \"check-function:<id>\" }}`",
            _ => "a sync's `data-source`",
        };
        diags.push(
            Diagnostic::new(
                &rules::UNUSED_NODE,
                node.id.span,
                format!("{} `{}` is never used", node.kind.singular(), node.id.value),
            )
            .label("nothing references this node")
            .help(format!("reference it from {by}, or remove it")),
        );
    }
}

/// The node of `kinds` an unresolved reference most likely meant: the "did you mean" of its
/// SP203 (the same candidates as `refs::check_ref`: ids, or URNs for a URN).
fn meant(pack: &Pack, r: &Ref, kinds: &[NodeKind]) -> Option<usize> {
    let raw = r.raw.value.trim();
    let urns = raw.starts_with("urn:");
    let candidates: Vec<(usize, &str)> = pack
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| kinds.contains(&n.kind))
        .filter_map(|(i, n)| {
            if urns {
                pack.index.urns.get(i).map(|u| (i, u.as_str()))
            } else {
                Some((i, n.id.value.as_str()))
            }
        })
        .collect();
    let guess = crate::diag::did_you_mean(raw, candidates.iter().map(|(_, c)| *c))?;
    candidates.iter().find(|(_, c)| *c == guess).map(|(i, _)| *i)
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &v.kind {
        Kind::Str(s) => out.push(s),
        Kind::Seq(items) => items.iter().for_each(|i| strings(i, out, depth + 1)),
        Kind::Map(m) => m.entries.iter().for_each(|(_, i)| strings(i, out, depth + 1)),
        _ => {}
    }
}

/// Which of `patterns` occur (as substrings) in any of `texts`: one Aho-Corasick pass over the
/// texts, so the cost is linear in their size whatever the number of candidate files.
/// Which of `patterns` occur in any of `texts`, each text looked at once, in the order given
/// (so that the caller can read one text at a time and drop it).
fn occurring<T: AsRef<[u8]>>(patterns: &[String], texts: impl IntoIterator<Item = T>) -> Vec<bool> {
    let mut found = vec![false; patterns.len()];
    if patterns.is_empty() {
        return found;
    }
    let ac = aho_corasick::AhoCorasick::new(patterns).ok();
    for t in texts {
        let t = t.as_ref();
        match &ac {
            Some(ac) => {
                for m in ac.find_overlapping_iter(t) {
                    found[m.pattern().as_usize()] = true;
                }
            }
            // Only for automata beyond aho-corasick's size limits: plain searches.
            None => {
                let t = String::from_utf8_lossy(t);
                for (i, p) in patterns.iter().enumerate() {
                    found[i] = found[i] || t.contains(p.as_str());
                }
            }
        }
    }
    found
}

fn unused_files(pack: &Pack, diags: &mut Diagnostics) {
    let m = &pack.manifest;
    let mut referenced: BTreeSet<&str> = BTreeSet::new();
    for node in &pack.nodes {
        match &node.body {
            Body::Script(s) => {
                referenced.insert(&s.script.value);
            }
            Body::Template(t) => {
                referenced.insert(&t.template.value);
            }
            Body::CheckFunction(c) => {
                referenced.insert(&c.script.value);
            }
            Body::ComponentType { icon: Some(i) } => {
                referenced.insert(&i.value);
            }
            _ => {}
        }
    }
    let manifest_paths = m
        .logo
        .iter()
        .chain(&m.pages.overview)
        .chain(&m.pages.detailed_overview)
        .chain(&m.pages.upgrade_instructions)
        .chain(m.pages.states.iter().map(|(_, p)| p))
        .chain(m.integrations.iter().flat_map(|t| t.logo.iter().chain(&t.overview)))
        .chain(&m.provisioning.script);
    referenced.extend(manifest_paths.map(|p| p.value.as_str()));
    // Without `[pages] overview` the conf has no `overviewUrl` and StackState shows its default,
    // `overview.md` (reference §2): that file is the overview page.
    if m.pages.overview.is_none() {
        referenced.insert("resources/overview.md");
    }
    // The build names `resources/RELEASE.md` as `releaseNotes` unless `release-notes = false`.
    if m.release_notes {
        referenced.insert("resources/RELEASE.md");
    }
    let included = |path: &str| {
        m.include
            .iter()
            .any(|i| path == i.value || path.starts_with(&format!("{}/", i.value)))
    };
    // Texts that may name other files: sync templates (`include`), scripts, verbatim nodes; and
    // Markdown pages, for resources.
    let mut texts: Vec<&str> = pack.texts.keys().filter_map(|k| pack.text(k).map(|(_, t)| t)).collect();
    let mut stj = Vec::new();
    for node in &pack.nodes {
        if let Body::Stj { fields, .. } = &node.body {
            strings(fields, &mut stj, 0);
        }
    }
    texts.extend(stj);
    // Pages are read one at a time and not kept (the compiler streams large ones into the
    // archive): a pack's 25 MB of Markdown were held twice here, as the loader's cached bytes
    // and a copy as text, until the end of the build.
    let pages = pack
        .files
        .iter()
        .filter(|(k, f)| k.starts_with("resources/") && k.ends_with(".md") && !f.escapes && f.size < 4 << 20)
        .filter_map(|(_, f)| f.bytes_uncached().ok());

    // Candidates: files no node or manifest key names. Scripts, templates and icons may still be
    // named by another text; resources by a page.
    let candidates: Vec<(&String, &str, bool)> = pack
        .files
        .iter()
        .filter(|(rel, f)| !(f.escapes || referenced.contains(rel.as_str()) || included(rel)))
        .filter_map(|(rel, _)| {
            let base = rel.rsplit('/').next().unwrap_or(rel);
            if REFERENCED_DIRS.iter().any(|d| rel.starts_with(d)) {
                Some((rel, base, true))
            } else if rel.starts_with("resources/") {
                Some((rel, base, false))
            } else {
                None
            }
        })
        .collect();
    let text_patterns: Vec<String> = candidates
        .iter()
        .filter(|c| c.2)
        .map(|(_, base, _)| base.to_string())
        .collect();
    let page_patterns: Vec<String> = candidates
        .iter()
        .filter(|c| !c.2)
        .flat_map(|(rel, base, _)| [rel.trim_start_matches("resources/").to_string(), base.to_string()])
        .collect();
    let in_texts = occurring(&text_patterns, texts.iter().map(|t| t.as_bytes()));
    let in_pages = occurring(&page_patterns, pages);
    let (mut ti, mut pi) = (0, 0);
    for (rel, _, in_dir) in &candidates {
        let (named, help) = if *in_dir {
            ti += 1;
            (
                in_texts.get(ti - 1).copied().unwrap_or(false),
                "reference it from a node (`script:`, `template:`, `icon:`), add it to [archive] include, or delete it",
            )
        } else {
            pi += 2;
            (
                in_pages.get(pi - 2).copied().unwrap_or(false) || in_pages.get(pi - 1).copied().unwrap_or(false),
                "link it from a Markdown page or the manifest, or delete it",
            )
        };
        if named {
            continue;
        }
        diags.push(
            Diagnostic::at_path(
                &rules::UNUSED_FILE,
                display_path(&pack.root, rel),
                format!("`{rel}` is not used by any node, page or the manifest"),
            )
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::occurring;

    #[test]
    fn overlapping_names_are_all_found_in_one_pass() {
        let patterns: Vec<String> = ["docs/guide.md", "guide.md", "logo.png", "absent.md"]
            .map(String::from)
            .to_vec();
        let found = occurring(&patterns, ["see [guide](docs/guide.md)", "![x](images/logo.png)"]);
        assert_eq!(found, vec![true, true, true, false]);
        assert!(occurring(&[], ["text"]).is_empty());
    }
}
