//! The node kinds of the declarative format and their STJ counterparts.

/// A kind of node authors can declare. The YAML key of a node file is [`NodeKind::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    ComponentType,
    RelationType,
    Layer,
    Domain,
    Environment,
    IdExtractor,
    ComponentMapping,
    RelationMapping,
    ComponentTemplate,
    RelationTemplate,
    CheckFunction,
    DataSource,
    Sync,
    View,
    /// A node kept verbatim (`stj-nodes`): for STJ types the declarative format does not model.
    Stj,
}

impl NodeKind {
    /// Every kind, in the order nodes are emitted into STJ.
    pub const ALL: [NodeKind; 15] = [
        NodeKind::ComponentType,
        NodeKind::RelationType,
        NodeKind::Layer,
        NodeKind::Domain,
        NodeKind::Environment,
        NodeKind::IdExtractor,
        NodeKind::ComponentMapping,
        NodeKind::RelationMapping,
        NodeKind::ComponentTemplate,
        NodeKind::RelationTemplate,
        NodeKind::CheckFunction,
        NodeKind::DataSource,
        NodeKind::Sync,
        NodeKind::View,
        NodeKind::Stj,
    ];

    /// The top-level key of node files that lists nodes of this kind.
    pub fn key(self) -> &'static str {
        match self {
            NodeKind::ComponentType => "component-types",
            NodeKind::RelationType => "relation-types",
            NodeKind::Layer => "layers",
            NodeKind::Domain => "domains",
            NodeKind::Environment => "environments",
            NodeKind::IdExtractor => "id-extractors",
            NodeKind::ComponentMapping => "component-mapping-functions",
            NodeKind::RelationMapping => "relation-mapping-functions",
            NodeKind::ComponentTemplate => "component-templates",
            NodeKind::RelationTemplate => "relation-templates",
            NodeKind::CheckFunction => "check-functions",
            NodeKind::DataSource => "data-sources",
            NodeKind::Sync => "syncs",
            NodeKind::View => "views",
            NodeKind::Stj => "stj-nodes",
        }
    }

    /// The kind in words, for messages ("component type").
    pub fn singular(self) -> &'static str {
        match self {
            NodeKind::ComponentType => "component type",
            NodeKind::RelationType => "relation type",
            NodeKind::Layer => "layer",
            NodeKind::Domain => "domain",
            NodeKind::Environment => "environment",
            NodeKind::IdExtractor => "id extractor",
            NodeKind::ComponentMapping => "component mapping function",
            NodeKind::RelationMapping => "relation mapping function",
            NodeKind::ComponentTemplate => "component template",
            NodeKind::RelationTemplate => "relation template",
            NodeKind::CheckFunction => "check function",
            NodeKind::DataSource => "data source",
            NodeKind::Sync => "sync",
            NodeKind::View => "view",
            NodeKind::Stj => "verbatim STJ node",
        }
    }

    /// The STJ `_type` of the node this kind compiles to (`None` for verbatim nodes, whose type
    /// is written by the author).
    pub fn stj_type(self) -> Option<&'static str> {
        Some(match self {
            NodeKind::ComponentType => "ComponentType",
            NodeKind::RelationType => "RelationType",
            NodeKind::Layer => "Layer",
            NodeKind::Domain => "Domain",
            NodeKind::Environment => "Environment",
            NodeKind::IdExtractor => "IdExtractorFunction",
            NodeKind::ComponentMapping => "ComponentMappingFunction",
            NodeKind::RelationMapping => "RelationMappingFunction",
            NodeKind::ComponentTemplate => "ComponentTemplateFunction",
            NodeKind::RelationTemplate => "RelationTemplateFunction",
            NodeKind::CheckFunction => "CheckFunction",
            NodeKind::DataSource => "DataSource",
            NodeKind::Sync => "Sync",
            NodeKind::View => "QueryView",
            NodeKind::Stj => return None,
        })
    }

    /// The type segment of generated URNs (the conventions seen in real packs,
    /// `reference/stackpack-v1-format.md` §4.1).
    pub fn urn_segment(self) -> &'static str {
        match self {
            NodeKind::ComponentType => "component-type",
            NodeKind::RelationType => "relation-type",
            NodeKind::Layer => "layer",
            NodeKind::Domain => "domain",
            NodeKind::Environment => "environment",
            NodeKind::IdExtractor => "id-extractor-function",
            NodeKind::ComponentMapping => "component-mapping-function",
            NodeKind::RelationMapping => "relation-mapping-function",
            NodeKind::ComponentTemplate => "component-template-function",
            NodeKind::RelationTemplate => "relation-template-function",
            NodeKind::CheckFunction => "check-function",
            NodeKind::DataSource => "data-source",
            NodeKind::Sync => "sync",
            NodeKind::View => "query-view",
            NodeKind::Stj => "node",
        }
    }

    pub fn from_key(key: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The kind whose STJ `_type` is `t`.
    pub fn from_stj_type(t: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.stj_type() == Some(t))
    }
}

impl std::fmt::Display for NodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.singular())
    }
}
