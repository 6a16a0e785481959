//! Rules of the check stage (SP1xx manifest, SP2xx nodes and references, SP3xx templates and
//! scripts, SP4xx views, SP9xx hygiene).

use crate::diag::{Rule, Severity};

// ---- SP1xx: the manifest -------------------------------------------------------------------

pub const EMPTY_DISPLAY_NAME: Rule = Rule {
    code: "SP101",
    name: "empty-display-name",
    severity: Severity::Error,
    summary: "The display name is empty: StackState shows it as the pack's title.",
    example: "display-name = \"\"",
};
pub const RESOURCE_OUTSIDE_RESOURCES: Rule = Rule {
    code: "SP102",
    name: "resource-outside-resources",
    severity: Severity::Error,
    summary: "The logo and the Markdown pages must lie under `resources/`: StackState serves them from there.",
    example: "logo = \"icons/logo.png\"",
};
pub const MISSING_STATE_PAGE: Rule = Rule {
    code: "SP103",
    name: "missing-state-page",
    severity: Severity::Warning,
    summary: "One of the six provisioning-state pages is missing: users see an empty screen in that state.",
    example: "[pages] without `error = \"resources/error.md\"`",
};
pub const INVALID_STEP_TYPE: Rule = Rule {
    code: "SP104",
    name: "invalid-step-type",
    severity: Severity::Error,
    summary: "An install step's type is not `text` or `password`, the only input types StackState offers.",
    example: "[[steps]] type = \"number\"",
};
pub const PASSWORD_DEFAULT: Rule = Rule {
    code: "SP105",
    name: "password-step-default",
    severity: Severity::Error,
    summary: "A password step has a default value: a secret would ship inside the archive.",
    example: "[[steps]] type = \"password\", default = \"hunter2\"",
};
pub const DUPLICATE_STEP: Rule = Rule {
    code: "SP106",
    name: "duplicate-step-name",
    severity: Severity::Error,
    summary: "Two install steps have the same name: the second value overwrites the first.",
    example: "two [[steps]] with name = \"url\"",
};
pub const ALLOW_WITHOUT_REASON: Rule = Rule {
    code: "SP107",
    name: "allow-without-reason",
    severity: Severity::Warning,
    summary: "A `[lint] allow` entry has an empty reason: every suppression must say why.",
    example: "allow = [{ code = \"SP901\", reason = \"\" }]",
};
pub const ALLOW_UNKNOWN_CODE: Rule = Rule {
    code: "SP108",
    name: "allow-unknown-code",
    severity: Severity::Warning,
    summary: "A `[lint] allow` entry names a code that is no rule: it suppresses nothing.",
    example: "allow = [{ code = \"SP9001\", reason = \"…\" }]",
};
pub const ALLOW_ERROR_CODE: Rule = Rule {
    code: "SP109",
    name: "allow-error-rule",
    severity: Severity::Warning,
    summary: "A `[lint] allow` entry names a rule at error level: errors cannot be suppressed, so it has no effect.",
    example: "allow = [{ code = \"SP203\", reason = \"…\" }]",
};
pub const UNKNOWN_TOPIC_STEP: Rule = Rule {
    code: "SP110",
    name: "unknown-topic-step",
    severity: Severity::Error,
    summary: "`[provisioning] topic-step` names no install step, so the instance's topic cannot be built.",
    example: "topic-step = \"url\" without a [[steps]] entry named `url`",
};

// ---- SP2xx: nodes and references -----------------------------------------------------------

