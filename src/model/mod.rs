//! Stage 2, **model**: the typed, resolved definition of a pack.
//!
//! Built from the load stage's spanned trees by [`build`]. Every later stage (check, compile,
//! compat, release notes) reads this model, never raw YAML or TOML. Values keep their spans so
//! that findings point at the text the author wrote.

pub mod kind;
pub mod manifest;
pub(crate) mod nodes;
pub mod resolve;
pub mod stj_types;
pub mod version;

pub use kind::NodeKind;
pub use manifest::Manifest;
pub use resolve::{Index, Resolved};

use crate::diag::Diagnostics;
use crate::load::{Loaded, PackFile};
use crate::source::{FileId, SourceMap, Span, Spanned};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A declarative StackPack, loaded and typed.
#[derive(Debug)]
pub struct Pack {
    pub root: PathBuf,
    pub canonical_root: PathBuf,
    pub sources: SourceMap,
    pub manifest: Manifest,
    /// All nodes in file order, then declaration order.
    pub nodes: Vec<Node>,
    /// Every regular file of the pack by `/`-separated relative path.
    pub files: BTreeMap<String, PackFile>,
    /// Text files referenced by nodes (scripts, sync templates), read once: relative path → file.
    pub texts: BTreeMap<String, FileId>,
    /// Lookup tables for references.
    pub index: Index,
    /// Scans of the sync templates (see [`Pack::template_scan`]), made on first use.
    scans: std::sync::OnceLock<BTreeMap<String, TemplateScan>>,
}

/// A sync template scanned with the pack's import variables.
pub type TemplateScan = Result<crate::template::Scanned, crate::template::TemplateError>;

/// Whether a node is created once for the pack or once per installed instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Shared,
    Instance,
}

/// A reference to another node, as written: a short id of the expected kind, or a full URN
/// (`urn:stackpack:common:layer:machines`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub raw: Spanned<String>,
}

/// One declared node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Short id, unique per kind.
    pub id: Spanned<String>,
    /// Display name (for component and relation types: the external type name).
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    /// An explicit identifier replacing the generated URN.
    pub identifier: Option<Spanned<String>>,
    pub scope: Scope,
    /// The whole node mapping.
    pub span: Span,
    pub body: Body,
}

/// The kind-specific part of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    ComponentType {
        icon: Option<Spanned<String>>,
    },
    RelationType {
        direction: Spanned<Direction>,
    },
    /// Layers, domains and environments.
    Ordered {
        order: Option<Spanned<f64>>,
    },
    /// Id extractors and mapping functions: a Groovy body and its one system parameter.
    Script(ScriptFunction),
    Template(TemplateFunction),
    CheckFunction(CheckFunction),
    DataSource(DataSource),
    Sync(Box<Sync>),
    View(Box<View>),
    /// `_type` and the node's fields, emitted as written.
    Stj {
        stj_type: Spanned<String>,
        fields: crate::load::tree::Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    OneWay,
    Both,
    None,
}

