//! Upgrade safety: compare two builds of a pack node by node and decide which version bump the
//! changes need.
//!
//! Both sides are archive entries (`path → bytes`): a `.sts` read with the archive reader, or a
//! pack directory compiled in memory. Every `provisioning/templates/*.stj` is rendered the way
//! StackState imports it ([`crate::template::render_import`]: import arguments rendered as
//! samples, shown as `{{name}}` in identifiers and `<<name>>` elsewhere, `get` answered with placeholder ids, `include` served from the entries), parsed as
//! JSON, and its nodes are collected by identifier (URN). Negative STJ ids are dropped and every
//! reference (to a node of the same import by its id, or to an existing node through `get`) is
//! replaced by the identifier it points at, so renumbering is not a change.
//!
//! Verdict (StackState treats StackPacks with the same major version as upgrade-compatible):
//! removing or re-keying a shared node, or changing a node's `_type`, is breaking and needs a
//! major bump; adding nodes (or removing instance nodes, which every instance re-import deletes
//! anyway) needs at least a minor bump; any other change to a node needs at least a patch bump.

use crate::compat::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Pack;
use crate::template::{self, Encoding, ImportContext};
use semver::Version;
use serde::Serialize;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Archive entries: `/`-separated path → bytes.
pub type Entries = BTreeMap<String, Vec<u8>>;

/// How big a version bump is (ordered: `None < Patch < Minor < Major`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

impl Bump {
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }

    /// The bump from `old` to `new`; `None` when `new` is not greater.
    pub fn between(old: &Version, new: &Version) -> Option<Bump> {
        if new <= old {
            return None;
        }
        Some(if new.major != old.major {
            Bump::Major
        } else if new.minor != old.minor {
            Bump::Minor
        } else if new.patch != old.patch {
            Bump::Patch
        } else {
            // Same release, other pre-release/build: not a bump of the release.
            Bump::None
        })
    }

    /// The smallest version after `old` with this bump. Before 1.0.0, the Cargo convention of
    /// `release` (`changelog::next_version`): a breaking change bumps the minor version,
    /// anything else the patch version.
    pub fn next(self, old: &Version) -> Version {
        if old.major == 0 {
            return match self {
                Bump::Major => Version::new(0, old.minor + 1, 0),
                Bump::Minor | Bump::Patch | Bump::None => Version::new(0, old.minor, old.patch + 1),
            };
        }
        match self {
            Bump::Major => Version::new(old.major + 1, 0, 0),
            Bump::Minor => Version::new(old.major, old.minor + 1, 0),
            Bump::Patch | Bump::None => Version::new(old.major, old.minor, old.patch + 1),
        }
    }
}

/// One node of a build, normalised for comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    pub stj_type: String,
    /// The `.stj` entry it came from.
    pub file: String,
    /// The node's JSON without ids, references replaced by target identifiers.
    pub json: Value,
}

impl NodeInfo {
    fn shared(identifier: &str) -> bool {
        !identifier.contains(":instance:")
    }
}

/// A build of a pack, as far as upgrades are concerned.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub name: Option<String>,
    pub version: Option<Version>,
    pub nodes: BTreeMap<String, NodeInfo>,
}

/// What happened to one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    /// Same identifier and type, other content: the top-level fields that differ.
    Changed {
        fields: Vec<String>,
    },
    /// Same identifier, another `_type`.
    KindChanged {
        old_type: String,
    },
    /// The same node under a new identifier.
    Rekeyed {
        old_identifier: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub identifier: String,
    #[serde(rename = "type")]
    pub stj_type: String,
    pub shared: bool,
    #[serde(flatten)]
    pub kind: ChangeKind,
    /// The bump this change needs.
    pub bump: Bump,
    /// Why it needs that bump.
    pub reason: String,
}

/// The name and version of one side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub label: String,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// The comparison of two builds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub old: Side,
    pub new: Side,
    pub changes: Vec<Change>,
    /// The bump the changes need.
    pub required: Bump,
    /// The bump the versions show; `None` when the new version is not greater (or unknown).
    pub actual: Option<Bump>,
    /// The smallest version that satisfies the changes (when the old version is known).
    pub minimum_version: Option<String>,
    /// Whether the new version is greater and its bump at least the required one.
    pub ok: bool,
}

/// Problems turning entries into a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotError {
    /// The entry at fault.
    pub entry: String,
    pub message: String,
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.entry, self.message)
    }
}

/// Placeholder ids for `get`: far away from the small negative ids of STJ nodes.
const GET_BASE: i64 = 7_000_000_000_000;

/// Delimiters of a substituted import argument in the rendered text (private-use characters).
const ARG_OPEN: char = '\u{E000}';
const ARG_CLOSE: char = '\u{E001}';

/// Replace the sample import arguments: `{{name}}` in `identifier` fields, `<<name>>` elsewhere.
fn show_args(v: &mut Value, in_identifier: bool) {
    match v {
        Value::String(s) if s.contains(ARG_OPEN) => {
            let (open, close) = if in_identifier { ("{{", "}}") } else { ("<<", ">>") };
            *s = s.replace(ARG_OPEN, open).replace(ARG_CLOSE, close);
        }
        Value::Array(items) => items.iter_mut().for_each(|x| show_args(x, false)),
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                show_args(x, k == "identifier");
            }
        }
        _ => {}
    }
}

struct Ctx<'a> {
    entries: &'a Entries,
    gets: RefCell<BTreeMap<String, i64>>,
}

