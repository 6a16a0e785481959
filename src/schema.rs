//! JSON Schemas of the declarative sources, for editor completion and validation:
//! `schemas/stackpack.schema.json` (the manifest, e.g. with taplo's `#:schema` directive) and
//! `schemas/nodes.schema.json` (node files, e.g. with yaml-language-server's `$schema` comment).
//!
//! `stackpack schema manifest|nodes` prints them; tests check that the committed files are
//! current and that every property they list is one the model accepts, and vice versa.

use crate::model::{NodeKind, ParamType};
use serde_json::{json, Map, Value};

fn string(description: &str) -> Value {
    json!({"type": "string", "description": description})
}
fn boolean(description: &str, default: bool) -> Value {
    json!({"type": "boolean", "description": description, "default": default})
}
fn integer(description: &str, default: i64) -> Value {
    json!({"type": "integer", "description": description, "default": default})
}
fn path(description: &str) -> Value {
    json!({"type": "string", "description": format!("{description} Pack-relative path; no `..`, no absolute path."), "pattern": "^(?!/)(?!.*(^|/)\\.\\.(/|$)).+$"})
}
fn reference(description: &str) -> Value {
    json!({"type": "string", "description": format!("{description} A short id of this pack, or a full URN (`urn:stackpack:<dependency>:…`)."), "minLength": 1})
}
fn object(properties: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let mut props = Map::new();
    for (k, v) in properties {
        props.insert(k.to_string(), v);
    }
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

/// Schema of `stackpack.toml`.
pub fn manifest() -> Value {
    let page = |d: &str| path(&format!("Markdown page under `resources/`: {d}."));
    let mut schema = object(
        vec![
            (
                "name",
                json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "description": "Pack name: the `<pack>` segment of every URN (lower-case, digits, `-`)."}),
            ),
            (
                "display-name",
                string("Title shown in the StackPacks list (`displayName`)."),
            ),
            (
                "version",
                string("Pack version, semver (`4.3.1`, or `4.4.0-snapshot.1` on branches)."),
            ),
            (
                "min-stackstate-version",
                string("Oldest StackState version the pack installs on (`4.3` means `4.3.0`)."),
            ),
            (
                "max-stackstate-version",
                string("Newest StackState version the pack supports (optional)."),
            ),
            (
                "categories",
                json!({"type": "array", "items": {"type": "string"}, "description": "Filter tags (`categories`)."}),
            ),
            ("logo", path("Logo image under `resources/` (`logoUrl`).")),
            (
                "release-status",
                json!({"enum": ["available", "enabled", "coming-soon", "hidden", "broken", "AVAILABLE", "ENABLED", "COMING_SOON", "HIDDEN", "BROKEN"], "default": "available", "description": "`releaseStatus`."}),
            ),
            ("is-new", boolean("First public release (`isNew`).", false)),
            (
                "multi-instance",
                boolean("More than one instance may be installed (`isMultiConfig`).", false),
            ),
            (
                "docs-url",
                string("Link to the documentation page (`docsUrl`, StackState 5.1+)."),
            ),
            (
                "changelog",
                json!({"type": "string", "default": "changelog", "description": "Directory of the changelog, relative to the pack (may be `../changelog`)."}),
            ),
            (
                "dependencies",
                json!({"type": "object", "additionalProperties": {"type": "string"}, "description": "Packs this one needs, with the exact version (`common = \"2.5.0\"`)."}),
            ),
            (
                "pages",
                object(
                    vec![
                        ("overview", page("general overview (`overviewUrl`)")),
                        (
                            "detailed-overview",
                            page("shown below the installed instances (`detailedOverviewUrl`)"),
                        ),
                        ("upgrade-instructions", page("shown on upgrade (`upgradeInstructions`)")),
                        ("not-installed", page("state NOT_INSTALLED")),
                        ("provisioning", page("state PROVISIONING")),
                        ("waiting-for-data", page("state WAITING_FOR_DATA")),
                        ("installed", page("state INSTALLED")),
                        ("deprovisioning", page("state DEPROVISIONING")),
                        ("error", page("state ERROR")),
                    ],
                    &[],
                ),
            ),
            (
                "faqs",
                json!({"type": "array", "items": object(vec![("question", string("Question.")), ("answer", string("Answer."))], &["question", "answer"])}),
            ),
            (
                "steps",
                json!({"type": "array", "description": "Install-time inputs (`steps`).", "items": object(vec![
                    ("name", string("Key of the value in the provisioning config.")),
                    ("display", string("Label in the install dialog.")),
                    ("type", json!({"enum": ["text", "password"], "default": "text"})),
                    ("default", string("Default value (text steps only).")),
                ], &["name", "display"])}),
            ),
            (
                "integrations",
                json!({"type": "array", "description": "Sub-integration tiles on the pack's page (`integrations`).", "items": object(vec![
                    ("name", string("Integration name.")),
                    ("display-name", string("Title of the tile.")),
                    ("version", string("Version shown on the tile.")),
                    ("is-new", boolean("Marked as new (`isNew`).", false)),
                    ("logo", path("Logo image under `resources/` (`logoUrl`).")),
                    ("categories", json!({"type": "array", "items": {"type": "string"}})),
                    ("overview", path("Overview page under `resources/` (`overviewUrl`).")),
                ], &["name", "display-name"])}),
            ),
            (
                "release-notes",
                boolean(
                    "Name `resources/RELEASE.md` as `releaseNotes` in the conf when it exists.",
                    true,
                ),
            ),
            (
                "provisioning",
                object(
                    vec![
                        (
                            "class",
                            string("Provisioning class name (default: the pack name in CamelCase + `Provision`)."),
                        ),
                        (
                            "script",
                            path("A hand-written provisioning script used instead of the generated one."),
                        ),
                        (
                            "shared-template",
                            string("File name of the shared STJ template (default `<name>.stj`)."),
                        ),
                        (
                            "instance-template",
                            string("File name of the instance STJ template (default `<name>-instance.stj`)."),
                        ),
                        (
                            "instance-type",
                            string("Multi-instance packs: `<instance_type>` of the topology topic."),
                        ),
                        (
                            "topic-step",
                            string("Multi-instance packs: the step whose value is the topic's `<instance_url>`."),
                        ),
                    ],
                    &[],
                ),
            ),
            (
                "archive",
                object(
                    vec![(
                        "include",
                        json!({"type": "array", "items": {"type": "string"}, "description": "Files copied verbatim into the archive at the same path."}),
                    )],
                    &[],
                ),
            ),
            (
                "lint",
                object(
                    vec![(
                        "allow",
                        json!({"type": "array", "items": object(vec![("code", string("Rule code, e.g. `SP901`.")), ("reason", string("Why the rule does not apply here."))], &["code", "reason"])}),
                    )],
                    &[],
                ),
            ),
        ],
        &["name", "display-name", "version", "logo"],
    );
    if let Value::Object(m) = &mut schema {
        m.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        m.insert("title".into(), json!("stackpack.toml"));
    }
    schema
}

