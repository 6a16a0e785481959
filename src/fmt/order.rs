//! The canonical key order of a pack's sources, from the format docs.
//!
//! What a file is (its [`Role`]) is decided by its path; what order applies inside it by a
//! context ([`Ctx`]) that follows the structure from the file's root: the top level, a node of
//! a kind, a sync action, a 2.0 node of a `_type`, … A context gives the ranked keys of its
//! mapping ([`keys`]) and the contexts of its values ([`child`]). Keys a context does not rank
//! (unknown keys, free maps like `[dependencies]`) keep their written order after the ranked
//! ones.
//!
//! The orders:
//! - `stackpack.toml` (docs/format.md §2): the top-level keys of §2.1 in table order, then the
//!   tables in the order of §2.2–2.8 (`dependencies`, `pages`, `faqs`, `integrations`, `steps`,
//!   `provisioning`, `archive`, `lint`), each table's keys in its documented order.
//! - node files (§3, §4): the kind sections in [`NodeKind::ALL`] order; inside a node the
//!   fields every node has (`id`, `name`, `description`, `identifier`, `scope`), then the
//!   kind's own fields in the order of its table; sync actions, check-function parameters,
//!   view `grouping` and `health` likewise.
//! - changelog (docs/changelog.md): fragments and entries `kind`, `text`, `items`, `bump`;
//!   releases `version`, `date`, `labels`, `min-stackstate-version`, `dependencies`,
//!   `entries`; `changelog.yaml` `title`, `labels`, `headings`.
//! - 2.0 (docs/v2.md): `stackpack.yaml` in the key order of the format reference (§2),
//!   `configurationUrls` in the instance-state order; `.sty` nodes and their nested objects in
//!   the field order of `data/v2-schema.toml` for their `_type`; `stackpack-targets.toml`
//!   `[server]` `min`, `max`.

use crate::model::NodeKind;
use std::path::Path;

/// What a source file is, by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `stackpack.toml`.
    Manifest,
    /// `stackpack-targets.toml` (2.0).
    Targets,
    /// A YAML file below `nodes/`.
    V1Nodes,
    /// `changelog/unreleased/*.yaml`.
    Fragment,
    /// `changelog/releases/*.yaml`.
    Release,
    /// `changelog/changelog.yaml`.
    ChangelogSettings,
    /// A 2.0 `stackpack.yaml`.
    V2Pack,
    /// A 2.0 `settings/**/*.sty`.
    V2Settings,
    /// Anything else: formatted, keys kept in written order.
    Other,
}

/// The role of the file at `path`.
pub fn role_of(path: &Path) -> Role {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let yaml = ext == "yaml" || ext == "yml";
    match name {
        "stackpack.toml" => return Role::Manifest,
        "stackpack-targets.toml" => return Role::Targets,
        "stackpack.yaml" => return Role::V2Pack,
        "changelog.yaml" => return Role::ChangelogSettings,
        _ => {}
    }
    if ext == "sty" {
        return Role::V2Settings;
    }
    if yaml && parent == "unreleased" {
        return Role::Fragment;
    }
    if yaml && parent == "releases" {
        return Role::Release;
    }
    if yaml
        && path
            .parent()
            .is_some_and(|p| p.components().any(|c| c.as_os_str() == "nodes"))
    {
        return Role::V1Nodes;
    }
    Role::Other
}

