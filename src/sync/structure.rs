//! Structural checks of what a template produced, as StackState needs it to create the element
//! (`reference/stackpack-v1-format.md` §4.3): `_type`, a non-empty `name`, numeric node ids
//! for `type`/`layer`/`domain`/`environments` (components) or `type`/`source`/`target`
//! (relations), label objects, streams with ids and data sources, and check arguments that
//! point at the element's own streams.

use super::rules;
use crate::diag::Rule;
use serde_json::Value;
use std::collections::BTreeSet;

/// A problem at a JSON path of the output (`.streams[0].id`).
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub path: String,
    pub message: String,
}

/// Check the output of a component (`relation == false`) or relation template. The output may
/// be one object or an array of them (documented for template functions).
pub fn check(output: &Value, relation: bool) -> Vec<Finding> {
    let mut f = Vec::new();
    match output {
        Value::Array(items) => {
            if items.is_empty() {
                f.push(finding(
                    &rules::MISSING_TYPE,
                    "",
                    "the template produced an empty list: no element is created",
                ));
            }
            for (i, item) in items.iter().enumerate() {
                element(item, &format!("[{i}]"), relation, &mut f);
            }
        }
        other => element(other, "", relation, &mut f),
    }
    f
}

fn finding(rule: &'static Rule, path: &str, message: impl Into<String>) -> Finding {
    Finding {
        rule,
        path: path.to_string(),
        message: message.into(),
    }
}

fn is_id(v: &Value) -> bool {
    v.as_i64().is_some() || v.as_u64().is_some()
}

fn describe(v: Option<&Value>) -> String {
    match v {
        None => "missing".into(),
        Some(Value::String(s)) => format!("the string {s:?}"),
        Some(other) => format!("`{other}`"),
    }
}