pub const DUPLICATE_ID: Rule = Rule {
    code: "SP201",
    name: "duplicate-id",
    severity: Severity::Error,
    summary: "Two nodes of the same kind share a short id, so references to it are ambiguous.",
    example: "two `component-types` with `id: host`",
};
pub const DUPLICATE_URN: Rule = Rule {
    code: "SP202",
    name: "duplicate-urn",
    severity: Severity::Error,
    summary: "Two nodes have the same identifier (URN): StackState would merge them into one on import.",
    example: "identifier: urn:stackpack:agent:shared:layer:hosts on two layers",
};
pub const UNRESOLVED_REFERENCE: Rule = Rule {
    code: "SP203",
    name: "unresolved-reference",
    severity: Severity::Error,
    summary: "A reference names no node of the pack and no URN of a declared dependency.",
    example: "data-source: agnt   # the data source is `agent`",
};
pub const WRONG_REFERENCE_KIND: Rule = Rule {
    code: "SP204",
    name: "wrong-reference-kind",
    severity: Severity::Error,
    summary: "A reference points at a node of the wrong kind (a check function where a mapping function is needed).",
    example: "mapping: disk-check   # a check function",
};
pub const UNDECLARED_DEPENDENCY: Rule = Rule {
    code: "SP205",
    name: "undeclared-dependency",
    severity: Severity::Error,
    summary: "A URN of another pack is used but that pack is not in `[dependencies]`, so it may not be installed.",
    example: "urn:stackpack:common:layer:machines without `common` in [dependencies]",
};
pub const MISSING_RETURN_TYPE: Rule = Rule {
    code: "SP206",
    name: "missing-return-type",
    severity: Severity::Error,
    summary: "A check function declares no return type; StackState needs `health-state` or `run-state`.",
    example: "check-functions: [{ id: cpu, returns: [] }]",
};
pub const DUPLICATE_PARAMETER: Rule = Rule {
    code: "SP207",
    name: "duplicate-parameter",
    severity: Severity::Error,
    summary: "Two parameters (or return types) of one function have the same name.",
    example: "parameters: [{name: value, …}, {name: value, …}]",
};
pub const INVALID_PARAMETER_NAME: Rule = Rule {
    code: "SP208",
    name: "invalid-parameter-name",
    severity: Severity::Error,
    summary: "A function parameter name is not a Groovy identifier, so the script cannot read it.",
    example: "parameter: topology-element",
};
pub const ID_EXTRACTOR_PARAMETER_UNUSED: Rule = Rule {
    code: "SP209",
    name: "id-extractor-parameter-unused",
    severity: Severity::Warning,
    summary: "An id extractor's parameter name never appears in its script: the script reads another variable.",
    example: "parameter: struct, but the script reads `topologyElement`",
};
pub const INVALID_IDENTIFIER: Rule = Rule {
    code: "SP210",
    name: "invalid-identifier",
    severity: Severity::Warning,
    summary: "An explicit identifier does not match StackState's URN pattern (lower case, no spaces).",
    example: "identifier: urn:stackpack:agent:shared:layer:My Layer",
};
pub const INSTANCE_URN_WITHOUT_INSTANCE_ID: Rule = Rule {
    code: "SP211",
    name: "instance-urn-without-instance-id",
    severity: Severity::Error,
    summary: "An instance-scoped node has an explicit identifier without `{{instanceId}}`: instances would collide.",
    example: "scope: instance, identifier: urn:stackpack:agent:shared:sync:agent",
};
pub const UNUSUAL_MERGE_STRATEGY: Rule = Rule {
    code: "SP212",
    name: "unusual-merge-strategy",
    severity: Severity::Warning,
    summary: "A sync action's merge strategy is not `MergePreferTheirs`, the only one seen in real packs.",
    example: "merge-strategy: MergePreferMine",
};
pub const PARAMETER_TYPE_FOR_KIND: Rule = Rule {
    code: "SP213",
    name: "parameter-type-for-kind",
    severity: Severity::Warning,
    summary: "A check function parameter has a type meant for other functions (`struct` is the system parameter of mappings, id extractors and templates; `script-metric-query` is for monitors).",
    example: "check-functions: [{ parameters: [{ name: element, type: struct }] }]",
};
pub const INSTANCE_SCOPE_IN_SINGLE_INSTANCE_PACK: Rule = Rule {
    code: "SP214",
    name: "instance-scope-in-single-instance-pack",
    severity: Severity::Error,
    summary: "A node is instance-scoped but the pack is not `multi-instance`, so no instance template would create it.",
    example: "scope: instance without `multi-instance = true`",
};
pub const SYNC_GET_OF_INSTANCE_NODE: Rule = Rule {
    code: "SP215",
    name: "sync-get-of-instance-node",
    severity: Severity::Error,
    summary: "A sync template `get`s an instance-scoped node: its URN holds `{{instanceId}}`, so the escaped sync-time tag would nest an import-time tag, which no published pack does and which the import pass breaks.",
    example: "\"domain\": {{ get \"domain:x\" }} where `x` has `scope: instance`",
};
pub const SCRIPT_VARIABLE_UNUSED: Rule = Rule {
    code: "SP216",
    name: "script-import-variable-unused",
    severity: Severity::Warning,
    summary: "A script declares an `import-variables` entry that it never writes as `{{var}}`: nothing is substituted.",
    example: "import-variables: [instanceName] on a script without `{{instanceName}}`",
};
pub const SCRIPT_VARIABLE_UNDECLARED: Rule = Rule {
    code: "SP217",
    name: "script-import-variable-undeclared",
    severity: Severity::Warning,
    summary: "A script contains `{{var}}` of an import-time variable that its node does not list in `import-variables`: it is copied literally, not substituted.",
    example: "'splunk-instance:{{instanceName}}' in a mapping function without `import-variables: [instanceName]`",
};
pub const SYNC_WITHOUT_DEFAULT_ACTION: Rule = Rule {
    code: "SP218",
    name: "sync-without-default-action",
    severity: Severity::Warning,
    summary: "A sync has no default component or relation action: elements of a type no action names are dropped. Every published pack's sync has both.",
    example: "syncs: [{ id: disk, component-actions: [...] }] without `default-component-action`",
};
pub const INSTANCE_NAME_MISSING: Rule = Rule {
    code: "SP219",
    name: "instance-node-name-without-instance-name",
    severity: Severity::Warning,
    summary: "An instance-scoped data source, sync or view has no `{{instanceName}}` in its name: every instance shows the same name. Published packs always include it.",
    example: "data-sources: [{ id: acme, scope: instance, name: Acme }]",
};
pub const ORDER_MISSING: Rule = Rule {
    code: "SP220",
    name: "layer-or-domain-without-order",
    severity: Severity::Warning,
    summary: "A layer or domain has no `order`: its place among the others is undefined. Every published pack gives its layers and domains a float `order` (SAP: layers 401.1 and 415.1, domain 100.1).",
    example: "layers: [{ id: sap-instances, name: SAP Instances }]   # no order: 415.1",
};

