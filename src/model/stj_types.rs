//! The STJ `_type` names StackState 4.x/5.x knows (the 1.0 archive format): the vocabulary
//! shared by classic lint (SP717 for any other `_type` in an archive) and the declarative side's
//! version checks (`compat`: SP511 for a verbatim or template `_type` outside it), so that
//! `build` never writes an archive its own lint rejects for a type. Every node type of the
//! compatibility table's `[[feature]]` rows is in it (a test in `compat` keeps them in step);
//! 2.0-era types (`Dashboard`, `OtelComponentMapping`, …) are not.

/// Every `_type` StackState knows in STJ and in template bodies (reference §4.2, §4.3; the
/// compatibility table's node types).
pub const KNOWN_TYPES: [&str; 54] = [
    // nodes
    "ComponentType",
    "RelationType",
    "Layer",
    "Domain",
    "Environment",
    "CheckFunction",
    "ComponentMappingFunction",
    "RelationMappingFunction",
    "IdExtractorFunction",
    "ComponentTemplateFunction",
    "RelationTemplateFunction",
    "ViewHealthStateConfigurationFunction",
    "PropagationFunction",
    "EventHandlerFunction",
    "EventHandler",
    "BaselineFunction",
    "MonitorFunction",
    "Monitor",
    "DataSource",
    "Sync",
    "QueryView",
    "ComponentActionDefinition",
    "ComponentAction",
    "Baseline",
    "ExternalMonitor",
    // nested
    "Parameter",
    "Sts.StsTopologyDataSourceConfig",
    "ExtTopology",
    "TopologySyncSettings",
    "Sts.StsTopologyElementsQuery",
    "SyncActionCreateComponent",
    "SyncActionCreateRelation",
    "ViewHealthStateConfiguration",
    "ArgumentLongVal",
    "ArgumentDoubleVal",
    "ArgumentStringVal",
    "ArgumentScriptMetricQueryVal",
    "ArgumentEventStreamRef",
    "ArgumentMetricStreamRef",
    "MetricBinding",
    "ArgumentRelationTypeRef",
    "NativeFunctionBody",
    "ScriptFunctionBody",
    // template bodies (sync time)
    "Component",
    "Relation",
    "MetricStream",
    "EventStream",
    "MetricTelemetryQuery",
    "EventTelemetryQuery",
    "Check",
    "Label",
    "Propagation",
    "Condition",
    "ViewHealthState",
];