/// Where in a file a mapping is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// No order: keys stay as written, and so does everything below.
    Keep,
    ManifestRoot,
    /// A manifest table (`[pages]`, one `[[steps]]`, …) by its name.
    ManifestTable(&'static str),
    TargetsRoot,
    TargetsServer,
    V1Root,
    V1Node(NodeKind),
    V1Action,
    V1Parameter,
    V1Grouping,
    V1Health,
    /// A changelog entry (a fragment, an item of `entries:`).
    Entry,
    Release,
    ChangelogSettings,
    V2Pack,
    V2ConfigurationUrls,
    V2Root,
    /// A 2.0 object of a schema type (`Monitor`, `union:Projection`, …).
    V2Type(&'static str),
}

/// The context of a file's root.
pub fn root(role: Role) -> Ctx {
    match role {
        Role::Manifest => Ctx::ManifestRoot,
        Role::Targets => Ctx::TargetsRoot,
        Role::V1Nodes => Ctx::V1Root,
        Role::Fragment => Ctx::Entry,
        Role::Release => Ctx::Release,
        Role::ChangelogSettings => Ctx::ChangelogSettings,
        Role::V2Pack => Ctx::V2Pack,
        Role::V2Settings => Ctx::V2Root,
        Role::Other => Ctx::Keep,
    }
}

const MANIFEST_KEYS: &[&str] = &[
    "name",
    "display-name",
    "version",
    "min-stackstate-version",
    "max-stackstate-version",
    "categories",
    "logo",
    "release-status",
    "is-new",
    "multi-instance",
    "docs-url",
    "release-notes",
    "changelog",
];

/// The manifest's tables, in the order of docs/format.md §2.2–2.8.
pub const MANIFEST_TABLES: &[&str] = &[
    "dependencies",
    "pages",
    "faqs",
    "integrations",
    "steps",
    "provisioning",
    "archive",
    "lint",
];

const COMMON_NODE_FIELDS: &[&str] = &["id", "name", "description", "identifier", "scope"];

fn kind_fields(kind: NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::ComponentType => &["icon"],
        NodeKind::RelationType => &["dependency-direction"],
        NodeKind::Layer | NodeKind::Domain | NodeKind::Environment => &["order"],
        NodeKind::IdExtractor | NodeKind::ComponentMapping | NodeKind::RelationMapping => {
            &["script", "parameter", "import-variables"]
        }
        NodeKind::ComponentTemplate | NodeKind::RelationTemplate => &["template", "parameter", "system-parameter"],
        NodeKind::CheckFunction => &["script", "parameters", "returns", "import-variables"],
        NodeKind::DataSource => &[
            "topic",
            "integration-type",
            "auto-expire-elements",
            "expire-elements-after-ms",
            "cleanup-expired-elements",
            "cleanup-interval-ms",
            "max-batch-size",
            "max-batches-per-second",
            "ui-request-timeout-ms",
        ],
        NodeKind::Sync => &[
            "data-source",
            "component-id-extractor",
            "relation-id-extractor",
            "component-actions",
            "relation-actions",
            "default-component-action",
            "default-relation-action",
        ],
        NodeKind::View => &["query", "grouping", "show-indirect-relations", "health"],
        NodeKind::Stj => &["type", "fields"],
    }
}

/// The ranked keys of a mapping in `ctx`. `type_name` is the mapping's own `_type` value, which
/// selects the 2.0 struct of a union.
pub fn keys(ctx: Ctx, type_name: Option<&str>) -> Vec<&'static str> {
    let fixed: &[&str] = match ctx {
        Ctx::Keep => &[],
        Ctx::ManifestRoot => MANIFEST_KEYS,
        Ctx::ManifestTable(t) => match t {
            "pages" => &[
                "overview",
                "detailed-overview",
                "upgrade-instructions",
                "not-installed",
                "provisioning",
                "waiting-for-data",
                "installed",
                "deprovisioning",
                "error",
            ],
            "faqs" => &["question", "answer"],
            "integrations" => &[
                "name",
                "display-name",
                "version",
                "is-new",
                "logo",
                "categories",
                "overview",
            ],
            "steps" => &["name", "display", "type", "default"],
            "provisioning" => &[
                "class",
                "script",
                "shared-template",
                "instance-template",
                "instance-type",
                "topic-step",
                "variables",
            ],
            "archive" => &["include"],
            "lint" => &["allow"],
            _ => &[],
        },
        Ctx::TargetsRoot => &[],
        Ctx::TargetsServer => &["min", "max"],
        Ctx::V1Root => return NodeKind::ALL.iter().map(|k| k.key()).collect(),
        Ctx::V1Node(kind) => return COMMON_NODE_FIELDS.iter().chain(kind_fields(kind)).copied().collect(),
        Ctx::V1Action => &["type", "template", "mapping", "merge-strategy"],
        Ctx::V1Parameter => &["name", "type", "required", "multiple"],
        Ctx::V1Grouping => &[
            "enabled",
            "by-layers",
            "by-domains",
            "by-relations",
            "auto",
            "minimum-group-size",
        ],
        Ctx::V1Health => &["function", "arguments"],
        Ctx::Entry => &["kind", "text", "items", "bump"],
        Ctx::Release => &[
            "version",
            "date",
            "labels",
            "min-stackstate-version",
            "dependencies",
            "entries",
        ],
        Ctx::ChangelogSettings => &["title", "labels", "headings"],
        Ctx::V2Pack => &[
            "schemaVersion",
            "name",
            "displayName",
            "version",
            "categories",
            "logoUrl",
            "overviewUrl",
            "detailedOverviewUrl",
            "configurationUrls",
            "provision",
        ],
        // The install states in their documented order (also what 2.0 lint checks them against).
        Ctx::V2ConfigurationUrls => &crate::v2::check::STATES,
        Ctx::V2Root => &["nodes"],
        Ctx::V2Type(ty) => {
            return match v2_struct(ty, type_name) {
                Some(st) => st.fields.iter().map(|f| f.name.as_str()).collect(),
                None => Vec::new(),
            }
        }
    };
    fixed.to_vec()
}

/// The pseudo type of a `.sty` node: the node type its `_type` names.
const NODE: &str = "node";