impl Direction {
    pub fn stj(self) -> &'static str {
        match self {
            Direction::OneWay => "ONE_WAY",
            Direction::Both => "BOTH",
            Direction::None => "NONE",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScriptFunction {
    /// Pack-relative path of the Groovy file.
    pub script: Spanned<String>,
    /// Name of the system `STRUCT_TYPE` parameter the script reads.
    pub parameter: Spanned<String>,
    /// `import-variables`: `{{var}}` tags of the script that the import pass substitutes (the
    /// Splunk and SolarWinds packs put `{{instanceName}}` into their mapping functions). Every
    /// other `{{`/`}}` of the script is escaped and copied as written.
    pub import_variables: Vec<Spanned<String>>,
}

impl Body {
    /// The Groovy script of a node and the import-time variables it declares.
    pub fn script(&self) -> Option<(&Spanned<String>, &[Spanned<String>])> {
        match self {
            Body::Script(s) => Some((&s.script, &s.import_variables)),
            Body::CheckFunction(c) => Some((&c.script, &c.import_variables)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateFunction {
    /// Pack-relative path of the (unescaped) Handlebars template.
    pub template: Spanned<String>,
    pub parameter: Spanned<String>,
    /// Whether the `element` parameter is marked as a system parameter.
    pub system: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckFunction {
    pub parameters: Vec<Parameter>,
    pub returns: Vec<Spanned<ReturnType>>,
    pub script: Spanned<String>,
    /// Like [`ScriptFunction::import_variables`].
    pub import_variables: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: Spanned<String>,
    pub ty: Spanned<ParamType>,
    pub required: bool,
    pub multiple: bool,
    pub span: Span,
}

/// Parameter types of functions (`reference/stackpack-v1-format.md` §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    MetricStream,
    EventStream,
    StructType,
    RunStateValue,
    String,
    Double,
    ScriptMetricQuery,
}

impl ParamType {
    pub const ALL: [(&'static str, ParamType); 7] = [
        ("metric-stream", ParamType::MetricStream),
        ("event-stream", ParamType::EventStream),
        ("struct", ParamType::StructType),
        ("run-state", ParamType::RunStateValue),
        ("string", ParamType::String),
        ("double", ParamType::Double),
        ("script-metric-query", ParamType::ScriptMetricQuery),
    ];
    pub fn stj(self) -> &'static str {
        match self {
            ParamType::MetricStream => "METRIC_STREAM",
            ParamType::EventStream => "EVENT_STREAM",
            ParamType::StructType => "STRUCT_TYPE",
            ParamType::RunStateValue => "RUN_STATE_VALUE",
            ParamType::String => "STRING",
            ParamType::Double => "DOUBLE",
            ParamType::ScriptMetricQuery => "SCRIPT_METRIC_QUERY",
        }
    }
    pub fn name(self) -> &'static str {
        ParamType::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnType {
    HealthState,
    RunState,
}

impl ReturnType {
    pub fn stj(self) -> &'static str {
        match self {
            ReturnType::HealthState => "HEALTH_STATE",
            ReturnType::RunState => "RUN_STATE",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// Kafka topic the agent writes to (`sts_topo_<type>_<url>`); may use import-time
    /// variables (`{{topicName}}`) in multi-instance packs.
    pub topic: Spanned<String>,
    pub integration_type: Spanned<String>,
    pub auto_expire_elements: bool,
    pub expire_elements_after_ms: i64,
    pub cleanup_expired_elements: bool,
    pub cleanup_interval_ms: i64,
    pub max_batch_size: i64,
    pub max_batches_per_second: i64,
    pub ui_request_timeout_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sync {
    pub data_source: Ref,
    pub component_id_extractor: Ref,
    pub relation_id_extractor: Ref,
    pub default_component_action: Option<Action>,
    pub default_relation_action: Option<Action>,
    pub component_actions: Vec<Action>,
    pub relation_actions: Vec<Action>,
}

/// A sync action: elements of external type `type_name` go through `template` (and first
/// through `mapping`, when set).
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// External type matched; for the default actions `None` means `default_component_mapping` /
    /// `default_relation_mapping`.
    pub type_name: Option<Spanned<String>>,
    pub template: Ref,
    pub mapping: Option<Ref>,
    pub merge_strategy: Spanned<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// STQL query.
    pub query: Spanned<String>,
    pub grouping: Grouping,
    pub show_indirect_relations: bool,
    pub health: Option<ViewHealth>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub enabled: bool,
    pub by_layers: bool,
    pub by_domains: bool,
    pub by_relations: bool,
    /// `autoGrouping` (StackState 4.3+, inferred in the compat table); `None` = not written.
    pub auto: Option<Spanned<bool>>,
    pub minimum_group_size: i64,
}

/// View health: a view-health-state-configuration function and its integer arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewHealth {
    pub function: Ref,
    pub arguments: Vec<(Spanned<String>, Spanned<i64>)>,
    pub span: Span,
}

impl Pack {
    /// Whether instance-scoped nodes are imported with instance arguments: in a multi-instance
    /// pack, or when a kept hand-written provisioning script imports the instance template itself
    /// (the SolarWinds pack: `isMultiConfig = false`, and its script imports
    /// `solarwinds-instance-template.stj` with arguments; issue 10.9).
    /// Whether nodes of `scope` are imported with arguments (instance variables, steps).
    pub fn imported_with_args(&self, scope: Scope) -> bool {
        match scope {
            Scope::Instance => self.instance_imported(),
            Scope::Shared => self.shared_imported_with_args(),
        }
    }

    /// Whether a kept hand-written provisioning script imports the shared template with
    /// arguments (`stackPack().importSnapshot("templates/<shared>", args)` with `args` other than
    /// `[:]`), as the published tutorial does. The generated script imports it with `[:]`.
    pub fn shared_imported_with_args(&self) -> bool {
        let Some(text) = self.kept_script() else {
            return false;
        };
        let template = format!("templates/{}", self.manifest.shared_template_name());
        let mut from = 0;
        while let Some(i) = text[from..].find("importSnapshot(").map(|i| i + from) {
            let args = &text[i + "importSnapshot(".len()..];
            from = i + 1;
            let Some(rest) = args.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some(end) = rest.find('"') else { continue };
            if rest[..end].trim_start_matches("./") != template {
                continue;
            }
            let after = rest[end + 1..].trim_start();
            let Some(second) = after.strip_prefix(',') else {
                continue;
            };
            let second = second.trim_start();
            if !(second.starts_with("[:]") || second.starts_with("[ : ]")) {
                return true;
            }
        }
        false
    }

    /// The text of the kept provisioning script, if any.
    fn kept_script(&self) -> Option<String> {
        let script = self.manifest.provisioning.script.as_ref()?;
        let bytes = self.files.get(&script.value).and_then(|f| f.bytes().ok())?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn instance_imported(&self) -> bool {
        let m = &self.manifest;
        if m.multi_instance {
            return true;
        }
        let Some(text) = self.kept_script() else {
            return false;
        };
        let template = m.instance_template_name();
        text.contains(&format!("templates/{template}")) && text.contains("importSnapshot")
    }

    /// The node's identifier: the explicit one, or the generated
    /// `urn:stackpack:<pack>:shared:<segment>:<id>` (instance scope:
    /// `urn:stackpack:<pack>:instance:{{instanceId}}:<segment>:<id>`).
    pub fn urn(&self, node: &Node) -> String {
        node_urn(&self.manifest.name.value, node)
    }

    /// Text of a file referenced by a node (script, template), when it was read.
    pub fn text(&self, rel: &str) -> Option<(FileId, &str)> {
        let id = *self.texts.get(rel)?;
        self.sources.get(id).map(|f| (id, &*f.text))
    }

    /// The scan of the sync template at `rel` (author form, classified with the manifest's
    /// import variables). Every template is scanned once, on first use; the checks, the compat
    /// rules and the compiler share the result.
    pub fn template_scan(&self, rel: &str) -> Option<&TemplateScan> {
        self.scans
            .get_or_init(|| {
                let vars = self.manifest.import_vars();
                let mut scans = BTreeMap::new();
                for node in &self.nodes {
                    if let Body::Template(t) = &node.body {
                        if scans.contains_key(&t.template.value) {
                            continue;
                        }
                        if let Some((_, text)) = self.text(&t.template.value) {
                            scans.insert(t.template.value.clone(), crate::template::scan(text, &vars));
                        }
                    }
                }
                scans
            })
            .get(rel)
    }

    pub fn nodes_of(&self, kind: NodeKind) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(move |n| n.kind == kind)
    }
}

/// See [`Pack::urn`].
pub fn node_urn(pack: &str, node: &Node) -> String {
    if let Some(explicit) = &node.identifier {
        return explicit.value.clone();
    }
    let segment = match &node.body {
        Body::Stj { stj_type, .. } => kebab(&stj_type.value),
        _ => node.kind.urn_segment().to_string(),
    };
    match node.scope {
        Scope::Shared => format!("urn:stackpack:{pack}:shared:{segment}:{}", node.id.value),
        Scope::Instance => format!(
            "urn:stackpack:{pack}:instance:{{{{instanceId}}}}:{segment}:{}",
            node.id.value
        ),
    }
}

/// `ComponentActionDefinition` → `component-action-definition`.
pub fn kebab(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '.' || c == '_' || c == ' ' {
            out.push('-');
        } else {
            out.push(c);
        }
    }
    out
}

/// Stage entry point: build the typed pack from the loaded trees. Fails only when the manifest
/// is unusable (unparsable, or without name or version), returning the sources so that the
/// diagnostics can still be rendered; otherwise every problem is a diagnostic and the model
/// holds what could be read.
pub fn build(loaded: Loaded, diags: &mut Diagnostics) -> Result<Pack, SourceMap> {
    let Loaded {
        root,
        canonical_root,
        mut sources,
        manifest,
        node_files,
        files,
    } = loaded;
    let Some((manifest_file, manifest_value)) = manifest else {
        return Err(sources);
    };
    let Some(manifest) = manifest::lower(manifest_file, &manifest_value, &files, diags) else {
        return Err(sources);
    };
    let mut nodes = Vec::new();
    for (_, docs) in &node_files {
        for doc in docs {
            nodes::lower_file(doc, &mut nodes, diags);
        }
    }
    let texts = nodes::read_referenced(&root, &canonical_root, &files, &nodes, &mut sources, diags);
    let index = Index::build(&manifest.name.value, &nodes);
    Ok(Pack {
        root,
        canonical_root,
        sources,
        manifest,
        nodes,
        files,
        texts,
        index,
        scans: std::sync::OnceLock::new(),
    })
}

/// Load and build in one go: the usual way commands obtain a pack.
pub fn load_pack(
    dir: &std::path::Path,
    diags: &mut Diagnostics,
) -> Result<Result<Pack, SourceMap>, crate::load::LoadError> {
    let loaded = crate::load::load(dir, diags)?;
    Ok(build(loaded, diags))
}