/// Kind-specific properties of each node kind (besides `id`, `name`, `description`,
/// `identifier`, `scope`).
fn kind_properties(kind: NodeKind) -> (Vec<(&'static str, Value)>, Vec<&'static str>) {
    let action = |typed: bool| {
        let mut props = vec![
            ("template", reference("The component or relation template.")),
            ("mapping", reference("The mapping function applied first (optional).")),
            (
                "merge-strategy",
                json!({"type": "string", "default": "MergePreferTheirs"}),
            ),
        ];
        let mut req = vec!["template"];
        if typed {
            props.insert(0, ("type", string("External type name this action handles.")));
            req.push("type");
        } else {
            props.insert(
                0,
                (
                    "type",
                    string("The action's `type` (default `default_component_mapping` / `default_relation_mapping`)."),
                ),
            );
        }
        object(props, &req)
    };
    match kind {
        NodeKind::ComponentType => (vec![("icon", path("PNG or SVG icon."))], vec![]),
        NodeKind::RelationType => (
            vec![(
                "dependency-direction",
                json!({"enum": ["one-way", "both", "none"], "default": "one-way"}),
            )],
            vec![],
        ),
        NodeKind::Layer | NodeKind::Domain | NodeKind::Environment => (
            vec![("order", json!({"type": "number", "description": "Sort order."}))],
            vec![],
        ),
        NodeKind::IdExtractor => (
            vec![
                ("script", path("Groovy body (`groovyScript`).")),
                ("parameter", json!({"type": "string", "default": "topologyElement"})),
                (
                    "import-variables",
                    json!({"type": "array", "items": {"type": "string"}, "description": "`{{var}}` tags of the script that the import pass substitutes (import-time variables); every other brace is copied as written."}),
                ),
            ],
            vec!["script"],
        ),
        NodeKind::ComponentMapping | NodeKind::RelationMapping => (
            vec![
                ("script", path("Groovy body.")),
                ("parameter", json!({"type": "string", "default": "element"})),
                (
                    "import-variables",
                    json!({"type": "array", "items": {"type": "string"}, "description": "`{{var}}` tags of the script that the import pass substitutes (import-time variables); every other brace is copied as written."}),
                ),
            ],
            vec!["script"],
        ),
        NodeKind::ComponentTemplate | NodeKind::RelationTemplate => (
            vec![
                ("template", path("Handlebars template, written unescaped.")),
                ("parameter", json!({"type": "string", "default": "element"})),
                (
                    "system-parameter",
                    boolean("Mark the parameter as a system parameter.", false),
                ),
            ],
            vec!["template"],
        ),
        NodeKind::CheckFunction => (
            vec![
                ("script", path("Groovy body.")),
                (
                    "import-variables",
                    json!({"type": "array", "items": {"type": "string"}, "description": "`{{var}}` tags of the script that the import pass substitutes (import-time variables); every other brace is copied as written."}),
                ),
                (
                    "parameters",
                    json!({"type": "array", "items": object(vec![
                        ("name", string("Parameter name.")),
                        ("type", json!({"enum": ParamType::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>()})),
                        ("required", boolean("Required.", true)),
                        ("multiple", boolean("Takes several values.", false)),
                    ], &["name", "type"])}),
                ),
                (
                    "returns",
                    json!({"type": "array", "items": {"enum": ["health-state", "run-state"]}}),
                ),
            ],
            vec!["script"],
        ),
        NodeKind::DataSource => (
            vec![
                ("topic", string("Kafka topic (`sts_topo_<type>_<url>`).")),
                (
                    "integration-type",
                    string("`integrationType` of the data source config."),
                ),
                ("auto-expire-elements", boolean("`autoExpireElements`.", false)),
                (
                    "expire-elements-after-ms",
                    integer("`expireElementsAfter`.", 172_800_000),
                ),
                ("cleanup-expired-elements", boolean("`cleanupExpiredElements`.", false)),
                ("cleanup-interval-ms", integer("`cleanupInterval`.", 3_600_000)),
                ("max-batch-size", integer("`maxBatchSize`.", 200)),
                ("max-batches-per-second", integer("`maxBatchesPerSecond`.", 5)),
                ("ui-request-timeout-ms", integer("`uiRequestTimeout`.", 15_000)),
            ],
            vec!["topic", "integration-type"],
        ),
        NodeKind::Sync => (
            vec![
                ("data-source", reference("The data source.")),
                ("component-id-extractor", reference("The component id extractor.")),
                ("relation-id-extractor", reference("The relation id extractor.")),
                ("default-component-action", action(false)),
                ("default-relation-action", action(false)),
                ("component-actions", json!({"type": "array", "items": action(true)})),
                ("relation-actions", json!({"type": "array", "items": action(true)})),
            ],
            vec!["data-source", "component-id-extractor", "relation-id-extractor"],
        ),
        NodeKind::View => (
            vec![
                ("query", string("STQL query.")),
                (
                    "grouping",
                    object(
                        vec![
                            ("enabled", boolean("`groupingEnabled`.", true)),
                            ("by-layers", boolean("`groupedByLayers`.", true)),
                            ("by-domains", boolean("`groupedByDomains`.", true)),
                            ("by-relations", boolean("`groupedByRelations`.", true)),
                            ("auto", boolean("`autoGrouping` (StackState 4.3+).", false)),
                            ("minimum-group-size", integer("`minimumGroupSize`.", 8)),
                        ],
                        &[],
                    ),
                ),
                ("show-indirect-relations", boolean("`showIndirectRelations`.", false)),
                (
                    "health",
                    object(
                        vec![
                            ("function", reference("A view health state configuration function.")),
                            (
                                "arguments",
                                json!({"type": "object", "additionalProperties": {"type": "integer"}}),
                            ),
                        ],
                        &["function"],
                    ),
                ),
            ],
            vec!["query"],
        ),
        NodeKind::Stj => (
            vec![
                ("type", string("STJ `_type` of the node.")),
                (
                    "fields",
                    json!({"type": "object", "description": "The node's fields, emitted verbatim."}),
                ),
            ],
            vec!["type"],
        ),
    }
}

/// Schema of a node of `kind`.
pub fn node(kind: NodeKind) -> Value {
    let (mut props, mut required) = kind_properties(kind);
    let mut common = vec![
        (
            "id",
            json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$", "description": "Short id: the last URN segment, unique per kind."}),
        ),
        ("description", string("Description.")),
        ("identifier", string("Explicit URN instead of the generated one.")),
        ("scope", json!({"enum": ["shared", "instance"], "default": "shared"})),
    ];
    if kind != NodeKind::Stj {
        common.insert(
            1,
            (
                "name",
                string("Display name (component and relation types: the external type name)."),
            ),
        );
    }
    common.append(&mut props);
    let mut req = vec!["id"];
    if !matches!(kind, NodeKind::ComponentType | NodeKind::RelationType | NodeKind::Stj) {
        req.push("name");
    }
    req.append(&mut required);
    object(common, &req)
}

/// Schema of a node file.
pub fn nodes() -> Value {
    let mut props = Map::new();
    for kind in NodeKind::ALL {
        props.insert(kind.key().to_string(), json!({"type": "array", "items": node(kind)}));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "stackpack node file",
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    })
}

