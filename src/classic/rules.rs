//! Rules of the classic v1 packs (SP7xx): `stackpack.conf`, provisioning, `.stj` templates, and
//! `stackpack import`. The checks follow `reference/stackpack-v1-format.md` §7.

use crate::diag::{Rule, Severity};

pub const CONF_SYNTAX: Rule = Rule {
    code: "SP700",
    name: "conf-syntax",
    severity: Severity::Error,
    summary: "`stackpack.conf` is not valid HOCON, so StackState cannot read the pack.",
    example: "name = \"sap",
};
pub const CONF_MISSING: Rule = Rule {
    code: "SP701",
    name: "conf-missing",
    severity: Severity::Error,
    summary: "A classic pack or `.sts` archive without `stackpack.conf` at its root.",
    example: "an archive whose files sit under `sap/`",
};
pub const CONF_UNKNOWN_KEY: Rule = Rule {
    code: "SP702",
    name: "conf-unknown-key",
    severity: Severity::Warning,
    summary: "A `stackpack.conf` key StackState does not document: usually a typo that is silently ignored.",
    example: "displayname = \"SAP\"",
};
pub const CONF_VERSION: Rule = Rule {
    code: "SP703",
    name: "conf-bad-version",
    severity: Severity::Error,
    summary: "The conf `version` is not semver (after sbt-style appending the last `version` wins), or an archive's conf has no version.",
    example: "version = \"1.x\"",
};
pub const CONF_NAME: Rule = Rule {
    code: "SP704",
    name: "conf-name-not-urn-safe",
    severity: Severity::Warning,
    summary: "The pack `name` is not `[a-z0-9-]`, so it cannot be used in URNs.",
    example: "name = \"My Pack\"",
};
pub const RESOURCE_MISSING: Rule = Rule {
    code: "SP705",
    name: "conf-resource-missing",
    severity: Severity::Error,
    summary: "A page or logo named by the conf is missing from `resources/` (http(s) URLs are exempt).",
    example: "logoUrl = \"logo.png\" without resources/logo.png",
};
pub const CONFIG_URL_KEY: Rule = Rule {
    code: "SP706",
    name: "configuration-url-unknown-state",
    severity: Severity::Error,
    summary: "A `configurationUrls` key that is not a provisioning state.",
    example: "configurationUrls { INSTALED: \"x.md\" }",
};
pub const CONFIG_URL_MISSING: Rule = Rule {
    code: "SP707",
    name: "configuration-url-missing-state",
    severity: Severity::Warning,
    summary: "One of the six provisioning states has no page in `configurationUrls`.",
    example: "no ERROR page",
};
pub const STEP_INVALID: Rule = Rule {
    code: "SP708",
    name: "conf-step-invalid",
    severity: Severity::Error,
    summary: "An install step with a type other than text/password, a default on a password, or a duplicated name.",
    example: "value = { type = \"number\" }",
};
pub const CONF_VALUE: Rule = Rule {
    code: "SP709",
    name: "conf-value-suspicious",
    severity: Severity::Warning,
    summary: "A conf value outside the observed set: releaseStatus, booleans, dependency versions.",
    example: "releaseStatus = LIVE",
};
pub const V2_MARKER: Rule = Rule {
    code: "SP710",
    name: "stackpack-v2-marker",
    severity: Severity::Error,
    summary: "A StackPack 2.0 marker (`schemaVersion`, object `provision`, `.sty`, `stackpack.yaml`) in a 1.0 pack.",
    example: "schemaVersion = \"2.0\"",
};
pub const PROVISION_MISSING: Rule = Rule {
    code: "SP711",
    name: "provision-class-missing",
    severity: Severity::Error,
    summary: "`provisioning/<provision>.groovy` does not exist, so the pack cannot be installed.",
    example: "provision = \"SapProvision\" with provisioning/SAPProvision.groovy",
};
pub const PROVISION_UNDECLARED: Rule = Rule {
    code: "SP712",
    name: "provision-class-undeclared",
    severity: Severity::Warning,
    summary: "The provisioning file does not declare `class <provision> extends ProvisioningScript`: a warning for a placeholder, an error when it declares another class.",
    example: "provisioning/SAPProvision.groovy holding `return null`",
};
pub const IMPORT_TARGET_MISSING: Rule = Rule {
    code: "SP713",
    name: "import-snapshot-target-missing",
    severity: Severity::Error,
    summary: "An `importSnapshot` call in the provisioning script names a template that is not under `provisioning/`.",
    example: "importSnapshot(\"templates/sap.stj\", [:]) without the file",
};
pub const STJ_NOT_JSON: Rule = Rule {
    code: "SP714",
    name: "stj-not-json",
    severity: Severity::Error,
    summary: "An `.stj` file is not valid JSON after its import-time rendering (the way StackState renders it).",
    example: "a missing comma between two nodes",
};
pub const STJ_ENVELOPE: Rule = Rule {
    code: "SP715",
    name: "stj-bad-envelope",
    severity: Severity::Error,
    summary: "The rendered `.stj` is not an object with a `nodes` list.",
    example: "[ {\"_type\": \"Layer\"} ]",
};
pub const STJ_ENVELOPE_FIELDS: Rule = Rule {
    code: "SP716",
    name: "stj-envelope-incomplete",
    severity: Severity::Warning,
    summary: "The `.stj` envelope lacks `timestamp` or `version`.",
    example: "{\"nodes\": []}",
};
pub const UNKNOWN_TYPE: Rule = Rule {
    code: "SP717",
    name: "stj-unknown-type",
    severity: Severity::Error,
    summary: "A `_type` that is not a known STJ node type.",
    example: "\"_type\": \"ComponentTyp\"",
};
pub const TYPE_WHITESPACE: Rule = Rule {
    code: "SP718",
    name: "stj-type-whitespace",
    severity: Severity::Warning,
    summary: "A `_type` with leading or trailing whitespace (shipped by real packs, accepted by StackState).",
    example: "\"_type\": \" MetricTelemetryQuery\"",
};
pub const DUPLICATE_ID: Rule = Rule {
    code: "SP719",
    name: "stj-duplicate-id",
    severity: Severity::Error,
    summary: "The same negative `id` twice in one `.stj` file: references to it become ambiguous.",
    example: "two nodes with \"id\": -5",
};
pub const DANGLING_ID: Rule = Rule {
    code: "SP720",
    name: "stj-dangling-id-reference",
    severity: Severity::Error,
    summary: "A literal negative id reference with no node of that `id` in the same file.",
    example: "\"extTopology\": -3 without a node with id -3",
};
pub const DUPLICATE_IDENTIFIER: Rule = Rule {
    code: "SP721",
    name: "stj-duplicate-identifier",
    severity: Severity::Error,
    summary: "Two nodes of the pack with the same `identifier`: the second import overwrites the first.",
    example: "two ComponentTypes with identifier urn:…:component-type:host",
};
pub const GET_UNRESOLVED: Rule = Rule {
    code: "SP722",
    name: "stj-get-unresolved",
    severity: Severity::Error,
    summary: "A `get \"<urn>\"` that names no node of this pack and no declared dependency.",
    example: "{{ get \"urn:stackpack:sap:shared:sync:nope\" }}",
};
pub const INCLUDE_MISSING: Rule = Rule {
    code: "SP723",
    name: "stj-include-missing",
    severity: Severity::Error,
    summary: "An `include` target that does not exist under `provisioning/` (paths are relative to `provisioning/`, not to the .stj).",
    example: "{{ include \"./scripts/missing.groovy\" }}",
};
pub const INCLUDE_ESCAPES: Rule = Rule {
    code: "SP724",
    name: "stj-include-outside-provisioning",
    severity: Severity::Error,
    summary: "An `include` path that is absolute or leaves `provisioning/` with `..`.",
    example: "{{ include \"../resources/logo.png\" \"base64\" }}",
};
pub const INCLUDE_ENCODING: Rule = Rule {
    code: "SP725",
    name: "stj-include-encoding",
    severity: Severity::Error,
    summary: "An `include` with an unknown encoding, or `base64` on a file that is not png/jpg/gif/svg.",
    example: "{{ include \"./x.groovy\" \"base64\" }}",
};
pub const TEMPLATE_SYNTAX: Rule = Rule {
    code: "SP726",
    name: "classic-template-syntax",
    severity: Severity::Error,
    summary:
        "A template that does not parse as Handlebars at import time (unclosed or mismatched block, unclosed tag).",
    example: "\\{{#if x\\}} without \\{{/if\\}}",
};
pub const SYNC_TEMPLATE_SYNTAX: Rule = Rule {
    code: "SP727",
    name: "sync-template-syntax",
    severity: Severity::Error,
    summary: "A component/relation template body that does not parse as Handlebars once imported (the sync-time pass).",
    example: "a handlebarsTemplate with an unclosed `{{#each}}`",
};
pub const URN_SHAPE: Rule = Rule {
    code: "SP728",
    name: "identifier-urn-shape",
    severity: Severity::Warning,
    summary: "An identifier that does not match StackState's URN pattern, or that splices user input (instance names, URLs) into the URN.",
    example: "urn:stackpack:splunk:instance:{{instanceId}}:sync:splunk-{{instanceName}}",
};
pub const URN_NAMESPACE: Rule = Rule {
    code: "SP729",
    name: "identifier-wrong-namespace",
    severity: Severity::Error,
    summary: "A node imported into the shared namespace outside `urn:stackpack:<name>:shared:`, or into an instance outside `…:instance:{{instanceId}}:`.",
    example: "urn:stackpack:other:shared:layer:x in the shared template",
};
pub const IMPORT_VARIABLE: Rule = Rule {
    code: "SP730",
    name: "template-unknown-variable",
    severity: Severity::Warning,
    summary: "A template variable that is not a standard import argument (topicName, instanceId, instanceName, a step name) and is not mentioned by the provisioning script: it renders empty unless the script passes it.",
    example: "{{integrationType}}",
};
pub const ARCHIVE_LAYOUT: Rule = Rule {
    code: "SP731",
    name: "archive-unexpected-entry",
    severity: Severity::Warning,
    summary: "An entry outside `stackpack.conf`, `provisioning/`, `resources/` and `META-INF/` (often a wrapping top-level folder).",
    example: "sap/stackpack.conf",
};
pub const ARCHIVE_FILE_NAME: Rule = Rule {
    code: "SP732",
    name: "archive-file-name",
    severity: Severity::Info,
    summary: "The archive file name is not `<name>-<version>.sts`.",
    example: "sap.zip",
};
pub const NOT_EXPRESSIBLE: Rule = Rule {
    code: "SP733",
    name: "import-kept-verbatim",
    severity: Severity::Warning,
    summary: "`stackpack import` kept something of the classic pack that the declarative format cannot express verbatim (an `stj-nodes` entry, an archive include) or could not carry over.",
    example: "a ComponentActionDefinition node",
};

