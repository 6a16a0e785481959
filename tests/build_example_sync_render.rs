//! Issue 10.6: every sync template of the example pack renders a valid Component or Relation at
//! sync time, for a minimal element (only the fields every element has: `externalId`, `type`,
//! for relations the source and target) and for a rich one.
//!
//! The sync pass is approximated with the `handlebars` crate and stub helpers of StackState's
//! sync-time functions (`get`, `getOrCreate` return a node id, `identifier`/`concat` build
//! strings, `join` is the block helper of reference §5: items joined by a separator, with an
//! optional prefix and suffix when the list is not empty). Guess: StackState's own helpers may
//! differ in details the published docs do not show; the output shape checked here does not
//! depend on them. Unverified: whether StackState escapes a `"` in an element value at sync
//! time (Handlebars.java HTML-escapes by default); the samples contain none.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError, Renderable,
};
use serde_json::{json, Value};
use std::path::Path;

struct Join;

impl HelperDef for Join {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let items: Vec<Value> = match h.param(0).map(|p| p.value().clone()) {
            Some(Value::Array(a)) => a,
            Some(Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| match v {
                    Value::Object(mut o) => {
                        o.insert("key".into(), Value::String(k));
                        Value::Object(o)
                    }
                    other => json!({"key": k, "value": other}),
                })
                .collect(),
            _ => Vec::new(),
        };
        let text = |i: usize| {
            h.param(i)
                .and_then(|p| p.value().as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let (sep, prefix, suffix) = (text(1), text(2), text(3));
        let Some(t) = h.template() else { return Ok(()) };
        if items.is_empty() {
            return Ok(());
        }
        out.write(&prefix)?;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.write(&sep)?;
            }
            let mut local = rc.clone();
            local.set_context(Context::wraps(item)?);
            t.render(r, ctx, &mut local, out)?;
        }
        out.write(&suffix)?;
        Ok(())
    }
}

fn id_helper(_: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    out.write("4242")?;
    Ok(())
}

fn string_helper(
    name: &'static str,
) -> impl Fn(&Helper, &Handlebars, &Context, &mut RenderContext, &mut dyn Output) -> HelperResult {
    move |h, _, _, _, out| {
        let parts: Vec<String> = h
            .params()
            .iter()
            .map(|p| match p.value() {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect();
        out.write(&format!("{name}({})", parts.join(";")))?;
        Ok(())
    }
}

fn registry() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper("join", Box::new(Join));
    hb.register_helper("get", Box::new(id_helper));
    hb.register_helper("getOrCreate", Box::new(id_helper));
    hb.register_helper("identifier", Box::new(string_helper("identifier")));
    hb.register_helper("concat", Box::new(string_helper("concat")));
    hb
}

fn minimal(relation: bool) -> Value {
    if relation {
        json!({"element": {"externalId": "a->b", "type": {"name": "has"}, "sourceExternalId": "a", "targetExternalId": "b", "sourceId": 1, "targetId": 2, "data": {}}})
    } else {
        json!({"element": {"externalId": "urn:host:/a", "type": {"name": "host"}, "data": {}}})
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
    e["element"]["data"] = data;
    e
}

fn templates(dir: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("stackpack/templates")
        .join(dir);
    let mut v: Vec<_> = std::fs::read_dir(&root)
        .expect("templates")
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn render(path: &Path, data: &Value) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let hb = registry();
    let out = hb
        .render_template(&text, data)
        .map_err(|e: RenderError| format!("render: {e}"))?;
    serde_json::from_str(&out).map_err(|e| format!("not JSON ({e}):\n{out}"))
}

#[test]
fn every_example_sync_template_renders_a_valid_node() {
    let mut problems = Vec::new();
    for (dir, relation) in [("components", false), ("relations", true)] {
        let files = templates(dir);
        assert!(!files.is_empty());
        for path in files {
            for (what, data) in [("minimal", minimal(relation)), ("rich", rich(relation))] {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match render(&path, &data) {
                    Err(e) => problems.push(format!("{name} ({what}): {e}")),
                    Ok(v) => {
                        let want = if relation { "Relation" } else { "Component" };
                        if v["_type"] != want {
                            problems.push(format!("{name} ({what}): _type {}", v["_type"]));
                        }
                        if v["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
                            problems.push(format!("{name} ({what}): empty name"));
                        }
                        if !v["type"].is_number() {
                            problems.push(format!("{name} ({what}): type is not a node id"));
                        }
                        if relation && !(v["source"].is_number() && v["target"].is_number()) {
                            problems.push(format!("{name} ({what}): source/target missing"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
