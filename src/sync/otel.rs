//! StackPack 2.0 OTel mappings, offline: evaluate `OtelComponentMapping` and
//! `OtelRelationMapping` nodes (plain JSON/YAML values, as the 2.0 loader reads them from
//! `settings/**/*.sty`) on sample OTLP-JSON telemetry with a CEL engine, and say which mapping
//! matched which record and why nothing matched when nothing did.
//!
//! Semantics (`reference/stackpack-v2-format.md` §3.3 and the public evaluator's behaviour):
//! - a mapping applies to the signals in `input.signal` (`TRACES`, `METRICS`, `LOGS`);
//! - levels are walked top-down: `resource`, `scope`, then `span` (traces), `metric` and
//!   `datapoint` (metrics) or `log` (logs). At each level present in `input`, `condition`
//!   (default `true`) must hold and `action` (default `'CONTINUE'`) decides: `'CREATE'` maps the
//!   record at that level, `'DELETE'` removes the element, `'CONTINUE'` goes one level down;
//!   running out of levels without `'CREATE'` is no match;
//! - `vars` are evaluated in order before `output`, each seeing the earlier ones as `vars.x`;
//! - `output` fields are CEL; a failure in a top-level field, a `required` field or a var drops
//!   the mapping for that record; a failure in an `optional` field drops only that field;
//! - tags `{source, target, pattern?}`: without `pattern` the source is a string and gives
//!   `target:value`; with `pattern` the source is a map whose matching keys give
//!   `target`-with-`${n}`-captures `:value`; an explicit tag wins over a pattern-made one;
//! - components with the same identifier from several mappings merge by `rank.specificity`:
//!   the higher rank wins field by field; tags and identifiers are united.
//!
//! CEL variables: `resource` (`attributes`), `scope` (`name`, `version`, `attributes`), `span`
//! (`name`, `kind`, `traceId`, `spanId`, `parentSpanId`, `attributes`, `status`), `metric`
//! (`name`, `description`, `unit`, `type`), `datapoint` (`attributes`, `value`), `log`
//! (`body`, `severityText`, `attributes`) and `vars`. Inferred from the scope names the
//! reference lists (`span.`, `metric.`, `datapoint.`, `log.`); OTLP attribute lists become
//! maps.

use cel::{Context, Program, Value as Cel};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A telemetry signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Signal {
    #[serde(rename = "TRACES")]
    Traces,
    #[serde(rename = "METRICS")]
    Metrics,
    #[serde(rename = "LOGS")]
    Logs,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
            Signal::Logs => "LOGS",
        }
    }
}

/// One record of the telemetry with the values of each level.
#[derive(Debug, Clone)]
pub struct Record {
    pub signal: Signal,
    /// `resourceSpans[0].scopeSpans[1].spans[2]` (or the metric's data point, or the log).
    pub path: String,
    /// Level name → CEL value (`resource`, `scope`, `span`, …), top-down.
    pub levels: Vec<(&'static str, Value)>,
}

/// OTLP `attributes: [{key, value: {stringValue|intValue|…}}]` → a map.
fn attributes(v: Option<&Value>) -> Value {
    let mut m = Map::new();
    for kv in v.and_then(Value::as_array).into_iter().flatten() {
        if let Some(k) = kv.get("key").and_then(Value::as_str) {
            m.insert(k.to_string(), any_value(kv.get("value")));
        }
    }
    Value::Object(m)
}

fn any_value(v: Option<&Value>) -> Value {
    let Some(v) = v.and_then(Value::as_object) else {
        return Value::Null;
    };
    if let Some(s) = v.get("stringValue") {
        return s.clone();
    }
    if let Some(b) = v.get("boolValue") {
        return b.clone();
    }
    if let Some(i) = v.get("intValue") {
        // OTLP-JSON writes 64-bit integers as strings.
        return match i {
            Value::String(s) => s.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
            other => other.clone(),
        };
    }
    if let Some(d) = v.get("doubleValue") {
        return d.clone();
    }
    if let Some(a) = v.get("arrayValue") {
        let items = a.get("values").and_then(Value::as_array).cloned().unwrap_or_default();
        return Value::Array(items.iter().map(|x| any_value(Some(x))).collect());
    }
    if let Some(kv) = v.get("kvlistValue") {
        return attributes(kv.get("values"));
    }
    Value::Null
}

fn with_attributes(v: &Value, keep: &[&str]) -> Value {
    let mut m = Map::new();
    for k in keep {
        if let Some(x) = v.get(*k) {
            m.insert((*k).to_string(), x.clone());
        }
    }
    m.insert("attributes".into(), attributes(v.get("attributes")));
    Value::Object(m)
}

fn arr<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    v.get(key).and_then(Value::as_array).into_iter().flatten().enumerate()
}

