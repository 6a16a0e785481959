//! Machine formats: `--format json` and `--format sarif` parse and have the documented shape.
//! The SARIF checks follow the required properties of the SARIF 2.1.0 schema, written by hand.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(name)
}

fn lint(dir: &Path, format: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(["lint", ".", "--format", format])
        .current_dir(dir)
        .output()
        .expect("run stackpack");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{format} output is not JSON ({e}): {stdout}"));
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn json_has_the_documented_fields() {
    let (status, v) = lint(&fixture("SP203-unresolved-reference"), "json");
    assert_eq!(status, 1);
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    // One mistake, one finding: the misspelt reference, not also "`agent` is never used".
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = diags.iter().find(|d| d["code"] == "SP203").cloned().unwrap_or_default();
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "nodes/pack.yaml");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(36), Some(18)));
    assert_eq!((d["end_line"].as_u64(), d["end_column"].as_u64()), (Some(36), Some(22)));
    assert_eq!(d["help"], "did you mean `agent`?");
    assert!(d["message"].as_str().is_some_and(|m| m.contains("agnt")));
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["warnings"], 0);
    assert_eq!(v["summary"]["infos"], 0);
}

fn obj<'a>(v: &'a Value, what: &str) -> &'a serde_json::Map<String, Value> {
    v.as_object().unwrap_or_else(|| panic!("{what} must be an object: {v}"))
}

fn text_message(v: &Value, what: &str) {
    let m = obj(v, what);
    assert!(
        m.get("text").and_then(Value::as_str).is_some_and(|t| !t.is_empty()),
        "{what}.text"
    );
}

fn region(v: &Value, what: &str) {
    let r = obj(v, what);
    for k in ["startLine", "startColumn", "endLine", "endColumn"] {
        let n = r.get(k).and_then(Value::as_u64).unwrap_or(0);
        assert!(n >= 1, "{what}.{k} must be an integer >= 1: {v}");
    }
    let start = (r["startLine"].as_u64(), r["startColumn"].as_u64());
    let end = (r["endLine"].as_u64(), r["endColumn"].as_u64());
    assert!(end >= start, "{what}: region ends before it starts: {v}");
}

fn artifact_uri(v: &Value, what: &str) -> String {
    let uri = v["artifactLocation"]["uri"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: artifactLocation.uri"));
    assert!(
        !uri.starts_with('/') && !uri.contains('\\') && !uri.contains("://"),
        "{what}: relative uri: {uri}"
    );
    uri.to_string()
}

/// The properties the SARIF 2.1.0 schema requires, and the ones code-scanning uploads rely on.
fn validate_sarif(v: &Value) -> Vec<(String, String, u64, u64)> {
    let root = obj(v, "log");
    assert_eq!(root.get("version"), Some(&Value::from("2.1.0")));
    assert!(root
        .get("$schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains("sarif")));
    let runs = root.get("runs").and_then(Value::as_array).expect("runs array");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "stackpack");
    assert!(driver["informationUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    let rules = driver["rules"].as_array().expect("driver.rules");
    let registry = stackpack::diag::registry::all();
    assert_eq!(rules.len(), registry.len(), "every rule is described");
    for (rule, reg) in rules.iter().zip(&registry) {
        assert_eq!(rule["id"], reg.code);
        assert_eq!(rule["name"], reg.name);
        text_message(&rule["shortDescription"], "shortDescription");
        text_message(&rule["fullDescription"], "fullDescription");
        text_message(&rule["help"], "help");
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap_or("");
        assert!(matches!(level, "error" | "warning" | "note"), "level {level}");
    }
    let results = run["results"].as_array().expect("results array");
    let mut out = Vec::new();
    for r in results {
        let rule_id = r["ruleId"].as_str().expect("ruleId").to_string();
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], rule_id.as_str(), "ruleIndex points at its rule");
        assert!(matches!(r["level"].as_str(), Some("error" | "warning" | "note")));
        text_message(&r["message"], "message");
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = artifact_uri(loc, "result");
        let (line, col) = if loc.get("region").is_some() {
            region(&loc["region"], "region");
            (
                loc["region"]["startLine"].as_u64().unwrap_or(0),
                loc["region"]["startColumn"].as_u64().unwrap_or(0),
            )
        } else {
            (0, 0)
        };
        if let Some(related) = r.get("relatedLocations").and_then(Value::as_array) {
            for rl in related {
                artifact_uri(&rl["physicalLocation"], "related");
                region(&rl["physicalLocation"]["region"], "related region");
            }
        }
        out.push((rule_id, uri, line, col));
    }
    out
}

#[test]
fn sarif_has_the_required_shape() {
    let (status, v) = lint(&fixture("SP201-duplicate-id"), "sarif");
    assert_eq!(status, 1);
    let results = validate_sarif(&v);
    assert_eq!(
        results,
        vec![("SP201".to_string(), "nodes/pack.yaml".to_string(), 3, 9)]
    );
    assert_eq!(v["runs"][0]["results"][0]["level"], "error");
    assert!(v["runs"][0]["results"][0]["relatedLocations"].is_array());
}

#[test]
fn sarif_of_every_fixture_is_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    let mut seen_levels = std::collections::BTreeSet::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let (_, v) = lint(&e.path(), "sarif");
        validate_sarif(&v);
        for r in v["runs"][0]["results"].as_array().cloned().unwrap_or_default() {
            seen_levels.insert(r["level"].as_str().unwrap_or("").to_string());
        }
    }
    assert!(
        seen_levels.contains("error") && seen_levels.contains("warning"),
        "{seen_levels:?}"
    );
    // Findings without a span (unused files) keep their artifact but have no region.
    let (_, v) = lint(&fixture("SP902-unused-file"), "sarif");
    let r = &v["runs"][0]["results"][0];
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "scripts/old-mapping.groovy"
    );
    assert!(r["locations"][0]["physicalLocation"].get("region").is_none());
}

#[test]
fn clean_pack_gives_empty_results() {
    let (status, v) = lint(&fixture("valid"), "sarif");
    assert_eq!(status, 0);
    assert_eq!(validate_sarif(&v), vec![]);
    let (status, v) = lint(&fixture("valid"), "json");
    assert_eq!(status, 0);
    assert_eq!(v["diagnostics"], Value::Array(vec![]));
}