fn name_ok(obj: &serde_json::Map<String, Value>) -> bool {
    obj.get("name")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

fn element(v: &Value, path: &str, relation: bool, f: &mut Vec<Finding>) {
    let Some(obj) = v.as_object() else {
        f.push(finding(
            &rules::MISSING_TYPE,
            path,
            format!("expected an object, found {}", describe(Some(v))),
        ));
        return;
    };
    let expected = if relation { "Relation" } else { "Component" };
    let ty = obj.get("_type").and_then(Value::as_str).map(str::trim);
    match ty {
        None => {
            f.push(finding(
                &rules::MISSING_TYPE,
                path,
                format!("no `_type`: write `\"_type\": \"{expected}\"`"),
            ));
            return;
        }
        Some(t) if t != "Component" && t != "Relation" => {
            // Other domain objects are allowed; only their name is checked.
            if !name_ok(obj) {
                f.push(finding(
                    &rules::EMPTY_NAME,
                    &format!("{path}.name"),
                    format!("the {t} has an empty or missing `name`"),
                ));
            }
            return;
        }
        Some(_) => {}
    }
    let is_relation = ty == Some("Relation");
    if !name_ok(obj) {
        f.push(finding(
            &rules::EMPTY_NAME,
            &format!("{path}.name"),
            format!(
                "the {} has an empty or missing `name` ({}): StackState rejects it",
                if is_relation { "relation" } else { "component" },
                describe(obj.get("name"))
            ),
        ));
    }
    let ids: &[&str] = if is_relation {
        &["type", "source", "target"]
    } else {
        &["type", "layer", "domain"]
    };
    for key in ids {
        if !obj.get(*key).is_some_and(is_id) {
            f.push(finding(
                &rules::NOT_AN_ID,
                &format!("{path}.{key}"),
                format!(
                    "`{key}` must be a node id (a number, e.g. from `get`), found {}",
                    describe(obj.get(*key))
                ),
            ));
        }
    }
    if !is_relation {
        match obj.get("environments") {
            Some(Value::Array(envs)) if !envs.is_empty() => {
                for (i, e) in envs.iter().enumerate() {
                    if !is_id(e) {
                        f.push(finding(
                            &rules::NOT_AN_ID,
                            &format!("{path}.environments[{i}]"),
                            format!("an environment must be a node id, found {}", describe(Some(e))),
                        ));
                    }
                }
            }
            other => f.push(finding(
                &rules::NOT_AN_ID,
                &format!("{path}.environments"),
                format!(
                    "`environments` must be a non-empty list of node ids, found {}",
                    describe(other)
                ),
            )),
        }
    }
    if let Some(d) = obj.get("dependencyDirection") {
        if !matches!(d.as_str(), Some("ONE_WAY" | "BOTH" | "NONE")) {
            f.push(finding(
                &rules::MISSING_TYPE,
                &format!("{path}.dependencyDirection"),
                format!(
                    "`dependencyDirection` must be ONE_WAY, BOTH or NONE, found {}",
                    describe(Some(d))
                ),
            ));
        }
    }
    labels(obj.get("labels"), &format!("{path}.labels"), f);
    let stream_ids = streams(obj.get("streams"), &format!("{path}.streams"), f);
    checks(obj.get("checks"), &format!("{path}.checks"), &stream_ids, f);
}

fn list<'a>(v: Option<&'a Value>, path: &str, what: &str, rule: &'static Rule, f: &mut Vec<Finding>) -> &'a [Value] {
    match v {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(other) => {
            f.push(finding(
                rule,
                path,
                format!("`{what}` must be a list, found {}", describe(Some(other))),
            ));
            &[]
        }
    }
}

fn labels(v: Option<&Value>, path: &str, f: &mut Vec<Finding>) {
    for (i, l) in list(v, path, "labels", &rules::INVALID_LABEL, f).iter().enumerate() {
        let p = format!("{path}[{i}]");
        let ok = l
            .as_object()
            .is_some_and(|o| o.get("_type").and_then(Value::as_str) == Some("Label") && name_ok(o));
        if !ok {
            f.push(finding(
                &rules::INVALID_LABEL,
                &p,
                format!(
                    "a label must be `{{ \"_type\": \"Label\", \"name\": \"…\" }}` with a non-empty name, found {}",
                    describe(Some(l))
                ),
            ));
        }
    }
}

fn streams(v: Option<&Value>, path: &str, f: &mut Vec<Finding>) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    for (i, s) in list(v, path, "streams", &rules::INVALID_STREAM, f).iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(o) = s.as_object() else {
            f.push(finding(
                &rules::INVALID_STREAM,
                &p,
                format!("a stream must be an object, found {}", describe(Some(s))),
            ));
            continue;
        };
        if !matches!(
            o.get("_type").and_then(Value::as_str).map(str::trim),
            Some("MetricStream" | "EventStream")
        ) {
            f.push(finding(
                &rules::INVALID_STREAM,
                &format!("{p}._type"),
                format!(
                    "a stream's `_type` must be MetricStream or EventStream, found {}",
                    describe(o.get("_type"))
                ),
            ));
        }
        match o.get("id").and_then(Value::as_i64) {
            Some(id) if !ids.insert(id) => f.push(finding(
                &rules::INVALID_STREAM,
                &format!("{p}.id"),
                format!("stream id {id} is used by two streams of the element: checks cannot tell them apart"),
            )),
            Some(_) => {}
            None => f.push(finding(
                &rules::INVALID_STREAM,
                &format!("{p}.id"),
                format!(
                    "a stream needs a numeric `id` (checks refer to it), found {}",
                    describe(o.get("id"))
                ),
            )),
        }
        if !name_ok(o) {
            f.push(finding(
                &rules::EMPTY_NAME,
                &format!("{p}.name"),
                "a stream has an empty or missing `name`",
            ));
        }
        if !o.get("dataSource").is_some_and(is_id) {
            f.push(finding(
                &rules::NOT_AN_ID,
                &format!("{p}.dataSource"),
                format!(
                    "a stream's `dataSource` must be a node id (from `get`), found {}",
                    describe(o.get("dataSource"))
                ),
            ));
        }
        let query_typed = o
            .get("query")
            .and_then(|q| q.get("_type"))
            .and_then(Value::as_str)
            .is_some();
        if !query_typed {
            f.push(finding(
                &rules::INVALID_STREAM,
                &format!("{p}.query"),
                "a stream needs a `query` object with a `_type` (MetricTelemetryQuery or EventTelemetryQuery)",
            ));
        }
    }
    ids
}