/// Flatten an OTLP-JSON export request (`resourceSpans`, `resourceMetrics`, `resourceLogs`)
/// into records.
pub fn records(otlp: &Value) -> Vec<Record> {
    let mut out = Vec::new();
    for (ri, r) in arr(otlp, "resourceSpans") {
        let resource = with_attributes(r.get("resource").unwrap_or(&Value::Null), &[]);
        for (si, s) in arr(r, "scopeSpans") {
            let scope = with_attributes(s.get("scope").unwrap_or(&Value::Null), &["name", "version"]);
            for (pi, span) in arr(s, "spans") {
                let span_v = with_attributes(span, &["name", "kind", "traceId", "spanId", "parentSpanId", "status"]);
                out.push(Record {
                    signal: Signal::Traces,
                    path: format!("resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]"),
                    levels: vec![
                        ("resource", resource.clone()),
                        ("scope", scope.clone()),
                        ("span", span_v),
                    ],
                });
            }
        }
    }
    for (ri, r) in arr(otlp, "resourceMetrics") {
        let resource = with_attributes(r.get("resource").unwrap_or(&Value::Null), &[]);
        for (si, s) in arr(r, "scopeMetrics") {
            let scope = with_attributes(s.get("scope").unwrap_or(&Value::Null), &["name", "version"]);
            for (mi, metric) in arr(s, "metrics") {
                let kind = ["gauge", "sum", "histogram", "exponentialHistogram", "summary"]
                    .into_iter()
                    .find(|k| metric.get(*k).is_some());
                let mut metric_v = with_attributes(&json!({}), &[]);
                for k in ["name", "description", "unit"] {
                    if let Some(x) = metric.get(k) {
                        metric_v[k] = x.clone();
                    }
                }
                metric_v["type"] = json!(kind.unwrap_or(""));
                let points = kind.and_then(|k| metric.get(k)).cloned().unwrap_or(Value::Null);
                for (di, dp) in arr(&points, "dataPoints") {
                    let mut dp_v = with_attributes(dp, &["timeUnixNano", "count", "sum"]);
                    let value = dp
                        .get("asDouble")
                        .cloned()
                        .or_else(|| dp.get("asInt").map(|i| any_value(Some(&json!({"intValue": i})))));
                    dp_v["value"] = value.unwrap_or(Value::Null);
                    out.push(Record {
                        signal: Signal::Metrics,
                        path: format!(
                            "resourceMetrics[{ri}].scopeMetrics[{si}].metrics[{mi}].{}.dataPoints[{di}]",
                            kind.unwrap_or("")
                        ),
                        levels: vec![
                            ("resource", resource.clone()),
                            ("scope", scope.clone()),
                            ("metric", metric_v.clone()),
                            ("datapoint", dp_v),
                        ],
                    });
                }
            }
        }
    }
    for (ri, r) in arr(otlp, "resourceLogs") {
        let resource = with_attributes(r.get("resource").unwrap_or(&Value::Null), &[]);
        for (si, s) in arr(r, "scopeLogs") {
            let scope = with_attributes(s.get("scope").unwrap_or(&Value::Null), &["name", "version"]);
            for (li, log) in arr(s, "logRecords") {
                let mut log_v = with_attributes(log, &["severityText", "severityNumber", "traceId", "spanId"]);
                log_v["body"] = any_value(log.get("body"));
                out.push(Record {
                    signal: Signal::Logs,
                    path: format!("resourceLogs[{ri}].scopeLogs[{si}].logRecords[{li}]"),
                    levels: vec![("resource", resource.clone()), ("scope", scope.clone()), ("log", log_v)],
                });
            }
        }
    }
    out
}