pub const SYNC_TAG_UNESCAPED: Rule = Rule {
    code: "SP734",
    name: "sync-tag-unescaped",
    severity: Severity::Error,
    summary: "A sync-time expression (`element…`, `getOrCreate`, `identifier`, `concat`, `resolve…`) written unescaped: it runs at import time, where it renders empty or fails.",
    example: "\"name\": \"{{ element.data.name }}\" in a .json.handlebars",
};
pub const LEGACY_HELPER: Rule = Rule {
    code: "SP735",
    name: "legacy-helper",
    severity: Severity::Warning,
    summary: "The name-based legacy helpers `resolve`/`resolveOrCreate`, superseded by `get`/`getOrCreate` with URNs.",
    example: "\\{{ resolveOrCreate \"Layer\" element.data.layer \"Auto\" \\}}",
};
pub const GET_OR_CREATE: Rule = Rule {
    code: "SP736",
    name: "get-or-create-misuse",
    severity: Severity::Error,
    summary: "`getOrCreate` with a create-URN outside `urn:system:auto`, a type other than Environment/Layer/Domain/ComponentType/RelationType, or a third argument not shaped `Type=…;Name=…`.",
    example: "getOrCreate \"urn:a\" \"urn:stackpack:x:shared:layer:y\" \"Type=Layer;Name=Y\"",
};
pub const NODE_SHAPE: Rule = Rule {
    code: "SP737",
    name: "stj-node-shape",
    severity: Severity::Error,
    summary: "A node without a field StackState requires, or with the script in the wrong field (IdExtractorFunction takes `groovyScript`, other functions `script`).",
    example: "an IdExtractorFunction with `script`",
};
pub const UNUSUAL_VALUE: Rule = Rule {
    code: "SP738",
    name: "stj-unusual-value",
    severity: Severity::Warning,
    summary: "A Parameter type, return type or merge strategy outside the values StackState packs use.",
    example: "\"mergeStrategy\": \"MergePreferMine\"",
};
pub const IMPORT_ORDER: Rule = Rule {
    code: "SP739",
    name: "import-order",
    severity: Severity::Warning,
    summary: "The provisioning script imports an instance template before the shared one, although instance templates `get` shared nodes.",
    example: "instance().importSnapshot(…) >> stackPack().importSnapshot(…)",
};
pub const MONITOR_VERSION: Rule = Rule {
    code: "SP740",
    name: "monitor-needs-stj-version",
    severity: Severity::Error,
    summary: "`Monitor`/`MonitorFunction` nodes in a file without `_version` 1.0.39 or later: older STJ versions do not know them.",
    example: "{\"nodes\": [{\"_type\": \"Monitor\", …}], \"version\": \"0.1\"}",
};
pub const GROOVY_BRACES: Rule = Rule {
    code: "SP741",
    name: "groovy-handlebars-include",
    severity: Severity::Warning,
    summary: "A Groovy file included in the default `handlebars` mode contains an unescaped `{{` or `}}` that is not an import-time variable: the import pass evaluates or mangles it.",
    example: "{{ include \"./scripts/x.groovy\" }} of a script with `[a: [b: 1]]}}`",
};
pub const IDENTITY_IN_STRING: Rule = Rule {
    code: "SP742",
    name: "identity-include-in-json-string",
    severity: Severity::Warning,
    summary: "`include … \"identity\"` inside a JSON string of a file whose text needs no JSON escaping (one line, no `\"` or `\\`): harmless verbatim, but no published pack uses this encoding there. A text that does need escaping is SP743.",
    example: "\"name\": \"{{ include \"./name.txt\" \"identity\" }}\" of a one-line file without quotes",
};
pub const IDENTITY_BREAKS_STRING: Rule = Rule {
    code: "SP743",
    name: "identity-include-breaks-json-string",
    severity: Severity::Error,
    summary: "`include … \"identity\"` inside a JSON string of a file with a `\"`, `\\`, newline or other control character: identity text is included as is (nothing public says StackState JSON-escapes it), so the rendered STJ is not JSON and the import fails. Include it in the default mode with its `{{`/`}}` escaped, as the published packs do.",
    example: "\"script\": \"{{ include \"./scripts/x.groovy\" \"identity\" }}\" of a multi-line script",
};