impl ImportContext for Ctx<'_> {
    fn arg(&self, name: &str) -> Option<String> {
        // A sample value that cannot be confused with text: after parsing it becomes
        // `{{name}}` in identifiers (`urn:…:instance:{{instanceId}}:…` on both sides) and
        // `<<name>>` everywhere else, so a `{{instanceName}}` that one side substitutes and the
        // other copies literally (an escaped tag renders as `{{instanceName}}`) is a change.
        Some(format!("{ARG_OPEN}{name}{ARG_CLOSE}"))
    }
    fn get(&self, urn: &str, selector: Option<&str>) -> Result<i64, String> {
        let key = match selector {
            Some(s) => format!("{urn}#{s}"),
            None => urn.to_string(),
        };
        // Derived from the URN, not from the order of the gets: the id also lands inside
        // strings (included templates), where it cannot be replaced by the URN afterwards.
        let id = GET_BASE + (fnv1a(key.as_bytes()) % 1_000_000_000_000) as i64;
        self.gets.borrow_mut().insert(key, id);
        Ok(id)
    }
    fn include(&self, path: &str, encoding: Encoding) -> Result<String, String> {
        let rel = path.trim_start_matches("./");
        let key = format!("provisioning/{rel}");
        let bytes = self
            .entries
            .get(&key)
            .ok_or_else(|| format!("`include` names `{path}`, which is not in the archive (`{key}`)"))?;
        match encoding {
            // The comparison only needs to see when an icon changes: a digest stands in for the
            // base64 data URI StackState would build.
            Encoding::Base64 => Ok(format!("data:digest;fnv1a64,{:016x}", fnv1a(bytes))),
            Encoding::Identity | Encoding::Handlebars => {
                String::from_utf8(bytes.clone()).map_err(|_| format!("`{key}` is not UTF-8 text"))
            }
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Read the name and version of a `stackpack.conf` (HOCON): top-level `key = value` lines, the
/// last one winning (the sbt build appends `version = x.y.z`).
pub fn conf_identity(conf: &str) -> (Option<String>, Option<String>) {
    let mut depth: i32 = 0;
    let (mut name, mut version) = (None, None);
    for line in conf.lines() {
        let t = strip_comment(line).trim();
        if depth == 0 {
            for (key, slot) in [("name", &mut name), ("version", &mut version)] {
                if let Some(rest) = t.strip_prefix(key) {
                    let rest = rest.trim_start();
                    if let Some(v) = rest.strip_prefix('=').or_else(|| rest.strip_prefix(':')) {
                        let v = v.trim().trim_end_matches(',').trim();
                        let v = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(v);
                        *slot = Some(v.to_string());
                    }
                }
            }
        }
        let mut in_str = false;
        for c in t.chars() {
            match c {
                '"' => in_str = !in_str,
                '{' | '[' if !in_str => depth += 1,
                '}' | ']' if !in_str => depth -= 1,
                _ => {}
            }
        }
    }
    (name, version)
}

/// A HOCON line without its `#` or `//` comment.
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => in_str = !in_str,
            b'#' if !in_str => return &line[..i],
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Render, parse and normalise every `.stj` of a build.
pub fn snapshot(entries: &Entries) -> Result<Snapshot, SnapshotError> {
    let mut snap = Snapshot::default();
    if let Some(conf) = entries.get("stackpack.conf") {
        let (name, version) = conf_identity(&String::from_utf8_lossy(conf));
        snap.name = name;
        snap.version = version.and_then(|v| Version::parse(&v).ok());
    }
    for (path, bytes) in entries {
        let Some(rest) = path.strip_prefix("provisioning/templates/") else {
            continue;
        };
        if !rest.ends_with(".stj") || rest.contains('/') {
            continue;
        }
        let err = |message: String| SnapshotError {
            entry: path.clone(),
            message,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| err("not UTF-8 text".into()))?;
        let ctx = Ctx {
            entries,
            gets: RefCell::new(BTreeMap::new()),
        };
        let rendered = template::render_import(text, &ctx).map_err(|e| err(e.message))?;
        let mut json: Value =
            serde_json::from_str(&rendered.text).map_err(|e| err(format!("does not render to JSON: {e}")))?;
        show_args(&mut json, false);
        let gets: BTreeMap<i64, String> = ctx.gets.into_inner().into_iter().map(|(k, v)| (v, k)).collect();
        collect_nodes(path, json, &gets, &mut snap.nodes).map_err(err)?;
    }
    Ok(snap)
}

fn collect_nodes(
    file: &str,
    json: Value,
    gets: &BTreeMap<i64, String>,
    out: &mut BTreeMap<String, NodeInfo>,
) -> Result<(), String> {
    let nodes = match json {
        Value::Object(mut o) => match o.remove("nodes") {
            Some(Value::Array(a)) => a,
            _ => return Err("has no `nodes` list".to_string()),
        },
        Value::Array(a) => a,
        _ => return Err("is neither an STJ envelope nor a list of nodes".to_string()),
    };
    // Pass 1: every object with an id gets a label (its identifier, or its place in its node).
    let mut labels: BTreeMap<i64, String> = BTreeMap::new();
    let mut keys = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let key = node_key(file, i, node);
        label_ids(node, &key, &mut labels);
        keys.push(key);
    }
    // Pass 2: drop ids, replace references.
    for (key, mut node) in keys.into_iter().zip(nodes) {
        let stj_type = node.get("_type").and_then(Value::as_str).unwrap_or("?").to_string();
        normalise(&mut node, &labels, gets);
        out.insert(
            key,
            NodeInfo {
                stj_type,
                file: file.to_string(),
                json: node,
            },
        );
    }
    Ok(())
}

fn node_key(file: &str, index: usize, node: &Value) -> String {
    if let Some(id) = node.get("identifier").and_then(Value::as_str) {
        return id.to_string();
    }
    let t = node.get("_type").and_then(Value::as_str).unwrap_or("?");
    match node.get("name").and_then(Value::as_str) {
        Some(n) => format!("{file}#{t}:{n}"),
        None => format!("{file}#{t}[{index}]"),
    }
}

fn label_ids(v: &Value, label: &str, labels: &mut BTreeMap<i64, String>) {
    match v {
        Value::Object(o) => {
            if let Some(id) = o.get("id").and_then(Value::as_i64) {
                labels.insert(id, label.to_string());
            }
            for (k, child) in o {
                let child_label = match child {
                    Value::Object(c) => format!("{label}/{}", sub_label(k, c)),
                    _ => format!("{label}/{k}"),
                };
                if let Value::Array(items) = child {
                    for (i, item) in items.iter().enumerate() {
                        let l = match item {
                            Value::Object(c) => format!("{label}/{k}[{}]", item_label(c, i)),
                            _ => format!("{label}/{k}[{i}]"),
                        };
                        label_ids(item, &l, labels);
                    }
                } else {
                    label_ids(child, &child_label, labels);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| label_ids(i, label, labels)),
        _ => {}
    }
}

fn sub_label(key: &str, o: &Map<String, Value>) -> String {
    match o.get("identifier").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => key.to_string(),
    }
}

/// A stable label for a list item: its identifier, name or type, else its position.
fn item_label(o: &Map<String, Value>, i: usize) -> String {
    for k in ["identifier", "name", "type"] {
        if let Some(s) = o.get(k).and_then(Value::as_str) {
            return s.to_string();
        }
    }
    i.to_string()
}

fn normalise(v: &mut Value, labels: &BTreeMap<i64, String>, gets: &BTreeMap<i64, String>) {
    match v {
        Value::Object(o) => {
            o.remove("id");
            for child in o.values_mut() {
                normalise(child, labels, gets);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| normalise(i, labels, gets)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i < 0 {
                    if let Some(l) = labels.get(&i) {
                        *v = Value::String(format!("→{l}"));
                    }
                } else if let Some(urn) = gets.get(&i) {
                    *v = Value::String(format!("→{urn}"));
                }
            }
        }
        _ => {}
    }
}

/// Compare two snapshots.
pub fn compare(old: &Snapshot, new: &Snapshot, old_label: &str, new_label: &str) -> Report {
    let mut changes = Vec::new();
    let mut removed: Vec<(&String, &NodeInfo)> = Vec::new();
    let mut added: Vec<(&String, &NodeInfo)> = Vec::new();
    for (id, o) in &old.nodes {
        match new.nodes.get(id) {
            None => removed.push((id, o)),
            Some(n) if n.stj_type != o.stj_type => changes.push(Change {
                identifier: id.clone(),
                stj_type: n.stj_type.clone(),
                shared: NodeInfo::shared(id),
                kind: ChangeKind::KindChanged {
                    old_type: o.stj_type.clone(),
                },
                bump: Bump::Major,
                reason: format!("its type changed from {} to {}", o.stj_type, n.stj_type),
            }),
            Some(n) if n.json != o.json => {
                let fields = differing_fields(&o.json, &n.json);
                changes.push(Change {
                    identifier: id.clone(),
                    stj_type: n.stj_type.clone(),
                    shared: NodeInfo::shared(id),
                    reason: format!("changed: {}", fields.join(", ")),
                    kind: ChangeKind::Changed { fields },
                    bump: Bump::Patch,
                });
            }
            Some(_) => {}
        }
    }
    for (id, n) in &new.nodes {
        if !old.nodes.contains_key(id) {
            added.push((id, n));
        }
    }
    // A removed and an added node with the same type and content: re-keyed.
    let mut used_added = BTreeSet::new();
    let mut rekeyed_removed = BTreeSet::new();
    for (rid, r) in &removed {
        let found = added.iter().find(|(aid, a)| {
            !used_added.contains(*aid)
                && a.stj_type == r.stj_type
                && without_identity(&a.json) == without_identity(&r.json)
        });
        if let Some((aid, a)) = found {
            used_added.insert((*aid).clone());
            rekeyed_removed.insert((*rid).clone());
            let shared = NodeInfo::shared(rid);
            changes.push(Change {
                identifier: (*aid).clone(),
                stj_type: a.stj_type.clone(),
                shared,
                kind: ChangeKind::Rekeyed {
                    old_identifier: (*rid).clone(),
                },
                bump: if shared { Bump::Major } else { Bump::Minor },
                reason: if shared {
                    "a shared node was re-keyed: whatever refers to the old identifier breaks".to_string()
                } else {
                    "an instance node was re-keyed".to_string()
                },
            });
        }
    }
    for (rid, r) in &removed {
        if rekeyed_removed.contains(*rid) {
            continue;
        }
        let shared = NodeInfo::shared(rid);
        changes.push(Change {
            identifier: (*rid).clone(),
            stj_type: r.stj_type.clone(),
            shared,
            kind: ChangeKind::Removed,
            bump: if shared { Bump::Major } else { Bump::Minor },
            reason: if shared {
                "a shared node was removed: whatever refers to it breaks".to_string()
            } else {
                "an instance node was removed".to_string()
            },
        });
    }
    for (aid, a) in &added {
        if used_added.contains(*aid) {
            continue;
        }
        changes.push(Change {
            identifier: (*aid).clone(),
            stj_type: a.stj_type.clone(),
            shared: NodeInfo::shared(aid),
            kind: ChangeKind::Added,
            bump: Bump::Minor,
            reason: "a node was added".to_string(),
        });
    }
    changes.sort_by(|a, b| b.bump.cmp(&a.bump).then_with(|| a.identifier.cmp(&b.identifier)));
    let required = changes.iter().map(|c| c.bump).max().unwrap_or(Bump::None);
    let (actual, ok) = verdict(old.version.as_ref(), new.version.as_ref(), required);
    Report {
        old: side(old, old_label),
        new: side(new, new_label),
        minimum_version: old.version.as_ref().map(|o| required.next(o).to_string()),
        changes,
        required,
        actual,
        ok,
    }
}

fn side(s: &Snapshot, label: &str) -> Side {
    Side {
        label: label.to_string(),
        name: s.name.clone(),
        version: s.version.as_ref().map(|v| v.to_string()),
    }
}

fn without_identity(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(o) = &mut v {
        o.remove("identifier");
    }
    v
}

fn differing_fields(old: &Value, new: &Value) -> Vec<String> {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| k.to_string())
                .collect()
        }
        _ => vec!["(whole node)".to_string()],
    }
}

