//! Rules of the StackPack 2.0 format (four-digit codes): SP20xx loading and layout, SP21xx node
//! schemas, SP22xx references and identifiers, SP23xx handlebars and includes, SP24xx embedded
//! queries (CEL, STQL, PromQL), SP25xx server versions and version bumps, SP29xx hygiene.

use crate::diag::{Rule, Severity};

macro_rules! rule {
    ($id:ident, $code:literal, $name:literal, $sev:ident, $summary:literal, $example:literal) => {
        pub const $id: Rule = Rule {
            code: $code,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            example: $example,
        };
    };
}

// ---- SP20xx: loading and layout --------------------------------------------------------------
rule!(
    YAML_SYNTAX,
    "SP2001",
    "v2-yaml-syntax",
    Error,
    "A `stackpack.yaml` or `.sty` file is not valid YAML: the server cannot read the pack.",
    "nodes: [ {_type: Monitor"
);
rule!(MISSING_PATH, "SP2002", "v2-missing-path", Error,
    "One of the paths every 2.0 pack needs (`stackpack.yaml`, `README.md`, `settings/`, `resources/`) is missing or of the wrong kind.",
    "a pack without `resources/`");
rule!(
    SCHEMA_VERSION,
    "SP2003",
    "v2-schema-version",
    Error,
    "`schemaVersion` must be the string \"2.0\" for the YAML format.",
    "schemaVersion: 1.0"
);
rule!(
    PACK_NAME,
    "SP2004",
    "v2-pack-name",
    Error,
    "The pack name must match `^[a-z][a-z0-9-]*$`: it becomes the archive name and every identifier's pack segment.",
    "name: My_Pack"
);
rule!(PACK_VERSION, "SP2005", "v2-pack-version", Error,
    "The version must be a double-quoted strict semantic version `X.Y.Z`: the CLI's release tooling rewrites only that form.",
    "version: 1.0");
rule!(
    STY_SHAPE,
    "SP2006",
    "v2-sty-shape",
    Error,
    "A `.sty` document must be a mapping with the single key `nodes` holding a list of nodes.",
    "monitors: [...]"
);
rule!(
    MULTI_DOCUMENT,
    "SP2007",
    "v2-multi-document",
    Warning,
    "A `.sty` file holds several YAML documents: every published pack uses one document per file.",
    "nodes: [...]\\n---\\nnodes: [...]"
);
rule!(TAG_TARGET_MISSING, "SP2008", "v2-tag-target-missing", Error,
    "The file a `!include`, `!icon` or `!resource` tag names does not exist under its root (`includes/`, `icons/`, `resources/`).",
    "remediationHint: !include hints/missing.md.hbs");
rule!(
    TAG_PATH,
    "SP2009",
    "v2-tag-path",
    Error,
    "A tag's path is empty, absolute or leaves its root with `..`.",
    "logoUrl: !resource ../secret.png"
);
rule!(
    UNKNOWN_TAG,
    "SP2010",
    "v2-unknown-tag",
    Error,
    "A YAML tag other than `!include`, `!icon` and `!resource`: the server does not resolve it.",
    "remediationHint: !inclde hint.md.hbs"
);
rule!(
    TAG_ON_COLLECTION,
    "SP2011",
    "v2-tag-on-collection",
    Error,
    "A file tag is put on a list or mapping; it takes a path.",
    "icon: !icon [a.svg]"
);
rule!(
    DUPLICATE_KEY,
    "SP2012",
    "v2-duplicate-key",
    Error,
    "A mapping has the same key twice: YAML readers keep only one of the values.",
    "name: a\\nname: b"
);
rule!(OLD_DIALECT, "SP2013", "v2-old-dialect", Warning,
    "The pack still has files of the old 2.0 dialect (`stackpack.conf`, `provisioning/`): `sts stackpack package` ignores them.",
    "provisioning/stackpack.sty");
rule!(
    UNREADABLE,
    "SP2014",
    "v2-unreadable",
    Error,
    "A pack file cannot be read as UTF-8 text.",
    "settings/monitors.sty saved as UTF-16"
);
rule!(
    CONFIGURATION_URLS,
    "SP2015",
    "v2-configuration-urls",
    Warning,
    "`configurationUrls` lacks one of the six install states: users see an empty page in that state.",
    "configurationUrls without ERROR"
);
rule!(
    WRONG_TYPE,
    "SP2016",
    "v2-wrong-type",
    Error,
    "A value has the wrong YAML type for its field (a list where text is expected, …).",
    "name: [a, b]"
);