fn checks(v: Option<&Value>, path: &str, stream_ids: &BTreeSet<i64>, f: &mut Vec<Finding>) {
    for (i, c) in list(v, path, "checks", &rules::MISSING_TYPE, f).iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(o) = c.as_object() else {
            f.push(finding(
                &rules::MISSING_TYPE,
                &p,
                format!("a check must be an object, found {}", describe(Some(c))),
            ));
            continue;
        };
        if o.get("_type").and_then(Value::as_str) != Some("Check") {
            f.push(finding(
                &rules::MISSING_TYPE,
                &format!("{p}._type"),
                "a check needs `\"_type\": \"Check\"`",
            ));
        }
        if !name_ok(o) {
            f.push(finding(
                &rules::EMPTY_NAME,
                &format!("{p}.name"),
                "a check has an empty or missing `name`",
            ));
        }
        if !o.get("function").is_some_and(is_id) {
            f.push(finding(
                &rules::NOT_AN_ID,
                &format!("{p}.function"),
                format!(
                    "a check's `function` must be a node id (from `get`), found {}",
                    describe(o.get("function"))
                ),
            ));
        }
        let args = list(
            o.get("arguments"),
            &format!("{p}.arguments"),
            "arguments",
            &rules::MISSING_TYPE,
            f,
        );
        for (j, a) in args.iter().enumerate() {
            let ap = format!("{p}.arguments[{j}]");
            if !a.get("parameter").is_some_and(is_id) {
                f.push(finding(
                    &rules::NOT_AN_ID,
                    &format!("{ap}.parameter"),
                    format!("an argument's `parameter` must be a node id (from `get … \"Type=Parameter;Name=…\"`), found {}", describe(a.get("parameter"))),
                ));
            }
            if let Some(s) = a.get("stream") {
                match s.as_i64() {
                    Some(id) if stream_ids.contains(&id) => {}
                    _ => f.push(finding(
                        &rules::CHECK_STREAM_UNKNOWN,
                        &format!("{ap}.stream"),
                        format!(
                            "the argument's stream {} is not one of the element's streams ({})",
                            describe(Some(s)),
                            if stream_ids.is_empty() {
                                "it has none".to_string()
                            } else {
                                stream_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                            }
                        ),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(v: Value, relation: bool) -> Vec<(&'static str, String)> {
        check(&v, relation).into_iter().map(|f| (f.rule.code, f.path)).collect()
    }

    #[test]
    fn a_complete_component_passes() {
        let c = json!({"_type": "Component", "name": "h", "type": 1, "layer": 2, "domain": 3, "environments": [4],
            "labels": [{"_type": "Label", "name": "a"}],
            "streams": [{"_type": "MetricStream", "id": -1, "name": "cpu", "dataSource": 5, "query": {"_type": "MetricTelemetryQuery"}}],
            "checks": [{"_type": "Check", "name": "c", "function": 6, "arguments": [{"parameter": 7, "stream": -1}]}]});
        assert_eq!(codes(c, false), vec![]);
    }

    #[test]
    fn each_structural_problem_is_found_at_its_path() {
        let c = json!({"_type": "Component", "name": " ", "type": "host", "layer": 2, "domain": 3, "environments": [],
            "labels": ["x"],
            "streams": [{"_type": "MetricStream", "name": "cpu", "dataSource": 5, "query": {"_type": "Q"}}],
            "checks": [{"_type": "Check", "name": "c", "function": 6, "arguments": [{"parameter": 7, "stream": -9}]}]});
        assert_eq!(
            codes(c, false),
            vec![
                ("SP334", ".name".to_string()),
                ("SP335", ".type".to_string()),
                ("SP335", ".environments".to_string()),
                ("SP336", ".labels[0]".to_string()),
                ("SP337", ".streams[0].id".to_string()),
                ("SP338", ".checks[0].arguments[0].stream".to_string()),
            ]
        );
        let r = json!({"_type": "Relation", "name": "a -> b", "type": 1, "source": 2});
        assert_eq!(codes(r, true), vec![("SP335", ".target".to_string())]);
        assert_eq!(codes(json!({"name": "x"}), false), vec![("SP333", String::new())]);
    }
}