/// The required-bump sentence of a report.
pub fn required_reason(r: &Report) -> String {
    match r.changes.iter().find(|c| c.bump == r.required) {
        Some(c) if r.required != Bump::None => c.reason.clone(),
        _ => "no node changed".to_string(),
    }
}

/// What [`render_human_with`] shows.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// Show each node's scope (`shared`/`instance`): 1.x packs have both; StackPack 2.0 has no
    /// instance scope, so its reports leave it out.
    pub scope: bool,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions { scope: true }
    }
}

/// Human rendering of a report (of 1.x packs: with the node scopes).
pub fn render_human(r: &Report) -> String {
    render_human_with(r, HumanOptions::default())
}

/// Human rendering of a report, with `opts`.
pub fn render_human_with(r: &Report, opts: HumanOptions) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let who = |side: &Side| {
        format!(
            "{} {} ({})",
            side.name.as_deref().unwrap_or("?"),
            side.version.as_deref().unwrap_or("?"),
            side.label
        )
    };
    let _ = writeln!(s, "old: {}", who(&r.old));
    let _ = writeln!(s, "new: {}", who(&r.new));
    if r.old.name.is_some() && r.new.name.is_some() && r.old.name != r.new.name {
        let _ = writeln!(s, "note: these are builds of two different packs");
    }
    type Pick = fn(&ChangeKind) -> bool;
    let sections: [(&str, &str, Pick); 5] = [
        ("removed", "-", |k| matches!(k, ChangeKind::Removed)),
        ("re-keyed", "~", |k| matches!(k, ChangeKind::Rekeyed { .. })),
        ("kind changed", "!", |k| matches!(k, ChangeKind::KindChanged { .. })),
        ("added", "+", |k| matches!(k, ChangeKind::Added)),
        ("changed", "*", |k| matches!(k, ChangeKind::Changed { .. })),
    ];
    if r.changes.is_empty() {
        let _ = writeln!(s, "\nno node changed");
    }
    for (title, mark, pick) in sections {
        let items: Vec<&Change> = r.changes.iter().filter(|c| pick(&c.kind)).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title} ({}):", items.len());
        for c in items {
            let scope = match (opts.scope, c.shared) {
                (false, _) => "",
                (true, true) => " shared",
                (true, false) => " instance",
            };
            let detail = match &c.kind {
                ChangeKind::Changed { fields } => format!(" [{}]", fields.join(", ")),
                ChangeKind::KindChanged { old_type } => format!(" (was {old_type})"),
                ChangeKind::Rekeyed { old_identifier } => format!(" (was {old_identifier})"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {mark} {} {}{scope}{detail}  → {}",
                c.identifier,
                c.stj_type,
                c.bump.as_str()
            );
        }
    }
    let _ = writeln!(s);
    let versions_equal = r.old.version.is_some() && r.old.version == r.new.version;
    if r.changes.is_empty() && r.ok && versions_equal {
        // Identical inputs: say so plainly (no "did not go up": nothing needs to).
        let _ = writeln!(
            s,
            "nothing changed: no version bump is needed (both are {})",
            r.new.version.as_deref().unwrap_or("?")
        );
        let _ = writeln!(s, "verdict: ok");
        return s;
    }
    let _ = writeln!(s, "required bump: {} ({})", r.required.as_str(), required_reason(r));
    let versions = format!(
        "{} → {}",
        r.old.version.as_deref().unwrap_or("?"),
        r.new.version.as_deref().unwrap_or("?")
    );
    let unversioned = [&r.old, &r.new].into_iter().find(|side| side.version.is_none());
    match (r.actual, unversioned) {
        (_, Some(side)) => {
            let _ = writeln!(
                s,
                "actual bump:   unknown: `{}` has no version ({versions}; a classic source tree's conf usually has none, its build appended it)",
                side.label
            );
        }
        (Some(a), None) => {
            let _ = writeln!(s, "actual bump:   {} ({versions})", a.as_str());
        }
        (None, None) => {
            let _ = writeln!(s, "actual bump:   none: the version did not go up ({versions})");
        }
    }
    if unversioned.is_some() {
        let _ = writeln!(
            s,
            "{}",
            if r.ok {
                "verdict: ok (nothing that needs a release changed)".to_string()
            } else {
                format!(
                    "verdict: the bump cannot be checked without both versions: the changes need a {} release",
                    r.required.as_str()
                )
            }
        );
    } else if r.ok {
        let _ = writeln!(s, "verdict: ok");
    } else {
        let _ = writeln!(
            s,
            "verdict: the version bump is too small: release {} or later",
            r.minimum_version.as_deref().unwrap_or("a greater version")
        );
    }
    s
}