/// The 2.0 struct a value of type `ty` is: a struct by name, or the member of a union its
/// `_type` names.
fn v2_struct(ty: &str, type_name: Option<&str>) -> Option<&'static crate::v2::schema::Struct> {
    let schema = crate::v2::schema::schema();
    if ty == NODE {
        return schema.node_type(type_name?);
    }
    if let Some(u) = ty.strip_prefix("union:") {
        let t = type_name?;
        return schema
            .union(u)
            .filter(|u| u.members.iter().any(|m| m == t))
            .and_then(|_| schema.get(t));
    }
    schema.get(ty)
}

/// A value's shape, as far as ordering goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// A mapping ordered in this context.
    Map(Ctx),
    /// A list whose items are mappings ordered in this context.
    Items(Ctx),
    /// Nothing to order below.
    None,
}

/// What the value of `key` is, in a mapping of `ctx` (with its own `_type` `type_name`).
pub fn child(ctx: Ctx, key: &str, type_name: Option<&str>) -> Child {
    match ctx {
        Ctx::ManifestRoot => match MANIFEST_TABLES.iter().find(|t| **t == key) {
            Some(t) if matches!(*t, "faqs" | "integrations" | "steps") => Child::Items(Ctx::ManifestTable(t)),
            Some(t) => Child::Map(Ctx::ManifestTable(t)),
            None => Child::None,
        },
        Ctx::TargetsRoot if key == "server" => Child::Map(Ctx::TargetsServer),
        Ctx::V1Root => match NodeKind::ALL.iter().find(|k| k.key() == key) {
            Some(k) => Child::Items(Ctx::V1Node(*k)),
            None => Child::None,
        },
        Ctx::V1Node(NodeKind::Sync) => match key {
            "component-actions" | "relation-actions" => Child::Items(Ctx::V1Action),
            "default-component-action" | "default-relation-action" => Child::Map(Ctx::V1Action),
            _ => Child::None,
        },
        Ctx::V1Node(NodeKind::CheckFunction) if key == "parameters" => Child::Items(Ctx::V1Parameter),
        Ctx::V1Node(NodeKind::View) => match key {
            "grouping" => Child::Map(Ctx::V1Grouping),
            "health" => Child::Map(Ctx::V1Health),
            _ => Child::None,
        },
        Ctx::Release if key == "entries" => Child::Items(Ctx::Entry),
        Ctx::V2Pack if key == "configurationUrls" => Child::Map(Ctx::V2ConfigurationUrls),
        Ctx::V2Root if key == "nodes" => Child::Items(Ctx::V2Type(NODE)),
        Ctx::V2Type(ty) => {
            let Some(field) = v2_struct(ty, type_name).and_then(|st| st.field(key)) else {
                return Child::None;
            };
            let t = field.ty.as_str();
            if let Some(item) = t.strip_prefix("list:") {
                if is_v2_object(item) {
                    return Child::Items(Ctx::V2Type(item));
                }
                return Child::None;
            }
            if is_v2_object(t) {
                return Child::Map(Ctx::V2Type(t));
            }
            Child::None
        }
        _ => Child::None,
    }
}

/// Whether a 2.0 field type names an object (a struct or a union of structs).
fn is_v2_object(ty: &str) -> bool {
    let schema = crate::v2::schema::schema();
    match ty.strip_prefix("union:") {
        Some(u) => schema.union(u).is_some(),
        None => schema.get(ty).is_some(),
    }
}

/// The tables of a TOML root in `ctx`, in their canonical order (after its plain keys).
pub fn tables(ctx: Ctx) -> &'static [&'static str] {
    match ctx {
        Ctx::ManifestRoot => MANIFEST_TABLES,
        Ctx::TargetsRoot => &["server"],
        _ => &[],
    }
}

/// The sort rank of `key` among `ranked` keys: its index, or after all of them.
pub fn rank(ranked: &[&str], key: &str) -> usize {
    ranked.iter().position(|k| *k == key).unwrap_or(ranked.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_paths() {
        assert_eq!(role_of(Path::new("p/stackpack.toml")), Role::Manifest);
        assert_eq!(role_of(Path::new("p/nodes/a/types.yaml")), Role::V1Nodes);
        assert_eq!(role_of(Path::new("p/changelog/unreleased/x.yaml")), Role::Fragment);
        assert_eq!(role_of(Path::new("p/changelog/releases/1.0.0.yaml")), Role::Release);
        assert_eq!(role_of(Path::new("p/settings/m/a.sty")), Role::V2Settings);
        assert_eq!(role_of(Path::new("p/stackpack.yaml")), Role::V2Pack);
        assert_eq!(role_of(Path::new("p/tests/a.yaml")), Role::Other);
    }

    #[test]
    fn node_types_come_from_the_schema() {
        let k = keys(Ctx::V2Type(NODE), Some("Monitor"));
        assert_eq!(k.first().copied(), Some("_type"));
        assert!(k.contains(&"remediationHint"), "{k:?}");
    }
}