const MAX_CEL_DEPTH: usize = 64;
const MAX_CEL_LEN: usize = 64 * 1024;

/// Evaluate one CEL expression with `vars` and the given levels.
pub fn eval(expr: &str, levels: &[(&str, Value)], vars: &Map<String, Value>) -> Result<Value, String> {
    // The parser recurses per nesting level: refuse hostile depths before parsing.
    let (mut depth, mut max) = (0usize, 0usize);
    for c in expr.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max > MAX_CEL_DEPTH || expr.len() > MAX_CEL_LEN {
        return Err(format!(
            "the CEL expression is too large (at most {MAX_CEL_LEN} bytes nested {MAX_CEL_DEPTH} deep)"
        ));
    }
    let program = Program::compile(expr).map_err(|e| format!("invalid CEL `{expr}`: {e}"))?;
    let mut ctx = Context::default();
    for (name, v) in levels {
        let value = cel::to_value(v).map_err(|e| e.to_string())?;
        ctx.add_variable_from_value(*name, value);
    }
    let value = cel::to_value(Value::Object(vars.clone())).map_err(|e| e.to_string())?;
    ctx.add_variable_from_value("vars", value);
    let out = program.execute(&ctx).map_err(|e| format!("`{expr}`: {e}"))?;
    cel_json(&out).ok_or_else(|| format!("`{expr}` gave a value that is not JSON"))
}

fn cel_json(v: &Cel) -> Option<Value> {
    v.json().ok()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// What one mapping did with one record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The mapping produced an element (at this level).
    Created { level: String, element: Value },
    /// `action` returned `'DELETE'` at this level.
    Deleted { level: String },
    /// The mapping does not apply: why.
    NoMatch { reason: String },
    /// It applied, but a required value failed: the element is dropped.
    Dropped { reason: String },
}

/// One mapping's verdict on one record, with the optional fields it had to drop.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trace {
    pub mapping: String,
    pub record: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Optional fields dropped because they failed, with why.
    pub dropped_optional: Vec<String>,
}

fn mapping_id(m: &Value) -> String {
    m.get("identifier")
        .or_else(|| m.get("name"))
        .map(text)
        .unwrap_or_else(|| "<unnamed>".into())
}

const LEVEL_ORDER: [&str; 6] = ["resource", "scope", "span", "metric", "datapoint", "log"];

/// The input node of a level (`input.resource.scope.span`, …).
fn level_node<'a>(input: &'a Value, level: &str) -> Option<&'a Value> {
    let resource = input.get("resource")?;
    match level {
        "resource" => Some(resource),
        "scope" => resource.get("scope"),
        "span" | "metric" | "log" => resource.get("scope")?.get(level),
        "datapoint" => resource.get("scope")?.get("metric")?.get("datapoint"),
        _ => None,
    }
}