// ---- SP3xx: templates and scripts ----------------------------------------------------------

pub const TEMPLATE_SYNTAX: Rule = Rule {
    code: "SP301",
    name: "template-syntax",
    severity: Severity::Error,
    summary: "A sync template is not valid Handlebars (unbalanced blocks, broken tags).",
    example: "{{#if element.data.name}} without {{/if}}",
};
pub const UNKNOWN_IMPORT_VARIABLE: Rule = Rule {
    code: "SP302",
    name: "unknown-import-variable",
    severity: Severity::Error,
    summary: "A node field uses `{{x}}` where `x` is no import-time variable (`instanceId`, `instanceName`, `topicName`, or a step name): it renders empty.",
    example: "topic: sts_topo_{{topic}}",
};
pub const UNRESOLVED_TEMPLATE_GET: Rule = Rule {
    code: "SP303",
    name: "unresolved-template-get",
    severity: Severity::Error,
    summary: "A template's `{{ get \"…\" }}` names no node of the pack and no URN of a declared dependency.",
    example: "{{ get \"check-function:disk-spce\" }}",
};
pub const EMPTY_SCRIPT: Rule = Rule {
    code: "SP304",
    name: "empty-script",
    severity: Severity::Warning,
    summary: "A Groovy script file is empty: the function would return nothing.",
    example: "scripts/host-id.groovy with no content",
};
pub const TEMPLATE_ESCAPING: Rule = Rule {
    code: "SP305",
    name: "template-escaping",
    severity: Severity::Warning,
    summary:
        "A template mixes escaped and unescaped delimiters (`\\{{ … }}`, a block opened escaped and closed unescaped).",
    example: "\\{{#if x}} … {{/if}}",
};
pub const IMPORT_VARIABLE_IN_SHARED_NODE: Rule = Rule {
    code: "SP306",
    name: "import-variable-in-shared-node",
    severity: Severity::Warning,
    summary: "An import-time variable is used in a shared node (or a single-instance pack): the shared template is imported without arguments, so it renders empty.",
    example: "name: \"ACME {{instanceName}}\" on a node with `scope: shared`",
};
pub const INVALID_GET_OR_CREATE: Rule = Rule {
    code: "SP307",
    name: "invalid-get-or-create",
    severity: Severity::Error,
    summary: "A `getOrCreate` does not have the shape StackState accepts: three arguments, a `urn:system:auto:` create-URN, and `Type=<T>;Name=<N>` with T an Environment, Layer, Domain, ComponentType or RelationType.",
    example: "{{ getOrCreate \"urn:…\" \"urn:stackpack:x:layer:y\" \"Type=Layer;Name=y\" }}",
};
pub const UNKNOWN_GET_PARAMETER: Rule = Rule {
    code: "SP308",
    name: "unknown-get-parameter",
    severity: Severity::Error,
    summary: "`{{ get \"<function>\" \"Type=Parameter;Name=x\" }}` names a parameter the function does not have.",
    example: "{{ get \"check-function:cpu\" \"Type=Parameter;Name=vaule\" }}",
};
pub const IMPORT_VARIABLE_SHADOWED_IN_SYNC_BLOCK: Rule = Rule {
    code: "SP309",
    name: "import-variable-shadowed-in-sync-block",
    severity: Severity::Warning,
    summary: "A tag inside a sync-time block (`{{#join element.x}}`, `{{#each element.x}}` …) names an import-time variable (a provisioning step, `instanceName`, `topicName`, `instanceId`, a declared variable): inside the block it is evaluated per element at sync time, not replaced at import time.",
    example: "{{#join element.data.hosts \",\"}}{{ host }}{{/join}} with a step named `host`",
};