// ---- SP21xx: node schemas --------------------------------------------------------------------
rule!(
    UNKNOWN_NODE_TYPE,
    "SP2101",
    "v2-unknown-node-type",
    Error,
    "A node's `_type` is not one of the 2.0 node types: the server cannot import it.",
    "_type: Moniter"
);
rule!(
    UNKNOWN_FIELD,
    "SP2102",
    "v2-unknown-field",
    Warning,
    "A field the node schema does not have: a typo, or a field of another server version.",
    "intervalSecond: 30"
);
rule!(
    MISSING_FIELD,
    "SP2103",
    "v2-missing-field",
    Error,
    "A field the node type requires is missing.",
    "a Monitor without `function`"
);
rule!(
    FIELD_TYPE,
    "SP2104",
    "v2-field-type",
    Error,
    "A field's value has the wrong type for the node schema.",
    "intervalSeconds: \"30\""
);
rule!(
    ENUM_VALUE,
    "SP2105",
    "v2-enum-value",
    Error,
    "A field's value is not one of the values the server accepts.",
    "comparator: GREATER"
);
rule!(
    NOT_POSITIVE,
    "SP2106",
    "v2-not-positive",
    Error,
    "A duration or interval must be greater than 0.",
    "intervalSeconds: 0"
);
rule!(
    MISSING_TYPE,
    "SP2107",
    "v2-missing-type",
    Error,
    "A node has no `_type`: the server cannot tell what it is.",
    "- identifier: urn:stackpack:p:monitor:x"
);

// ---- SP22xx: references and identifiers ------------------------------------------------------
rule!(
    DUPLICATE_IDENTIFIER,
    "SP2201",
    "v2-duplicate-identifier",
    Error,
    "Two nodes of the pack have the same identifier: the second replaces the first on import.",
    "two monitors with identifier urn:stackpack:p:monitor:cpu"
);
rule!(IDENTIFIER_FORMAT, "SP2202", "v2-identifier-format", Error,
    "A node identifier must be `urn:stackpack:<pack name>:<kind>:<name>`, with the pack's own name and the kind of its `_type`.",
    "identifier: urn:stackpack:other:monitor:cpu");
rule!(
    SHARED_SEGMENT,
    "SP2203",
    "v2-shared-segment",
    Warning,
    "The `:shared:` identifier segment belongs to the old dialect; current 2.0 packs leave it out.",
    "urn:stackpack:p:shared:monitor:cpu"
);
rule!(SORT_COLUMN, "SP2204", "v2-sort-column", Error,
    "`overview.sort[].columnId` must name a column of the presentation (its own or one of the pack's shared columns) that can be sorted.",
    "sort: [{columnId: nmae}]");
rule!(
    PRESENTATION_REF,
    "SP2205",
    "v2-presentation-ref",
    Warning,
    "`presentationIdentifier` names no ComponentPresentation of the pack (nor a known presentation of another pack).",
    "presentationIdentifier: urn:stackpack:p:component-presentation:missing"
);
rule!(
    MENU_GROUP_REF,
    "SP2206",
    "v2-menu-group-ref",
    Warning,
    "`overview.mainMenu.group` names no MainMenuGroup of the pack (nor a known group of another pack).",
    "mainMenu: {group: Databses}"
);
rule!(
    METRIC_ID_REF,
    "SP2207",
    "v2-metric-id-ref",
    Warning,
    "A `metricId` names no entry of the node's own `metrics[]`: the chart or value stays empty.",
    "metricId: cpu-usage  # metrics[] defines cpu_usage"
);
rule!(
    VARS_REF,
    "SP2208",
    "v2-vars-ref",
    Error,
    "A CEL expression uses `vars.X` but the mapping declares no earlier variable `X`.",
    "name: vars.servce"
);
rule!(
    UNUSED_VAR,
    "SP2209",
    "v2-unused-var",
    Warning,
    "A mapping declares a variable no expression uses.",
    "vars: [{name: unused, value: \"'x'\"}]"
);
rule!(
    FILTER_COLUMN_REF,
    "SP2210",
    "v2-filter-column-ref",
    Warning,
    "A bare `filterId` or `columnId` (without a definition) is defined by no presentation of the pack.",
    "filters: [{filterId: regoin}]"
);
rule!(
    DASHBOARD_REF,
    "SP2211",
    "v2-dashboard-ref",
    Warning,
    "A link target `#/dashboards/<identifier>` or a panel `$ref` points at nothing in the pack.",
    "target: \"#/dashboards/urn:stackpack:p:dashboard:missing\""
);
rule!(ORPHAN_FILE, "SP2212", "v2-orphan-file", Warning,
    "A file under `includes/` or `icons/` (or a Markdown page under `resources/`) that no tag references: it ships unused.",
    "icons/unused.svg");