/// One line per change, for notes and plain listings.
pub fn describe(c: &Change) -> String {
    let scope = if c.shared { "shared" } else { "instance" };
    match &c.kind {
        ChangeKind::Added => format!("added {scope} {} {}", c.stj_type, c.identifier),
        ChangeKind::Removed => format!("removed {scope} {} {}", c.stj_type, c.identifier),
        ChangeKind::Changed { fields } => {
            format!(
                "changed {scope} {} {} ({})",
                c.stj_type,
                c.identifier,
                fields.join(", ")
            )
        }
        ChangeKind::KindChanged { old_type } => {
            format!("{} changed type from {old_type} to {}", c.identifier, c.stj_type)
        }
        ChangeKind::Rekeyed { old_identifier } => {
            format!("re-keyed {scope} {} {old_identifier} → {}", c.stj_type, c.identifier)
        }
    }
}

/// The `--baseline` findings of `lint` and `build`: compare the baseline build with this pack's
/// build and check the manifest's version bump. `old`/`new` are the two builds' snapshots (or why
/// they could not be made).
pub fn baseline_findings(
    pack: &Pack,
    baseline_label: &str,
    old: Result<Snapshot, String>,
    new: Result<Snapshot, String>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let (old, mut new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) => {
            diags.push(
                Diagnostic::at_path(
                    &rules::BASELINE_UNREADABLE,
                    baseline_label,
                    format!("the baseline cannot be read: {e}"),
                )
                .help("pass the previous release's `.sts` archive or pack directory"),
            );
            return diags;
        }
        (_, Err(e)) => {
            diags.push(
                Diagnostic::new(
                    &rules::BASELINE_UNREADABLE,
                    pack.manifest.version.span,
                    format!("the pack cannot be compared with the baseline: {e}"),
                )
                .help("fix the build errors first"),
            );
            return diags;
        }
    };
    // The version being released is the manifest's.
    new.version = Some(pack.manifest.version.value.clone());
    let name = &pack.manifest.name.value;
    if let Some(other) = old.name.as_ref().filter(|n| *n != name) {
        diags.push(
            Diagnostic::new(
                &rules::BASELINE_UNREADABLE,
                pack.manifest.name.span,
                format!("the baseline is the pack `{other}`, not `{name}`: there is nothing to compare"),
            )
            .help("pass a previous release of this pack"),
        );
        return diags;
    }
    let Some(old_version) = old.version.clone() else {
        diags.push(
            Diagnostic::at_path(
                &rules::BASELINE_UNREADABLE,
                baseline_label,
                "the baseline's stackpack.conf has no semver `version`",
            )
            .help("pass a released `.sts` archive or a pack directory with a version"),
        );
        return diags;
    };
    let report = compare(&old, &new, baseline_label, "this pack");
    let span = pack.manifest.version.span;
    let version = &pack.manifest.version.value;
    let summary = summary(&report);
    let Some(actual) = report.actual else {
        diags.push(
            Diagnostic::new(
                &rules::VERSION_NOT_INCREASED,
                span,
                format!("version {version} is not greater than the baseline's {old_version}"),
            )
            .label("versions only go up")
            .help(format!(
                "release {} or later ({summary})",
                report.minimum_version.as_deref().unwrap_or("a greater version")
            )),
        );
        return diags;
    };
    if !report.ok {
        let what = match actual {
            Bump::None => format!("version {version} is the same release as the baseline's {old_version}"),
            a => format!(
                "version {version} is a {} bump over the baseline's {old_version}",
                a.as_str()
            ),
        };
        let mut d = Diagnostic::new(
            &rules::BUMP_TOO_SMALL,
            span,
            format!("{what}, but the changes need a {} bump", report.required.as_str()),
        )
        .label(format!(
            "needs {} or later",
            report.minimum_version.as_deref().unwrap_or("?")
        ))
        .help(format!(
            "release {} or later, or undo the changes below",
            report.minimum_version.as_deref().unwrap_or("a greater version")
        ))
        .note("StackState treats StackPacks with the same major version as upgrade-compatible");
        for c in report.changes.iter().filter(|c| c.bump > actual).take(10) {
            d = d.note(format!("{} ({} bump: {})", describe(c), c.bump.as_str(), c.reason));
        }
        diags.push(d);
        return diags;
    }
    let mut d = Diagnostic::new(
        &rules::BASELINE_CHANGES,
        span,
        format!(
            "compared with the baseline {old_version}: {summary}; the {} bump is enough",
            actual.as_str()
        ),
    )
    .label(format!("needs at least a {} bump", report.required.as_str()));
    for c in report.changes.iter().take(10) {
        d = d.note(describe(c));
    }
    if report.changes.len() > 10 {
        d = d.note(format!(
            "… and {} more (run `stackpack diff`)",
            report.changes.len() - 10
        ));
    }
    diags.push(d);
    diags
}