/// Walk the levels; `Ok(level)` where the mapping creates, `Err(outcome)` otherwise.
fn walk(mapping: &Value, record: &Record) -> Result<usize, Outcome> {
    let input = mapping.get("input").unwrap_or(&Value::Null);
    let signals: Vec<String> = input
        .get("signal")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    if !signals.iter().any(|s| s == record.signal.name()) {
        return Err(Outcome::NoMatch {
            reason: format!("the mapping reads {signals:?}, the record is {}", record.signal.name()),
        });
    }
    let vars = Map::new();
    for (i, (level, _)) in record.levels.iter().enumerate() {
        debug_assert!(LEVEL_ORDER.contains(level));
        let Some(node) = level_node(input, level) else {
            return Err(Outcome::NoMatch {
                reason: format!("no level returned 'CREATE' (the input stops above `{level}`)"),
            });
        };
        let visible = &record.levels[..=i];
        let condition = node.get("condition").map(text).unwrap_or_else(|| "true".into());
        match eval(&condition, visible, &vars) {
            Ok(Value::Bool(true)) => {}
            Ok(other) => {
                return Err(Outcome::NoMatch {
                    reason: format!("the {level} condition `{condition}` is {}", text(&other)),
                })
            }
            Err(e) => {
                return Err(Outcome::NoMatch {
                    reason: format!("the {level} condition failed: {e}"),
                })
            }
        }
        let action = node.get("action").map(text).unwrap_or_else(|| "'CONTINUE'".into());
        match eval(&action, visible, &vars).map(|v| text(&v)) {
            Ok(a) if a == "CREATE" => return Ok(i),
            Ok(a) if a == "DELETE" => {
                return Err(Outcome::Deleted {
                    level: level.to_string(),
                })
            }
            Ok(a) if a == "CONTINUE" => {}
            Ok(a) => {
                return Err(Outcome::NoMatch {
                    reason: format!("the {level} action `{action}` gave `{a}`, not CREATE, DELETE or CONTINUE"),
                })
            }
            Err(e) => {
                return Err(Outcome::NoMatch {
                    reason: format!("the {level} action failed: {e}"),
                })
            }
        }
    }
    Err(Outcome::NoMatch {
        reason: "no level returned 'CREATE'".into(),
    })
}

/// Evaluate `tags` (`[{source, target, pattern?}]`) into `key → value`.
/// The tags of a `tags` list, and for every tag that failed its target and the error (in
/// list order). A failing tag of a `required` list drops the mapping; of an `optional` list,
/// only that tag: published packs list independent tags there (`deployment-environment`
/// beside `namespace`), each of which a record may or may not carry.
// Inferred: the server drops a failing optional tag on its own, not the whole list (the
// published open-telemetry pack would otherwise lose its `namespace` tag on every service
// without a `deployment.environment`).
#[allow(clippy::type_complexity)]
fn tags(
    list: &Value,
    levels: &[(&str, Value)],
    vars: &Map<String, Value>,
) -> (BTreeMap<String, String>, Vec<(String, String)>) {
    let mut explicit = BTreeMap::new();
    let mut merged = BTreeMap::new();
    let mut failed = Vec::new();
    for t in list.as_array().into_iter().flatten() {
        let source = t.get("source").map(text).unwrap_or_default();
        let target = t.get("target").map(text).unwrap_or_default();
        let value = match eval(&source, levels, vars) {
            Ok(v) => v,
            Err(e) => {
                failed.push((target, e));
                continue;
            }
        };
        match t.get("pattern").and_then(Value::as_str) {
            Some(p) => {
                let re = match regex::Regex::new(&format!("^(?:{p})$")) {
                    Ok(re) => re,
                    Err(e) => {
                        failed.push((target, format!("invalid pattern `{p}`: {e}")));
                        continue;
                    }
                };
                let Value::Object(m) = value else {
                    failed.push((target, format!("`{source}` must give a map for pattern `{p}`")));
                    continue;
                };
                for (k, v) in m {
                    if let Some(c) = re.captures(&k) {
                        let mut key = target.clone();
                        for n in (1..c.len()).rev() {
                            key = key.replace(&format!("${{{n}}}"), c.get(n).map_or("", |g| g.as_str()));
                        }
                        merged.insert(key, text(&v));
                    }
                }
            }
            None => {
                if value.is_object() {
                    failed.push((
                        target,
                        format!("`{source}` must give a string, not a map (or add a `pattern`)"),
                    ));
                    continue;
                }
                explicit.insert(target, text(&value));
            }
        }
    }
    merged.extend(explicit);
    (merged, failed)
}

