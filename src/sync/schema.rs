//! The JSON Schema of test files (`schemas/sync-test.schema.json`, printed by
//! `stackpack schema test`), for editor completion with yaml-language-server's `$schema`
//! comment.

use super::testfile::{CASE_KEYS, FILE_KEYS};
use serde_json::{json, Value};

fn element(description: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "required": ["externalId", "type"],
        "properties": {
            "externalId": {"type": "string", "minLength": 1, "description": "The element's external id."},
            "type": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "description": "The external type name the sync actions match on."}}},
            "data": {"type": "object", "description": "The element's data, as the Agent or integration sends it (default `{}`)."},
            "sourceExternalId": {"type": "string", "description": "Relations: the source component's external id."},
            "targetExternalId": {"type": "string", "description": "Relations: the target component's external id."},
            "sourceId": {"type": "integer", "description": "Relations: the source component's node id (default: a stable placeholder)."},
            "targetId": {"type": "integer", "description": "Relations: the target component's node id (default: a stable placeholder)."}
        }
    })
}

fn file(description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "description": format!("{description} Path relative to the test file, inside the pack; a JSON file.")})
}

/// Schema of one test file.
pub fn test_file() -> Value {
    let case_props: Vec<(&str, Value)> = vec![
        (
            "name",
            json!({"type": "string", "minLength": 1, "description": "The case's name, unique in its file."}),
        ),
        (
            "element",
            element("The sample element, in the shape the sync receives."),
        ),
        ("element-file", file("The sample element, in a file.")),
        (
            "mapped",
            element("The element the mapping function must return; without `groovy`, the template runs on it."),
        ),
        ("mapped-file", file("`mapped`, in a file.")),
        (
            "id",
            json!({"type": ["object", "null"], "description": "What the id extractor must return: `{ externalId, identifiers, type }`.", "properties": {"externalId": {"type": "string"}, "identifiers": {"type": "array", "items": {"type": "string"}}, "type": {"type": "string"}}}),
        ),
        ("id-file", file("`id`, in a file.")),
        (
            "expect",
            json!({"type": ["object", "array", "null"], "description": "The JSON the template must produce; empty to let `stackpack test --update` fill it."}),
        ),
        ("expect-file", file("`expect`, in a file (created by `--update`).")),
    ];
    debug_assert_eq!(case_props.len(), CASE_KEYS.len());
    let file_props: Vec<(&str, Value)> = vec![
        (
            "template",
            json!({"type": "string", "minLength": 1, "description": "The component or relation template: short id or URN."}),
        ),
        (
            "mapping",
            json!({"type": "string", "minLength": 1, "description": "The mapping function that runs before the template: short id or URN."}),
        ),
        (
            "id-extractor",
            json!({"type": "string", "minLength": 1, "description": "The id extractor to run on each element: short id or URN."}),
        ),
        (
            "import-args",
            json!({"type": "object", "description": "Import-time variables (`instanceId`, `instanceName`, step names); defaults: instanceId 1, instanceName test, topicName sts_topo_test, steps their default."}),
        ),
        (
            "cases",
            json!({"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/case"}}),
        ),
    ];
    debug_assert_eq!(file_props.len(), FILE_KEYS.len());
    let obj = |props: Vec<(&str, Value)>, required: &[&str]| {
        let mut m = serde_json::Map::new();
        for (k, v) in props {
            m.insert(k.to_string(), v);
        }
        json!({"type": "object", "properties": m, "required": required, "additionalProperties": false})
    };
    let otel_case_props: Vec<(&str, Value)> = vec![
        (
            "name",
            json!({"type": "string", "minLength": 1, "description": "The case's name, unique in its file."}),
        ),
        (
            "mappings",
            json!({"type": "array", "items": {"type": "string", "minLength": 1}, "description": "The OtelComponentMapping/OtelRelationMapping nodes to run, by `identifier` or `name` (default: all of the pack's)."}),
        ),
        (
            "telemetry",
            json!({"type": "object", "description": "Sample telemetry as an OTLP-JSON export request (`resourceSpans`, `resourceMetrics` or `resourceLogs`).", "anyOf": [{"required": ["resourceSpans"]}, {"required": ["resourceMetrics"]}, {"required": ["resourceLogs"]}]}),
        ),
        ("telemetry-file", file("`telemetry`, in a file (OTLP-JSON).")),
        (
            "components",
            json!({"type": ["array", "null"], "description": "The components the mappings must make, merged by `rank.specificity`; empty to let `stackpack test --update` fill it."}),
        ),
        (
            "components-file",
            file("`components`, in a file (created by `--update`)."),
        ),
        (
            "relations",
            json!({"type": ["array", "null"], "description": "The relations the mappings must make; empty to let `stackpack test --update` fill it."}),
        ),
        (
            "relations-file",
            file("`relations`, in a file (created by `--update`)."),
        ),
    ];
    debug_assert_eq!(otel_case_props.len(), super::otel_test::OTEL_CASE_KEYS.len());
    // One set of top-level keys; which form a file has decides what its cases are: with
    // `template`, a v1 sync-chain test; without, a 2.0 OTel test (only `cases`).
    let mut schema = obj(file_props, &["cases"]);
    schema["properties"]["cases"] = json!({"type": "array", "minItems": 1});
    schema["oneOf"] = json!([
        {"description": "A v1 test: a template and sample elements.", "required": ["template"],
         "properties": {"cases": {"items": {"$ref": "#/$defs/case"}}}},
        {"description": "A StackPack 2.0 test: sample OTLP telemetry through the pack's OTel mappings.",
         "not": {"anyOf": [{"required": ["template"]}, {"required": ["mapping"]}, {"required": ["id-extractor"]}, {"required": ["import-args"]}]},
         "properties": {"cases": {"items": {"$ref": "#/$defs/otel-case"}}}}
    ]);
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema["title"] = json!("stackpack test file (tests/*.yaml)");
    schema["description"] = json!("A test of a pack's sync chain: sample elements through the id extractor, mapping function and template (v1), or sample OTLP telemetry through the OTel mappings (StackPack 2.0), and what they must produce. See docs/testing.md.");
    schema["$defs"] = json!({"case": obj(case_props, &["name"]), "otel-case": obj(otel_case_props, &["name"])});
    schema
}
