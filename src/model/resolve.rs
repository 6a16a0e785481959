//! Reference resolution: short ids and URNs → nodes, in constant time per lookup.

use super::{node_urn, Node, NodeKind, Pack, Ref};
use std::collections::HashMap;

/// Lookup tables built once per pack.
#[derive(Debug, Default)]
pub struct Index {
    by_id: HashMap<(NodeKind, String), usize>,
    by_urn: HashMap<String, usize>,
    /// Generated or explicit URN of every node, by node index.
    pub urns: Vec<String>,
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// A node of this pack (index into `Pack::nodes`).
    Local(usize),
    /// A node of a declared dependency, by URN.
    Dependency { urn: String, dependency: String },
    /// A node of this pack, but of another kind than the field expects.
    WrongKind(usize),
    /// A URN of a pack that is not a declared dependency.
    UndeclaredDependency { urn: String, pack: String },
    /// Nothing of that name.
    Missing,
}

impl Index {
    pub fn build(pack_name: &str, nodes: &[Node]) -> Index {
        let mut index = Index::default();
        for (i, node) in nodes.iter().enumerate() {
            index.by_id.entry((node.kind, node.id.value.clone())).or_insert(i);
            let urn = node_urn(pack_name, node);
            index.by_urn.entry(urn.clone()).or_insert(i);
            index.urns.push(urn);
        }
        index
    }

    pub fn by_id(&self, kind: NodeKind, id: &str) -> Option<usize> {
        self.by_id.get(&(kind, id.to_string())).copied()
    }

    pub fn by_urn(&self, urn: &str) -> Option<usize> {
        self.by_urn.get(urn).copied()
    }
}

/// Whether `urn` matches StackState's identifier pattern
/// `^urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,\-.:=@;$_!*'%/?#]+$` (reference §4.1).
pub fn urn_matches_pattern(urn: &str) -> bool {
    let Some(rest) = urn.strip_prefix("urn:") else {
        return false;
    };
    let Some((nid, nss)) = rest.split_once(':') else {
        return false;
    };
    let nid_ok = !nid.is_empty()
        && nid.len() <= 32
        && nid
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && nid
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    nid_ok
        && !nss.is_empty()
        && nss
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"()+,-.:=@;$_!*'%/?#".contains(&b))
}

/// The pack name in `urn:stackpack:<name>:…`, if the URN has that shape.
pub fn urn_pack(urn: &str) -> Option<&str> {
    urn.strip_prefix("urn:stackpack:")?
        .split(':')
        .next()
        .filter(|s| !s.is_empty())
}

impl Pack {
    /// Resolve `r`, expected to point at a node of one of `kinds`.
    pub fn resolve(&self, r: &Ref, kinds: &[NodeKind]) -> Resolved {
        let raw = r.raw.value.trim();
        if raw.starts_with("urn:") {
            if let Some(i) = self.index.by_urn(raw) {
                return if kinds.contains(&self.nodes[i].kind) || self.nodes[i].kind == NodeKind::Stj {
                    Resolved::Local(i)
                } else {
                    Resolved::WrongKind(i)
                };
            }
            return match urn_pack(raw) {
                Some(p) if self.manifest.dependency(p).is_some() => Resolved::Dependency {
                    urn: raw.to_string(),
                    dependency: p.to_string(),
                },
                Some(p) if p != self.manifest.name.value => Resolved::UndeclaredDependency {
                    urn: raw.to_string(),
                    pack: p.to_string(),
                },
                _ => Resolved::Missing,
            };
        }
        for kind in kinds {
            if let Some(i) = self.index.by_id(*kind, raw) {
                return Resolved::Local(i);
            }
        }
        match NodeKind::ALL.iter().find_map(|k| self.index.by_id(*k, raw)) {
            Some(i) => Resolved::WrongKind(i),
            None => Resolved::Missing,
        }
    }

    /// The URN a resolved reference stands for (`None` when it did not resolve).
    pub fn target_urn(&self, resolved: &Resolved) -> Option<String> {
        match resolved {
            Resolved::Local(i) => self.index.urns.get(*i).cloned(),
            Resolved::Dependency { urn, .. } => Some(urn.clone()),
            _ => None,
        }
    }
}