rule!(
    MAPPING_REF,
    "SP2213",
    "v2-mapping-ref",
    Warning,
    "A selector compares `external.mapping.identifier` with an identifier that is no OtelComponentMapping of the pack.",
    "externalComponentSelector: \"external.mapping.identifier == 'urn:…:missing'\""
);

// ---- SP23xx: handlebars and includes ----------------------------------------------------------
rule!(HANDLEBARS_IN_STY, "SP2301", "v2-handlebars-in-sty", Error,
    "`{{ … }}` in a `.sty` file: 2.0 settings are plain YAML and the server's validator rejects handlebars; use `!include` and plain URNs.",
    "function: {{ get \"urn:stackpack:common:monitor-function:threshold\" }}");
rule!(HINT_TAGS, "SP2302", "v2-hint-tags", Warning,
    "A remediation hint uses `{{ tags.x }}`: monitor hints are rendered with the time series' `labels`, so use `{{ labels.x }}`.",
    "{{ tags.namespace }}");
rule!(
    HBS_SYNTAX,
    "SP2303",
    "v2-hbs-syntax",
    Error,
    "A remediation hint (`includes/*.md.hbs` or inline) is not valid handlebars.",
    "{{#if x}} without {{/if}}"
);
rule!(HBS_UNKNOWN, "SP2304", "v2-hbs-unknown", Warning,
    "A remediation hint uses a value or helper monitors do not provide (known: componentUrnForUrl, labels.*, tags.*, threshold, multiply).",
    "{{ lables.pod }}");
rule!(
    TEMPLATE_LABEL,
    "SP2305",
    "v2-template-label",
    Warning,
    "A `${label}` in a monitor's urn/title/alias template, or a `{{ labels.x }}` in its remediation hint, is not kept by the query's outer `by (…)`: it renders empty.",
    "urnTemplate: urn:x:${pod} with sum by (namespace) (…)"
);

// ---- SP24xx: embedded queries ----------------------------------------------------------------
rule!(
    CEL_SYNTAX,
    "SP2401",
    "v2-cel-syntax",
    Error,
    "A CEL expression (OTel mapping field, selector or projection) does not parse.",
    "condition: \"resource.attributes['a'] ==\""
);
rule!(CEL_VARIABLE, "SP2402", "v2-cel-variable", Error,
    "A CEL expression uses a variable its level does not have (e.g. `span` in a resource-level mapping, or `datapoint` without a `metric.datapoint` input).",
    "condition: span.name == 'x'  # at resource level");
rule!(
    STQL_SYNTAX,
    "SP2403",
    "v2-stql-syntax",
    Error,
    "A topology query (binding, related resources, events) is not valid STQL.",
    "query: type = \"pod\" AND"
);
rule!(PROMQL_SYNTAX, "SP2404", "v2-promql-syntax", Error,
    "A PromQL query (monitor, metric, projection, dashboard) does not parse once its `${…}` placeholders are substituted.",
    "query: sum(rate(x[5m])");
rule!(
    SIGNAL_SCOPE,
    "SP2405",
    "v2-signal-scope",
    Error,
    "An OTel mapping reads spans, metrics or logs its `input.signal` does not list: it never matches.",
    "signal: [METRICS] with input.resource.scope.span"
);
rule!(
    CEL_LITERAL,
    "SP2406",
    "v2-cel-literal",
    Warning,
    "A mapping field is a bare word, which CEL reads as a variable: quote literals inside the CEL string.",
    "typeName: otel service  # should be \"'otel service'\""
);
rule!(
    STQL_UNKNOWN,
    "SP2407",
    "v2-stql-unknown",
    Warning,
    "A topology query uses a field or function our STQL vocabulary does not know.",
    "query: typ = \"pod\""
);

