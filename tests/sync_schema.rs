//! `schemas/sync-test.schema.json` is what `stackpack schema test` prints, lists exactly the keys
//! the test-file reader accepts, and the example pack's test files use only those keys.

mod helpers;

use helpers::root;
use serde_json::Value;
use stackpack::sync::testfile::{CASE_KEYS, FILE_KEYS};

fn keys(v: &Value) -> Vec<String> {
    v["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn committed_schema_is_current() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(["schema", "test"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(root().join("schemas/sync-test.schema.json")).unwrap_or_default();
    assert!(
        committed == String::from_utf8_lossy(&out.stdout),
        "schemas/sync-test.schema.json is out of date: run `cargo run -q -- schema test > schemas/sync-test.schema.json`"
    );
}

#[test]
fn schema_keys_are_the_readers_keys() {
    let schema = stackpack::sync::schema::test_file();
    let mut file: Vec<String> = FILE_KEYS.iter().map(|s| s.to_string()).collect();
    let mut case: Vec<String> = CASE_KEYS.iter().map(|s| s.to_string()).collect();
    file.sort();
    case.sort();
    assert_eq!(keys(&schema), file);
    assert_eq!(keys(&schema["$defs"]["case"]), case);
}

#[test]
fn example_test_files_use_only_schema_keys() {
    let schema = stackpack::sync::schema::test_file();
    let (file_keys, case_keys) = (keys(&schema), keys(&schema["$defs"]["case"]));
    let mut n = 0;
    for sub in ["components", "relations"] {
        for f in std::fs::read_dir(root().join("stackpack/tests").join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            let v: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.path().display()));
            for k in v
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                assert!(file_keys.contains(&k), "{}: {k}", f.path().display());
            }
            for c in v["cases"].as_array().cloned().unwrap_or_default() {
                for k in c
                    .as_object()
                    .map(|m| m.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    assert!(case_keys.contains(&k), "{}: {k}", f.path().display());
                }
            }
            n += 1;
        }
    }
    assert!(n >= 14, "{n} test files");
}

#[test]
fn otel_case_keys_are_the_2_0_readers_keys_and_the_fixture_uses_them() {
    use stackpack::sync::otel_test::{OTEL_CASE_KEYS, OTEL_FILE_KEYS};
    let schema = stackpack::sync::schema::test_file();
    let mut case: Vec<String> = OTEL_CASE_KEYS.iter().map(|s| s.to_string()).collect();
    case.sort();
    assert_eq!(keys(&schema["$defs"]["otel-case"]), case);
    let file_keys = keys(&schema);
    assert!(OTEL_FILE_KEYS.iter().all(|k| file_keys.contains(&k.to_string())));
    let text = std::fs::read_to_string(root().join("tests/fixtures/v2/tested/tests/queues.yaml")).unwrap_or_default();
    let v: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let top: Vec<String> = v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    assert_eq!(top, vec!["cases".to_string()]);
    let cases = v["cases"].as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), 2);
    for c in cases {
        for k in c
            .as_object()
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            assert!(case.contains(&k), "{k}");
        }
    }
    // The 2.0 branch of the schema refuses v1 keys beside OTel cases.
    let branch = &schema["oneOf"][1]["not"]["anyOf"];
    assert_eq!(branch.as_array().map(Vec::len), Some(4));
}
