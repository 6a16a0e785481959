//! `inspect` for 2.0 packs and archives: identity, entries and nodes by identifier.

use super::load::Pack;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct NodeRow {
    pub identifier: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub name: Option<String>,
    pub file: String,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub format: &'static str,
    pub name: Option<String>,
    pub version: Option<String>,
    pub display_name: Option<String>,
    pub entries: Vec<(String, usize)>,
    pub nodes: Vec<NodeRow>,
}

pub fn summary(pack: &Pack) -> Summary {
    let mut nodes: Vec<NodeRow> = pack
        .nodes()
        .map(|at| NodeRow {
            identifier: at.identifier().unwrap_or("(none)").to_string(),
            node_type: at.type_name().unwrap_or("(none)").to_string(),
            name: at.node.str_at("name").map(String::from),
            file: at.file.path.clone(),
        })
        .collect();
    nodes.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Summary {
        format: "StackPack 2.0",
        name: pack.name().map(String::from),
        version: pack.version().map(String::from),
        display_name: pack
            .manifest_node()
            .and_then(|m| m.str_at("displayName"))
            .map(String::from),
        entries: super::build::entries(pack)
            .into_iter()
            .map(|e| (e.path, e.data.len() as usize))
            .collect(),
        nodes,
    }
}

pub fn render_human(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "format:  {}", s.format);
    let _ = writeln!(out, "name:    {}", s.name.as_deref().unwrap_or("?"));
    let _ = writeln!(out, "version: {}", s.version.as_deref().unwrap_or("?"));
    if let Some(d) = &s.display_name {
        let _ = writeln!(out, "display: {d}");
    }
    let _ = writeln!(out, "\nentries ({}):", s.entries.len());
    for (p, n) in &s.entries {
        let _ = writeln!(out, "  {p} ({n} bytes)");
    }
    let _ = writeln!(out, "\nnodes ({}):", s.nodes.len());
    for n in &s.nodes {
        let _ = writeln!(out, "  {} {} ({})", n.identifier, n.node_type, n.file);
    }
    out
}