// ---- SP25xx: server versions and version bumps ------------------------------------------------
rule!(
    RENAMED_FIELD,
    "SP2501",
    "v2-renamed-field",
    Warning,
    "A field was renamed in a server version: use the new name (the old one is still read, for now).",
    "externalComponentSelector: \"…\"  # now topologySourceSelector"
);
rule!(
    FIELD_TOO_NEW,
    "SP2502",
    "v2-field-too-new",
    Error,
    "A field exists only from a server version newer than the oldest server the pack targets.",
    "menuSection with `min = \"2.4.0\"` targets"
);
rule!(
    REMOVED_FIELD,
    "SP2503",
    "v2-removed-field",
    Warning,
    "A field the server no longer reads: remove it.",
    "output.layerName in an OtelComponentMapping"
);
rule!(
    TARGETS_FILE,
    "SP2504",
    "v2-targets-file",
    Error,
    "The side file `stackpack-targets.toml` is invalid (unknown key, bad version, min above max).",
    "[server] min = \"two\""
);
rule!(BUMP_TOO_SMALL, "SP2505", "v2-bump-too-small", Error,
    "Compared with `--baseline`, the changes need a bigger version bump (removed nodes, changed monitors or mappings: major; added nodes, changed presentations: minor).",
    "a removed monitor released as 1.0.1");
rule!(
    BASELINE_UNREADABLE,
    "SP2506",
    "v2-baseline-unreadable",
    Error,
    "The `--baseline` pack or archive cannot be read as a 2.0 pack.",
    "--baseline missing.sts"
);

// ---- SP29xx: hygiene -------------------------------------------------------------------------
rule!(
    JUNK_FILE,
    "SP2901",
    "v2-junk-file",
    Error,
    "A file that must not ship (an archive, a dotfile, an editor backup) inside a packaged folder: `build` refuses it.",
    "resources/old-build.sts"
);
rule!(
    SYMLINK,
    "SP2902",
    "v2-symlink",
    Error,
    "A symbolic link in the pack: `sts stackpack package` loses or breaks on them, so `build` refuses them.",
    "settings -> ../shared/settings"
);
rule!(NOT_SHIPPED, "SP2903", "v2-not-shipped", Info,
    "A top-level entry that is not part of the archive (only stackpack.yaml, README.md, settings/, resources/, icons/, includes/ ship).",
    "notes.txt");
rule!(
    EMPTY_PAGE,
    "SP2904",
    "v2-empty-page",
    Warning,
    "A page `configurationUrls` or an overview URL points at is empty.",
    "ERROR: !resource error.md  # 0 bytes"
);

/// Every 2.0 rule, in code order.
pub const RULES: &[&Rule] = &[
    &YAML_SYNTAX,
    &MISSING_PATH,
    &SCHEMA_VERSION,
    &PACK_NAME,
    &PACK_VERSION,
    &STY_SHAPE,
    &MULTI_DOCUMENT,
    &TAG_TARGET_MISSING,
    &TAG_PATH,
    &UNKNOWN_TAG,
    &TAG_ON_COLLECTION,
    &DUPLICATE_KEY,
    &OLD_DIALECT,
    &UNREADABLE,
    &CONFIGURATION_URLS,
    &WRONG_TYPE,
    &UNKNOWN_NODE_TYPE,
    &UNKNOWN_FIELD,
    &MISSING_FIELD,
    &FIELD_TYPE,
    &ENUM_VALUE,
    &NOT_POSITIVE,
    &MISSING_TYPE,
    &DUPLICATE_IDENTIFIER,
    &IDENTIFIER_FORMAT,
    &SHARED_SEGMENT,
    &SORT_COLUMN,
    &PRESENTATION_REF,
    &MENU_GROUP_REF,
    &METRIC_ID_REF,
    &VARS_REF,
    &UNUSED_VAR,
    &FILTER_COLUMN_REF,
    &DASHBOARD_REF,
    &ORPHAN_FILE,
    &MAPPING_REF,
    &HANDLEBARS_IN_STY,
    &HINT_TAGS,
    &HBS_SYNTAX,
    &HBS_UNKNOWN,
    &TEMPLATE_LABEL,
    &CEL_SYNTAX,
    &CEL_VARIABLE,
    &STQL_SYNTAX,
    &PROMQL_SYNTAX,
    &SIGNAL_SCOPE,
    &CEL_LITERAL,
    &STQL_UNKNOWN,
    &RENAMED_FIELD,
    &FIELD_TOO_NEW,
    &REMOVED_FIELD,
    &TARGETS_FILE,
    &BUMP_TOO_SMALL,
    &BASELINE_UNREADABLE,
    &JUNK_FILE,
    &SYMLINK,
    &NOT_SHIPPED,
    &EMPTY_PAGE,
];