pub const RULES: &[&Rule] = &[
    &CONF_SYNTAX,
    &CONF_MISSING,
    &CONF_UNKNOWN_KEY,
    &CONF_VERSION,
    &CONF_NAME,
    &RESOURCE_MISSING,
    &CONFIG_URL_KEY,
    &CONFIG_URL_MISSING,
    &STEP_INVALID,
    &CONF_VALUE,
    &V2_MARKER,
    &PROVISION_MISSING,
    &PROVISION_UNDECLARED,
    &IMPORT_TARGET_MISSING,
    &STJ_NOT_JSON,
    &STJ_ENVELOPE,
    &STJ_ENVELOPE_FIELDS,
    &UNKNOWN_TYPE,
    &TYPE_WHITESPACE,
    &DUPLICATE_ID,
    &DANGLING_ID,
    &DUPLICATE_IDENTIFIER,
    &GET_UNRESOLVED,
    &INCLUDE_MISSING,
    &INCLUDE_ESCAPES,
    &INCLUDE_ENCODING,
    &TEMPLATE_SYNTAX,
    &SYNC_TEMPLATE_SYNTAX,
    &URN_SHAPE,
    &URN_NAMESPACE,
    &IMPORT_VARIABLE,
    &ARCHIVE_LAYOUT,
    &ARCHIVE_FILE_NAME,
    &NOT_EXPRESSIBLE,
    &SYNC_TAG_UNESCAPED,
    &LEGACY_HELPER,
    &GET_OR_CREATE,
    &NODE_SHAPE,
    &UNUSUAL_VALUE,
    &IMPORT_ORDER,
    &MONITOR_VERSION,
    &GROOVY_BRACES,
    &IDENTITY_IN_STRING,
    &IDENTITY_BREAKS_STRING,
];