/// The text of a schema file as committed.
pub fn to_text(schema: &Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;
    use crate::load::tree::{Kind, Value as TValue};
    use crate::source::{SourceMap, Span};

    fn committed(name: &str) -> String {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schemas")
                .join(name),
        )
        .unwrap_or_default()
    }

    #[test]
    fn committed_schemas_are_current() {
        assert_eq!(
            committed("stackpack.schema.json"),
            to_text(&manifest()),
            "run `stackpack schema manifest > schemas/stackpack.schema.json`"
        );
        assert_eq!(
            committed("nodes.schema.json"),
            to_text(&nodes()),
            "run `stackpack schema nodes > schemas/nodes.schema.json`"
        );
    }

    /// The fields the model asks for on an object: lower a copy with an unrelated key and read
    /// the "known fields" list of the unknown-field finding.
    fn known_fields(yaml: &str) -> Vec<String> {
        let mut sources = SourceMap::new();
        let id = sources.add("n.yaml", None, yaml.to_string());
        let mut diags = Diagnostics::new();
        let docs = crate::load::yaml::parse(id, sources.file(id), &mut diags).unwrap_or_default();
        let mut nodes = Vec::new();
        for d in &docs {
            crate::model::nodes::lower_file(d, &mut nodes, &mut diags);
        }
        let mut out = Vec::new();
        for d in diags.iter().filter(|d| d.code == "SP004") {
            if let Some(list) = d.help.as_deref().and_then(|h| h.strip_prefix("known fields: ")) {
                out.extend(list.split(", ").map(str::to_string));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn schema_props(v: &Value) -> Vec<String> {
        let mut p: Vec<String> = v["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        p.sort();
        p
    }

    #[test]
    fn node_schemas_match_what_the_model_accepts() {
        for kind in NodeKind::ALL {
            let yaml = format!("{}:\n  - zzqqxx: 1\n", kind.key());
            let accepted = known_fields(&yaml);
            assert_eq!(schema_props(&node(kind)), accepted, "{}", kind.key());
        }
        // Nested objects.
        let cases = [
            ("views:\n  - grouping: {zzqqxx: 1}\n", "grouping", NodeKind::View),
            ("views:\n  - health: {zzqqxx: 1}\n", "health", NodeKind::View),
        ];
        for (yaml, field, kind) in cases {
            let accepted = known_fields(yaml);
            assert_eq!(schema_props(&node(kind)["properties"][field]), accepted, "{field}");
        }
        let accepted = known_fields("syncs:\n  - default-component-action: {zzqqxx: 1}\n");
        let action = &node(NodeKind::Sync)["properties"]["default-component-action"];
        for p in schema_props(action) {
            assert!(
                accepted.contains(&p),
                "default action field {p} not accepted by the model"
            );
        }
        let accepted = known_fields("check-functions:\n  - parameters: [{zzqqxx: 1}]\n");
        let param = &node(NodeKind::CheckFunction)["properties"]["parameters"]["items"];
        for p in schema_props(param) {
            assert!(accepted.contains(&p), "parameter field {p} not accepted by the model");
        }
    }

    #[test]
    fn manifest_schema_matches_what_the_model_accepts() {
        let mut sources = SourceMap::new();
        let text = "name = \"a\"\ndisplay-name = \"A\"\nversion = \"1.0.0\"\nzzqqxx = 1\n";
        let id = sources.add("stackpack.toml", None, text);
        let mut diags = Diagnostics::new();
        let v = crate::load::toml::parse(id, sources.file(id), &mut diags).unwrap_or(TValue {
            kind: Kind::Null,
            span: Span::file_start(id),
        });
        let _ = crate::model::manifest::lower(id, &v, &std::collections::BTreeMap::new(), &mut diags);
        let accepted: Vec<String> = diags
            .iter()
            .filter_map(|d| {
                d.help
                    .as_deref()?
                    .strip_prefix("known fields: ")
                    .map(|l| l.split(", ").map(str::to_string).collect::<Vec<_>>())
            })
            .flatten()
            .collect();
        let mut accepted = accepted;
        accepted.sort();
        assert_eq!(schema_props(&manifest()), accepted);
    }
}