/// "1 removed, 2 changed" / "no node changed".
pub fn summary(r: &Report) -> String {
    let count = |f: fn(&ChangeKind) -> bool| r.changes.iter().filter(|c| f(&c.kind)).count();
    let parts = [
        (count(|k| matches!(k, ChangeKind::Added)), "added"),
        (count(|k| matches!(k, ChangeKind::Removed)), "removed"),
        (count(|k| matches!(k, ChangeKind::Rekeyed { .. })), "re-keyed"),
        (
            count(|k| matches!(k, ChangeKind::KindChanged { .. })),
            "with a new type",
        ),
        (count(|k| matches!(k, ChangeKind::Changed { .. })), "changed"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    if words.is_empty() {
        "no node changed".to_string()
    } else {
        words.join(", ")
    }
}

/// `--baseline PATH` for `lint` and `build`: build both sides and compare.
pub fn check_baseline(pack: &Pack, baseline: &Path) -> Diagnostics {
    let label = baseline.display().to_string();
    let old = entries_of(baseline).and_then(|e| snapshot(&e).map_err(|e| e.to_string()));
    let new = pack_entries(pack).and_then(|e| snapshot(&e).map_err(|e| e.to_string()));
    baseline_findings(pack, &label, old, new)
}

/// The entries of a build: a `.sts` archive, a pack directory compiled in memory, or a classic
/// 1.0 source tree (its files are what its archive holds).
pub fn entries_of(path: &Path) -> Result<Entries, String> {
    if path.is_dir() && crate::classic::is_classic(path) {
        let mut diags = Diagnostics::new();
        return match crate::classic::pack::Files::open(path, &mut diags) {
            Ok(Some(files)) => Ok(files.files),
            Ok(None) => Err(format!("`{}` cannot be read as a classic pack", path.display())),
            Err(e) => Err(e.to_string()),
        };
    }
    if path.is_dir() {
        let mut diags = Diagnostics::new();
        let pack = match crate::model::load_pack(path, &mut diags) {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => {
                return Err(format!(
                    "`{}` is not a loadable pack (run `stackpack lint` on it)",
                    path.display()
                ))
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        return pack_entries(&pack);
    }
    read_archive_entries(path)
}

/// Compile `pack` in memory (default options: no template overrides, no release notes; the
/// comparison only reads `stackpack.conf` and the `.stj` files with what they include).
pub fn pack_entries(pack: &Pack) -> Result<Entries, String> {
    match crate::compile::compile(pack, &crate::compile::CompileOptions::default()) {
        Ok(c) => c
            .entries
            .into_iter()
            .map(|e| match e.data {
                crate::archive::Data::Bytes(b) => Ok((e.path, b)),
                file => file.to_vec().map(|b| (e.path, b)).map_err(|err| err.to_string()),
            })
            .collect(),
        Err(d) => Err(format!(
            "`{}` does not compile ({} errors: run `stackpack build` to see them)",
            pack.root.display(),
            d.count(crate::diag::Severity::Error)
        )),
    }
}

/// A `.sts` archive read with the safe reader (entry-name checks, size caps).
fn read_archive_entries(path: &Path) -> Result<Entries, String> {
    let mut diags = Diagnostics::new();
    let limits = crate::archive::read::Limits::from_env();
    match crate::archive::read::read_archive(path, &limits, &mut diags) {
        Ok(Some(entries)) => Ok(entries.into_iter().map(|e| (e.path, e.bytes)).collect()),
        Ok(None) => {
            let why: Vec<String> = diags
                .iter()
                .filter(|d| d.severity == crate::diag::Severity::Error)
                .map(|d| format!("[{}] {}", d.code, d.message))
                .collect();
            Err(format!(
                "{}: the archive is refused: {}",
                path.display(),
                why.join("; ")
            ))
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The bump between two versions and whether it covers `required`; shared by every format's
/// diff. Nothing changed and the version stayed (`diff X X`): nothing needs a release.
/// What a bump of size `actual` from `old` may carry. From 1.0.0 on, itself; before it, the
/// Cargo convention `release` follows: `0.3.1 → 0.4.0` may break, `0.3.1 → 0.3.2` may add.
fn covers(old: &semver::Version, actual: Bump) -> Bump {
    match (old.major, actual) {
        (0, Bump::Minor) => Bump::Major,
        (0, Bump::Patch) => Bump::Minor,
        _ => actual,
    }
}

pub fn verdict(old: Option<&semver::Version>, new: Option<&semver::Version>, required: Bump) -> (Option<Bump>, bool) {
    let actual = match (old, new) {
        (Some(o), Some(n)) => Bump::between(o, n),
        _ => None,
    };
    let ok = match (old, new, actual) {
        (Some(o), Some(_), Some(a)) => covers(o, a) >= required,
        (Some(o), Some(n), None) => required == Bump::None && o == n,
        // A side without a version (a classic source tree: its build appended it) cannot be
        // judged; nothing changed needs no bump either way.
        _ => required == Bump::None,
    };
    (actual, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(conf_version: &str, stj: &str, extra: &[(&str, &str)]) -> Entries {
        let mut e = Entries::new();
        e.insert(
            "stackpack.conf".into(),
            format!("name = \"p\"\ndisplayName = \"P\"\nintegrations = [{{ version = \"9.9.9\" }}]\nversion = {conf_version}\n")
                .into_bytes(),
        );
        e.insert("provisioning/templates/p.stj".into(), stj.as_bytes().to_vec());
        e.insert(
            "provisioning/templates/host.json.handlebars".into(),
            HOST.as_bytes().to_vec(),
        );
        for (k, v) in extra {
            e.insert((*k).into(), v.as_bytes().to_vec());
        }
        e
    }

    const BASE: &str = r#"{"_version":"1.0.0","timestamp":1,"nodes":[
      {"_type":"CheckFunction","id":-1,"name":"disk","identifier":"urn:stackpack:p:shared:check-function:disk",
       "parameters":[{"_type":"Parameter","id":-2,"name":"value","type":"METRIC_STREAM"}],"script":"{{ include "scripts/disk.groovy" "identity" }}"},
      {"_type":"ComponentTemplateFunction","id":-3,"name":"host","identifier":"urn:stackpack:p:shared:component-template-function:host",
       "parameters":[{"_type":"Parameter","id":-4,"name":"element"}],"handlebarsTemplate":"{{ include "templates/host.json.handlebars" }}"},
      {"_type":"Sync","id":-5,"name":"s","identifier":"urn:stackpack:p:instance:{{instanceId}}:sync:s","fn":-3}
    ]}"#;

    const HOST: &str =
        r#"{ "check": "\{{ get "urn:x" \}}", "layer": {{ get "urn:stackpack:common:layer:machines" }} }"#;

    fn snap(e: &Entries) -> Snapshot {
        match snapshot(e) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_classic_source_tree_is_compared_and_its_missing_version_is_not_a_too_small_bump() {
        // A classic tree as published repositories keep it: the conf has no `version` (the
        // build appended it).
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut files = entries("1.0.0", BASE, &[("provisioning/scripts/disk.groovy", "return 1")]);
        files.insert(
            "stackpack.conf".into(),
            b"name = \"p\"\ndisplayName = \"P\"\nintegrations = [{ version = \"9.9.9\" }]\n".to_vec(),
        );
        for (rel, bytes) in &files {
            let path = tmp.path().join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        }
        let tree = match entries_of(tmp.path()) {
            Ok(e) => snap(&e),
            Err(e) => panic!("{e}"),
        };
        assert_eq!((tree.version.clone(), tree.nodes.len()), (None, 3));
        let built = snap(&entries(
            "1.0.0",
            BASE,
            &[("provisioning/scripts/disk.groovy", "return 1")],
        ));
        let r = compare(&tree, &built, "tree", "built.sts");
        assert!(r.changes.is_empty() && r.ok, "{r:?}");
        let text = render_human(&r);
        assert!(text.contains("unknown: `tree` has no version"), "{text}");
        assert!(text.contains("verdict: ok"), "{text}");
        // With a change, the verdict says what the changes need instead of "too small".
        let fewer = BASE.replace(
            r#"      {"_type":"Sync","id":-5,"name":"s","identifier":"urn:stackpack:p:instance:{{instanceId}}:sync:s","fn":-3}"#,
            "",
        );
        let fewer = fewer.replace(
            "\"handlebarsTemplate\":\"{{ include \"templates/host.json.handlebars\" }}\"},",
            "\"handlebarsTemplate\":\"{{ include \"templates/host.json.handlebars\" }}\"}",
        );
        let changed = snap(&entries(
            "1.0.0",
            &fewer,
            &[("provisioning/scripts/disk.groovy", "return 1")],
        ));
        let r = compare(&tree, &changed, "tree", "built.sts");
        assert!(!r.changes.is_empty() && !r.ok, "{r:?}");
        let text = render_human(&r);
        assert!(text.contains("cannot be checked without both versions"), "{text}");
        assert!(!text.contains("too small"), "{text}");
    }

    #[test]
    fn before_1_0_0_the_verdict_follows_the_release_convention() {
        // `release` makes 0.3.2 of a feature and 0.4.0 of a breaking change: `diff` (and
        // --baseline) must accept what `release` makes, and ask for what it would make.
        let v = |s: &str| Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        for (bump, cl) in [
            (Bump::Major, crate::changelog::Bump::Major),
            (Bump::Minor, crate::changelog::Bump::Minor),
            (Bump::Patch, crate::changelog::Bump::Patch),
        ] {
            for old in ["0.3.1", "0.0.6", "1.2.3"] {
                assert_eq!(
                    bump.next(&v(old)),
                    crate::changelog::next_version(&v(old), cl),
                    "{old} {bump:?}"
                );
            }
        }
        assert_eq!(
            verdict(Some(&v("0.3.1")), Some(&v("0.4.0")), Bump::Major),
            (Some(Bump::Minor), true)
        );
        assert_eq!(
            verdict(Some(&v("0.3.1")), Some(&v("0.3.2")), Bump::Minor),
            (Some(Bump::Patch), true)
        );
        assert_eq!(
            verdict(Some(&v("0.3.1")), Some(&v("0.3.2")), Bump::Major),
            (Some(Bump::Patch), false)
        );
        assert_eq!(
            verdict(Some(&v("1.3.1")), Some(&v("1.3.2")), Bump::Minor),
            (Some(Bump::Patch), false)
        );
    }

    #[test]
    fn renumbering_is_not_a_change_and_references_become_identifiers() {
        let a = snap(&entries(
            "1.0.0",
            BASE,
            &[("provisioning/scripts/disk.groovy", "return 1")],
        ));
        let renumbered = BASE.replace("-3", "-30").replace("-1,", "-10,");
        let b = snap(&entries(
            "1.0.1",
            &renumbered,
            &[("provisioning/scripts/disk.groovy", "return 1")],
        ));
        assert_eq!(
            a.version,
            Some(Version::new(1, 0, 0)),
            "the last top-level version wins"
        );
        assert_eq!(a.nodes.len(), 3);
        let sync = a
            .nodes
            .get("urn:stackpack:p:instance:{{instanceId}}:sync:s")
            .map(|n| &n.json);
        assert_eq!(
            sync.and_then(|j| j.get("fn")),
            Some(&Value::String(
                "→urn:stackpack:p:shared:component-template-function:host".into()
            ))
        );
        let tpl = a.nodes.get("urn:stackpack:p:shared:component-template-function:host");
        let body = tpl
            .and_then(|n| n.json.get("handlebarsTemplate"))
            .and_then(Value::as_str)
            .unwrap_or("");
        assert!(body.contains("{{ get \"urn:x\" }}"), "sync tags unescaped: {body}");
        let r = compare(&a, &b, "a", "b");
        assert!(r.changes.is_empty(), "{:?}", r.changes);
        assert_eq!((r.required, r.actual, r.ok), (Bump::None, Some(Bump::Patch), true));
    }

    #[test]
    fn removed_shared_node_is_breaking() {
        let a = snap(&entries(
            "1.0.0",
            BASE,
            &[("provisioning/scripts/disk.groovy", "return 1")],
        ));
        let without = BASE.replacen(
            r#"{"_type":"CheckFunction","id":-1,"name":"disk","identifier":"urn:stackpack:p:shared:check-function:disk",
       "parameters":[{"_type":"Parameter","id":-2,"name":"value","type":"METRIC_STREAM"}],"script":"{{ include "scripts/disk.groovy" "identity" }}"},"#,
            "",
            1,
        );
        assert_ne!(without, BASE);
        let b = snap(&entries("1.1.0", &without, &[]));
        let r = compare(&a, &b, "a", "b");
        assert_eq!(r.changes.len(), 1);
        assert_eq!(r.changes[0].kind, ChangeKind::Removed);
        assert_eq!((r.required, r.actual, r.ok), (Bump::Major, Some(Bump::Minor), false));
        assert_eq!(r.minimum_version.as_deref(), Some("2.0.0"));
        let text = render_human(&r);
        assert!(
            text.contains("- urn:stackpack:p:shared:check-function:disk CheckFunction shared  → major"),
            "{text}"
        );
        assert!(text.contains("release 2.0.0 or later"), "{text}");
    }

    #[test]
    fn added_changed_kind_changed_and_rekeyed() {
        let scripts = [("provisioning/scripts/disk.groovy", "return 1")];
        let a = snap(&entries("1.0.0", BASE, &scripts));
        // Script content change → the check function changed (patch).
        let b = snap(&entries(
            "1.0.1",
            BASE,
            &[("provisioning/scripts/disk.groovy", "return 2")],
        ));
        let r = compare(&a, &b, "a", "b");
        assert_eq!(r.changes.len(), 1);
        assert_eq!(
            r.changes[0].kind,
            ChangeKind::Changed {
                fields: vec!["script".into()]
            }
        );
        assert!(r.ok);
        // Added node → minor.
        let added = BASE.replace(
            "\n    ]}",
            r#",{"_type":"Layer","id":-9,"name":"l","identifier":"urn:stackpack:p:shared:layer:l"}
    ]}"#,
        );
        let c = snap(&entries("1.0.1", &added, &scripts));
        let r = compare(&a, &c, "a", "c");
        assert_eq!((r.required, r.ok), (Bump::Minor, false));
        // Kind changed → major.
        let retyped = BASE.replace(r#""_type":"Sync""#, r#""_type":"QueryView""#);
        let d = snap(&entries("2.0.0", &retyped, &scripts));
        let r = compare(&a, &d, "a", "d");
        assert!(matches!(r.changes[0].kind, ChangeKind::KindChanged { .. }));
        assert_eq!((r.required, r.ok), (Bump::Major, true));
        // Re-keyed shared node → major, reported once.
        let rekeyed = BASE.replace("check-function:disk", "check-function:disk-space");
        let e = snap(&entries("1.1.0", &rekeyed, &scripts));
        let r = compare(&a, &e, "a", "e");
        assert_eq!(r.changes.len(), 1, "{:?}", r.changes);
        assert!(
            matches!(&r.changes[0].kind, ChangeKind::Rekeyed { old_identifier } if old_identifier.ends_with(":disk"))
        );
        assert_eq!(r.required, Bump::Major);
    }

    #[test]
    fn version_must_go_up() {
        assert_eq!(Bump::between(&Version::new(1, 2, 3), &Version::new(1, 2, 3)), None);
        assert_eq!(Bump::between(&Version::new(1, 2, 3), &Version::new(1, 1, 9)), None);
        let pre = Version::parse("2.0.0-rc.1").unwrap_or(Version::new(0, 0, 0));
        assert_eq!(Bump::between(&Version::new(1, 2, 3), &pre), Some(Bump::Major));
        let a = snap(&entries("1.0.0", BASE, &[("provisioning/scripts/disk.groovy", "x")]));
        let b = snap(&entries("1.0.0", BASE, &[("provisioning/scripts/disk.groovy", "x")]));
        // Identical builds: nothing needs a release (`diff X X` exits 0).
        let r = compare(&a, &b, "a", "b");
        assert!(r.ok && r.actual.is_none());
        let text = render_human(&r);
        assert!(
            text.contains("nothing changed: no version bump is needed (both are 1.0.0)")
                && !text.contains("did not go up")
                && text.ends_with("verdict: ok\n"),
            "{text}"
        );
        // A change under the same version does not pass.
        let c = snap(&entries("1.0.0", BASE, &[("provisioning/scripts/disk.groovy", "y")]));
        let r = compare(&a, &c, "a", "c");
        assert!(!r.ok && r.actual.is_none(), "{r:?}");
    }

    #[test]
    fn bad_entries_are_errors() {
        let e = entries("1.0.0", "{ \"nodes\": [ ", &[]);
        assert!(snapshot(&e).is_err_and(|e| e.entry == "provisioning/templates/p.stj"));
        let e = entries("1.0.0", BASE, &[]); // the included script is missing
        assert!(snapshot(&e).is_err_and(|e| e.message.contains("scripts/disk.groovy")));
    }

    #[test]
    fn conf_identity_reads_top_level_keys_only() {
        let (n, v) = conf_identity("name: \"x\"\nintegrations = [\n { version = \"1\" }\n]\nversion = 2.0.0 # c\n");
        assert_eq!((n.as_deref(), v.as_deref()), (Some("x"), Some("2.0.0")));
    }
}