/// Apply one mapping (`component`: an OtelComponentMapping, else an OtelRelationMapping) to one
/// record.
pub fn apply(mapping: &Value, record: &Record, component: bool) -> Trace {
    let mut trace = Trace {
        mapping: mapping_id(mapping),
        record: record.path.clone(),
        outcome: Outcome::NoMatch { reason: String::new() },
        dropped_optional: Vec::new(),
    };
    let level = match walk(mapping, record) {
        Ok(l) => l,
        Err(o) => {
            trace.outcome = o;
            return trace;
        }
    };
    let levels = &record.levels[..=level];
    let drop = |reason: String| Outcome::Dropped { reason };
    // vars, in order.
    let mut vars = Map::new();
    for v in mapping.get("vars").and_then(Value::as_array).into_iter().flatten() {
        let name = v.get("name").map(text).unwrap_or_default();
        let expr = v.get("value").map(text).unwrap_or_default();
        match eval(&expr, levels, &vars) {
            Ok(x) => {
                vars.insert(name, x);
            }
            Err(e) => {
                trace.outcome = drop(format!("var `{name}` failed: {e}"));
                return trace;
            }
        }
    }
    let output = mapping.get("output").cloned().unwrap_or(Value::Null);
    let mut element = Map::new();
    let top: &[&str] = if component {
        &["identifier", "name", "typeName"]
    } else {
        &["sourceId", "targetId", "typeName", "dependencyType"]
    };
    if let Some(o) = output.as_object() {
        for (k, expr) in o {
            if k == "required" || k == "optional" {
                continue;
            }
            match eval(&text(expr), levels, &vars) {
                Ok(v) => {
                    element.insert(k.clone(), v);
                }
                Err(e) => {
                    trace.outcome = drop(format!("output `{k}` failed: {e}"));
                    return trace;
                }
            }
        }
    }
    for k in top {
        if !element.contains_key(*k) {
            trace.outcome = drop(format!("output has no `{k}`"));
            return trace;
        }
    }
    let mut all_tags = BTreeMap::new();
    for (section, required) in [("required", true), ("optional", false)] {
        let Some(fields) = output.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (k, expr) in fields {
            let result = match k.as_str() {
                "tags" => {
                    let (made, failed) = tags(expr, levels, &vars);
                    match failed.first() {
                        Some((target, e)) if required => Err(format!("tag `{target}`: {e}")),
                        _ => {
                            for (target, e) in failed {
                                trace
                                    .dropped_optional
                                    .push(format!("optional tag `{target}` dropped: {e}"));
                            }
                            all_tags.extend(made);
                            Ok(None)
                        }
                    }
                }
                "additionalIdentifiers" => expr
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| eval(&text(e), levels, &vars).map(|v| Value::from(text(&v))))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| Some(Value::Array(v))),
                _ => eval(&text(expr), levels, &vars).map(Some),
            };
            match result {
                Ok(Some(v)) => {
                    element.insert(k.clone(), v);
                }
                Ok(None) => {}
                Err(e) if required => {
                    trace.outcome = drop(format!("required `{k}` failed: {e}"));
                    return trace;
                }
                Err(e) => trace.dropped_optional.push(format!("optional `{k}` dropped: {e}")),
            }
        }
    }
    if !all_tags.is_empty() || component {
        element.insert(
            "tags".into(),
            Value::Array(
                all_tags
                    .into_iter()
                    .map(|(k, v)| Value::from(format!("{k}:{v}")))
                    .collect(),
            ),
        );
    }
    if component {
        let rank = mapping
            .pointer("/rank/specificity")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        element.insert("rank".into(), Value::from(rank));
    }
    trace.outcome = Outcome::Created {
        level: record.levels[level].0.to_string(),
        element: Value::Object(element),
    };
    trace
}