pub const SYNC_TEMPLATE_NEVER_JSON: Rule = Rule {
    code: "SP340",
    name: "sync-template-never-json",
    severity: Severity::Error,
    summary: "A sync template renders invalid JSON both for a minimal element and for a rich one built from the fields it reads: no element can give StackState valid JSON.",
    example: "\"name\": \"{{ element.data.name }}\"  \"type\": … (missing comma)",
};

// ---- SP4xx: views and STQL -----------------------------------------------------------------

pub const STQL_SYNTAX: Rule = Rule {
    code: "SP401",
    name: "stql-syntax",
    severity: Severity::Error,
    summary: "A view query is not valid STQL.",
    example: "query: type IN (\"host\"",
};
pub const STQL_UNKNOWN_FIELD: Rule = Rule {
    code: "SP402",
    name: "stql-unknown-field",
    severity: Severity::Error,
    summary: "A view query filters on a field or calls a function STQL does not have.",
    example: "query: typ = \"host\"",
};
pub const STQL_UNKNOWN_COMPONENT_TYPE: Rule = Rule {
    code: "SP403",
    name: "stql-unknown-component-type",
    severity: Severity::Warning,
    summary: "A view query names a component type the pack does not define (it may come from a dependency).",
    example: "query: type IN (\"hots\")",
};
pub const VIEW_HEALTH_FUNCTION_KIND: Rule = Rule {
    code: "SP404",
    name: "view-health-function-kind",
    severity: Severity::Error,
    summary: "A view's health function is a verbatim node that is not a `ViewHealthStateConfigurationFunction`.",
    example: "health: { function: my-monitor }   # a Monitor node",
};

// ---- SP9xx: hygiene ------------------------------------------------------------------------

pub const UNUSED_NODE: Rule = Rule {
    code: "SP901",
    name: "unused-node",
    severity: Severity::Warning,
    summary: "A function, template or data source that nothing references: dead code in the archive.",
    example: "a component mapping function no sync action uses",
};
pub const UNUSED_FILE: Rule = Rule {
    code: "SP902",
    name: "unused-file",
    severity: Severity::Warning,
    summary: "A file under scripts/, templates/, icons/ or resources/ that nothing references.",
    example: "scripts/old-mapping.groovy",
};

pub const RULES: &[&Rule] = &[
    &EMPTY_DISPLAY_NAME,
    &RESOURCE_OUTSIDE_RESOURCES,
    &MISSING_STATE_PAGE,
    &INVALID_STEP_TYPE,
    &PASSWORD_DEFAULT,
    &DUPLICATE_STEP,
    &ALLOW_WITHOUT_REASON,
    &ALLOW_UNKNOWN_CODE,
    &ALLOW_ERROR_CODE,
    &UNKNOWN_TOPIC_STEP,
    &DUPLICATE_ID,
    &DUPLICATE_URN,
    &UNRESOLVED_REFERENCE,
    &WRONG_REFERENCE_KIND,
    &UNDECLARED_DEPENDENCY,
    &MISSING_RETURN_TYPE,
    &DUPLICATE_PARAMETER,
    &INVALID_PARAMETER_NAME,
    &ID_EXTRACTOR_PARAMETER_UNUSED,
    &INVALID_IDENTIFIER,
    &INSTANCE_URN_WITHOUT_INSTANCE_ID,
    &UNUSUAL_MERGE_STRATEGY,
    &PARAMETER_TYPE_FOR_KIND,
    &INSTANCE_SCOPE_IN_SINGLE_INSTANCE_PACK,
    &SYNC_GET_OF_INSTANCE_NODE,
    &SCRIPT_VARIABLE_UNUSED,
    &SCRIPT_VARIABLE_UNDECLARED,
    &SYNC_WITHOUT_DEFAULT_ACTION,
    &INSTANCE_NAME_MISSING,
    &ORDER_MISSING,
    &TEMPLATE_SYNTAX,
    &UNKNOWN_IMPORT_VARIABLE,
    &UNRESOLVED_TEMPLATE_GET,
    &EMPTY_SCRIPT,
    &TEMPLATE_ESCAPING,
    &IMPORT_VARIABLE_IN_SHARED_NODE,
    &INVALID_GET_OR_CREATE,
    &UNKNOWN_GET_PARAMETER,
    &SYNC_TEMPLATE_NEVER_JSON,
    &IMPORT_VARIABLE_SHADOWED_IN_SYNC_BLOCK,
    &STQL_SYNTAX,
    &STQL_UNKNOWN_FIELD,
    &STQL_UNKNOWN_COMPONENT_TYPE,
    &VIEW_HEALTH_FUNCTION_KIND,
    &UNUSED_NODE,
    &UNUSED_FILE,
];
