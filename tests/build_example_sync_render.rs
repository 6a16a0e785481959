//! Issue 10.6: every sync template of the example pack renders, on its own, a valid Component or
//! Relation for a minimal element (only the fields every element has: `externalId`, `type`, for
//! relations the source and target; no mapping function has added anything) and for a rich one
//! (every `data` field the templates read).
//!
//! Rendered with the library's sync-time renderer (`stackpack::sync::render`, the one `stackpack
//! test` and `stackpack render` use) and checked with its structural checks
//! (`stackpack::sync::structure`). `tests/sync_cli.rs` runs the example's own test cases, whose
//! elements first pass through the mapping functions (or their `mapped` stand-ins); this test
//! holds every template node to the stronger property that it needs no mapped field at all.
//! Unverified: whether StackState escapes a `"` in an element value at sync time; the samples
//! contain none.

use serde_json::{json, Value};
use stackpack::model::{Body, NodeKind, Pack};
use stackpack::sync::render::{context_for, default_import_args, is_relation, render_text_with, Resolver};
use std::path::Path;

fn minimal(relation: bool) -> Value {
    if relation {
        json!({"externalId": "a->b", "type": {"name": "has"}, "sourceExternalId": "a", "targetExternalId": "b", "sourceId": 1, "targetId": 2})
    } else {
        json!({"externalId": "urn:host:/a", "type": {"name": "host"}})
    }
}

fn rich(relation: bool) -> Value {
    let data = json!({
        "name": "web-1", "host": "web-1", "containerName": "nginx", "hostname": "web-1",
        "version": "1.2", "description": "a description", "layer": "Machines",
        "domain": "Web", "environment": "Production", "serviceType": "http", "serviceMode": "replicated",
        "image": "nginx:1", "labels": ["a", "b"], "tags": ["t:1"], "devices": ["sda", "sdb"],
        "identifiers": ["urn:host:/web-1", "urn:host:/web-1.local"], "command": {"exe": "/bin/x"},
        "telemetry": [{"streamType": "MetricStream", "streamId": -1, "name": "cpu", "dataSource": "urn:stackpack:common:data-source:stackstate-metrics",
            "dataType": "METRICS", "priority": "HIGH", "queryType": "MetricTelemetryQuery", "conditions": [{"key": "host", "value": "web-1"}],
            "metricField": "cpu", "aggregation": "MEAN"}],
        "healthChecks": [{"name": "check", "streamId": -1}]
    });
    let mut e = minimal(relation);
    e["data"] = data;
    e
}

fn example() -> Pack {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("stackpack");
    let mut diags = stackpack::diag::Diagnostics::new();
    match stackpack::model::load_pack(&dir, &mut diags) {
        Ok(Ok(pack)) => pack,
        _ => panic!("the example pack does not load: {diags:?}"),
    }
}

#[test]
fn every_example_sync_template_renders_a_valid_node() {
    let pack = example();
    let resolver = Resolver::new(&pack, "1");
    let args = default_import_args(&pack);
    let mut problems = Vec::new();
    let mut rendered = [0usize; 2];
    for node in &pack.nodes {
        let Body::Template(t) = &node.body else { continue };
        let relation = is_relation(node);
        let Some((_, text)) = pack.text(&t.template.value) else {
            problems.push(format!(
                "{}: template file {} not loaded",
                node.id.value, t.template.value
            ));
            continue;
        };
        for (what, element) in [("minimal", minimal(relation)), ("rich", rich(relation))] {
            let name = format!("{} ({what})", node.id.value);
            let out = match render_text_with(&resolver, text, &context_for(node, &element, &args)) {
                Ok(r) => r.text,
                Err(f) => {
                    problems.push(format!("{name}: {} {}", f.rule.code, f.message));
                    continue;
                }
            };
            let v: Value = match serde_json::from_str(&out) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("{name}: not JSON ({e}):\n{out}"));
                    continue;
                }
            };
            let want = if relation { "Relation" } else { "Component" };
            if v["_type"] != want {
                problems.push(format!("{name}: _type {}", v["_type"]));
            }
            for f in stackpack::sync::structure::check(&v, relation) {
                problems.push(format!("{name}: {} at `{}`: {}", f.rule.code, f.path, f.message));
            }
            rendered[usize::from(relation)] += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Not vacuous: the example's 10 component and 4 relation templates, twice each.
    let templates = |kind| pack.nodes.iter().filter(|n| n.kind == kind).count();
    assert_eq!(
        rendered,
        [
            2 * templates(NodeKind::ComponentTemplate),
            2 * templates(NodeKind::RelationTemplate)
        ]
    );
    assert!(rendered[0] >= 20 && rendered[1] >= 8, "{rendered:?}");
}

/// The checks can fail: a template whose `name` falls back to nothing is caught for the
/// minimal element (the bug of issue 10.6), and one that does not give JSON is reported.
#[test]
fn a_template_without_a_fallback_is_caught() {
    let pack = example();
    let resolver = Resolver::new(&pack, "1");
    let args = default_import_args(&pack);
    let Some(node) = pack.nodes.iter().find(|n| n.kind == NodeKind::ComponentTemplate) else {
        panic!("the example has component templates")
    };
    let text = r#"{"_type": "Component", "name": "{{ element.data.containerName }}", "type": {{ get "urn:stackpack:common:component-type:container" }}, "layer": 1, "domain": 2}"#;
    let out = render_text_with(&resolver, text, &context_for(node, &minimal(false), &args)).map(|r| r.text);
    let v: Value = out
        .as_deref()
        .ok()
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or(Value::Null);
    let found = stackpack::sync::structure::check(&v, false);
    assert!(
        found.iter().any(|f| f.path == ".name"),
        "empty name not reported: {out:?} {:?}",
        found.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
}