/// Components produced by several mappings with the same identifier, merged by
/// `rank.specificity`: the higher rank wins field by field (ties: the first mapping);
/// tags (by key) and additional identifiers are united.
pub fn merge(components: &[Value]) -> Vec<Value> {
    let mut by_id: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for c in components {
        by_id
            .entry(c.get("identifier").map(text).unwrap_or_default())
            .or_default()
            .push(c);
    }
    let mut out = Vec::new();
    for (_, mut group) in by_id {
        // Lowest rank first, so that higher ranks overwrite.
        group.sort_by_key(|c| c.get("rank").and_then(Value::as_i64).unwrap_or(0));
        let mut merged = Map::new();
        let mut tag_map: BTreeMap<String, String> = BTreeMap::new();
        let mut ids: Vec<String> = Vec::new();
        let mut seen_rank = None;
        for c in &group {
            let rank = c.get("rank").and_then(Value::as_i64).unwrap_or(0);
            let tie = seen_rank == Some(rank);
            seen_rank = Some(rank);
            for (k, v) in c.as_object().into_iter().flatten() {
                match k.as_str() {
                    "tags" => {
                        for t in v.as_array().into_iter().flatten().map(text) {
                            let (key, val) = t
                                .split_once(':')
                                .map_or((t.clone(), String::new()), |(a, b)| (a.to_string(), b.to_string()));
                            if !(tie && tag_map.contains_key(&key)) {
                                tag_map.insert(key, val);
                            }
                        }
                    }
                    "additionalIdentifiers" => {
                        for i in v.as_array().into_iter().flatten().map(text) {
                            if !ids.contains(&i) {
                                ids.push(i);
                            }
                        }
                    }
                    _ if tie && merged.contains_key(k) => {}
                    _ => {
                        merged.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        merged.insert(
            "tags".into(),
            Value::Array(
                tag_map
                    .into_iter()
                    .map(|(k, v)| Value::from(if v.is_empty() { k } else { format!("{k}:{v}") }))
                    .collect(),
            ),
        );
        if !ids.is_empty() {
            merged.insert(
                "additionalIdentifiers".into(),
                Value::Array(ids.into_iter().map(Value::from).collect()),
            );
        }
        out.push(Value::Object(merged));
    }
    out
}

/// The result of evaluating a pack's mappings on some telemetry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Evaluation {
    /// Every mapping's verdict on every record.
    pub traces: Vec<Trace>,
    /// The merged components.
    pub components: Vec<Value>,
    pub relations: Vec<Value>,
    /// Records no mapping created anything for.
    pub unmatched: Vec<String>,
}

/// Evaluate all `component_mappings` and `relation_mappings` on the OTLP-JSON `telemetry`.
pub fn evaluate(component_mappings: &[Value], relation_mappings: &[Value], telemetry: &Value) -> Evaluation {
    let mut traces = Vec::new();
    let mut components = Vec::new();
    let mut relations = Vec::new();
    let mut unmatched = Vec::new();
    for record in records(telemetry) {
        let mut any = false;
        for (mappings, component) in [(component_mappings, true), (relation_mappings, false)] {
            for m in mappings {
                let t = apply(m, &record, component);
                if let Outcome::Created { element, .. } = &t.outcome {
                    any = true;
                    if component {
                        components.push(element.clone());
                    } else if !relations.contains(element) {
                        relations.push(element.clone());
                    }
                }
                traces.push(t);
            }
        }
        if !any {
            unmatched.push(record.path.clone());
        }
    }
    Evaluation {
        traces,
        components: merge(&components),
        relations,
        unmatched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn telemetry() -> Value {
        json!({"resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "checkout"}},
                {"key": "service.namespace", "value": {"stringValue": "shop"}},
                {"key": "telemetry.sdk.language", "value": {"stringValue": "java"}},
                {"key": "telemetry.sdk.version", "value": {"stringValue": "1.30"}}
            ]},
            "scopeSpans": [{"scope": {"name": "io.opentelemetry.http"}, "spans": [
                {"name": "GET /cart", "kind": 2, "attributes": [{"key": "http.status_code", "value": {"intValue": "200"}}]},
                {"name": "SELECT", "kind": 3, "attributes": [{"key": "db.system", "value": {"stringValue": "postgresql"}}]}
            ]}]
        }]})
    }

    fn service_mapping(rank: i64) -> Value {
        json!({
            "identifier": format!("urn:stackpack:open-telemetry:shared:otel-component-mapping:service-{rank}"),
            "input": {"signal": ["TRACES"], "resource": {"condition": "'service.name' in resource.attributes", "action": "'CREATE'"}},
            "vars": [{"name": "ns", "value": "resource.attributes['service.namespace']"},
                     {"name": "id", "value": "'urn:opentelemetry:namespace/' + vars.ns + ':service/' + resource.attributes['service.name']"}],
            "output": {
                "identifier": "vars.id",
                "name": "resource.attributes['service.name']",
                "typeName": "'otel service'",
                "required": {"tags": [{"source": "'open-telemetry'", "target": "stackpack"}]},
                "optional": {
                    "version": "resource.attributes['service.version']",
                    "tags": [{"source": "resource.attributes", "pattern": "telemetry.sdk.(.*)", "target": "sdk.${1}"}]
                }
            },
            "rank": {"specificity": rank}
        })
    }

    #[test]
    fn otlp_is_flattened_into_records_with_attribute_maps() {
        let r = records(&telemetry());
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].path, "resourceSpans[0].scopeSpans[0].spans[1]");
        assert_eq!(r[0].levels[2].1["attributes"]["http.status_code"], json!(200));
        assert_eq!(r[0].levels[1].1["name"], "io.opentelemetry.http");
    }

    #[test]
    fn a_resource_level_mapping_creates_with_vars_and_drops_a_failing_optional_field() {
        let r = records(&telemetry());
        let t = apply(&service_mapping(50), &r[0], true);
        let Outcome::Created { level, element } = &t.outcome else {
            panic!("{t:?}")
        };
        assert_eq!(level, "resource");
        assert_eq!(
            element["identifier"],
            "urn:opentelemetry:namespace/shop:service/checkout"
        );
        assert_eq!(element["typeName"], "otel service");
        assert_eq!(
            element["tags"],
            json!(["sdk.language:java", "sdk.version:1.30", "stackpack:open-telemetry"])
        );
        assert!(element.get("version").is_none());
        assert_eq!(t.dropped_optional.len(), 1, "{t:?}");
        assert!(t.dropped_optional[0].contains("optional `version` dropped"));
    }

    #[test]
    fn a_failing_required_field_drops_the_mapping_and_conditions_say_why_nothing_matched() {
        let r = records(&telemetry());
        let mut m = service_mapping(50);
        m["output"]["required"]["version"] = json!("resource.attributes['service.version']");
        let t = apply(&m, &r[0], true);
        assert!(
            matches!(&t.outcome, Outcome::Dropped { reason } if reason.contains("required `version` failed")),
            "{t:?}"
        );
        // Span level: only database spans.
        let db = json!({
            "identifier": "db",
            "input": {"signal": ["TRACES"], "resource": {"scope": {"span": {"condition": "'db.system' in span.attributes", "action": "'CREATE'"}}}},
            "output": {"identifier": "span.attributes['db.system']", "name": "span.attributes['db.system']", "typeName": "'database'"}
        });
        let e = evaluate(&[db], &[], &telemetry());
        assert_eq!(e.components.len(), 1);
        assert_eq!(e.components[0]["name"], "postgresql");
        assert_eq!(e.unmatched, vec!["resourceSpans[0].scopeSpans[0].spans[0]".to_string()]);
        let why = e
            .traces
            .iter()
            .find(|t| t.record.ends_with("spans[0]"))
            .map(|t| t.outcome.clone());
        assert!(
            matches!(why, Some(Outcome::NoMatch { reason }) if reason.contains("the span condition `'db.system' in span.attributes` is false"))
        );
        let metrics = json!({"identifier": "m", "input": {"signal": ["METRICS"], "resource": {"action": "'CREATE'"}}, "output": {}});
        let t = apply(&metrics, &r[0], true);
        assert!(matches!(t.outcome, Outcome::NoMatch { ref reason } if reason.contains("the record is TRACES")));
    }

    #[test]
    fn a_failing_optional_tag_drops_only_that_tag() {
        // As the published open-telemetry pack lists them: an environment tag most services do
        // not carry, beside a namespace tag they do.
        let r = records(&telemetry());
        let mut m = service_mapping(50);
        m["output"]["optional"]["tags"] = json!([
            {"source": "resource.attributes['deployment.environment']", "target": "deployment-environment"},
            {"source": "resource.attributes['service.namespace']", "target": "namespace"},
            {"source": "resource.attributes['k8s.pod.name']", "target": "pod"}
        ]);
        let t = apply(&m, &r[0], true);
        let Outcome::Created { element, .. } = &t.outcome else {
            panic!("{t:?}")
        };
        assert_eq!(element["tags"], json!(["namespace:shop", "stackpack:open-telemetry"]));
        assert_eq!(t.dropped_optional.len(), 3, "{t:?}");
        assert!(t.dropped_optional[0].starts_with("optional tag `deployment-environment` dropped"));
        assert!(t.dropped_optional[1].starts_with("optional tag `pod` dropped"));
        // A failing required tag still drops the mapping, naming the tag.
        m["output"]["required"]["tags"] = json!([{"source": "resource.attributes['k8s.pod.name']", "target": "pod"}]);
        let t = apply(&m, &r[0], true);
        assert!(
            matches!(&t.outcome, Outcome::Dropped { reason } if reason.contains("required `tags` failed: tag `pod`")),
            "{t:?}"
        );
    }

    #[test]
    fn components_merge_by_rank_specificity() {
        let r = records(&telemetry());
        let mut low = service_mapping(50);
        low["output"]["typeName"] = json!("'service'");
        low["output"]["required"]["tags"] =
            json!([{"source": "'low'", "target": "source"}, {"source": "'x'", "target": "only-low"}]);
        let mut high = service_mapping(200);
        high["output"]["required"]["tags"] = json!([{"source": "'high'", "target": "source"}]);
        let e = evaluate(
            &[high, low],
            &[],
            &json!({"resourceSpans": [telemetry()["resourceSpans"][0].clone()]}),
        );
        let _ = r;
        assert_eq!(e.components.len(), 1, "{:#?}", e.components);
        let c = &e.components[0];
        assert_eq!(c["typeName"], "otel service");
        assert_eq!(c["rank"], 200);
        let tags = c["tags"].to_string();
        assert!(
            tags.contains("source:high") && tags.contains("only-low:x") && !tags.contains("source:low"),
            "{tags}"
        );
    }

    #[test]
    fn hostile_expressions_are_errors() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(eval(&deep, &[], &Map::new()).is_err());
        assert!(eval("1 +", &[], &Map::new()).is_err());
        assert!(eval("missing.field", &[], &Map::new()).is_err());
    }

    #[test]
    fn relations_need_all_their_fields() {
        let r = records(&telemetry());
        let rel = json!({
            "identifier": "calls",
            "input": {"signal": ["TRACES"], "resource": {"scope": {"span": {"condition": "span.kind == 3", "action": "'CREATE'"}}}},
            "output": {"sourceId": "resource.attributes['service.name']", "targetId": "span.attributes['db.system']",
                       "typeName": "'database'", "dependencyType": "'CONNECTION'"}
        });
        let t = apply(&rel, &r[1], false);
        let Outcome::Created { element, .. } = &t.outcome else {
            panic!("{t:?}")
        };
        assert_eq!(element["targetId"], "postgresql");
        let t = apply(&rel, &r[0], false);
        assert!(matches!(t.outcome, Outcome::NoMatch { .. }));
    }
}
