//! `stackpack test` on a StackPack 2.0 pack: the OTel mappings of `settings/` on the sample
//! telemetry of `tests/` (tests/fixtures/v2/tested): passing, failing with a diff naming the
//! mapping, a record no mapping matches and why, `--update`, the JSON and JUnit formats, and
//! `tests/` neither linted as junk nor shipped.

mod helpers;

use helpers::{copy_dir, root, stackpack};
use std::path::{Path, PathBuf};

fn tested() -> PathBuf {
    root().join("tests/fixtures/v2/tested")
}

/// A copy of the fixture in a temporary directory.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&tested(), &dir);
    (tmp, dir)
}

fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.contains(old), "`{old}` not in {}", path.display());
    std::fs::write(path, text.replacen(old, new, 1)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_fixture_passes_and_explains_the_record_no_mapping_matched() {
    let run = stackpack(&tested(), &["test", "."]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("test tests/queues.yaml :: a queue and its broker ... ok"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("test tests/queues.yaml :: other scopes make nothing ... ok"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("no mapping matched resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "`urn:stackpack:acme-queue:otel-component-mapping:queue`: the scope condition `scope.name == 'acme'` is false"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("test result: ok. 2 passed, 0 failed, 0 skipped"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_wrong_expectation_fails_with_a_diff_naming_the_mapping() {
    let (_tmp, dir) = copy();
    edit(
        &dir.join("tests/expected/queues.components.json"),
        "\"name\": \"orders\"",
        "\"name\": \"invoices\"",
    );
    let run = stackpack(&dir, &["test", "."]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("test tests/queues.yaml :: a queue and its broker ... FAILED"),
        "{out}"
    );
    assert!(
        out.contains("the component list differs from the expectation (tests/expected/queues.components.json)"),
        "{out}"
    );
    assert!(
        out.contains("component `urn:acme:broker/broker-1:queue/orders` differs from the expected one (made by `urn:stackpack:acme-queue:otel-component-mapping:queue` on resourceMetrics[0]"),
        "{out}"
    );
    assert!(
        out.contains("-     \"name\": \"invoices\",\n+     \"name\": \"orders\","),
        "{out}"
    );
    assert!(
        out.contains("test result: FAILED. 1 passed, 1 failed, 0 skipped"),
        "{out}"
    );
    // The mapping now misses the record: the expected component is not produced, and why.
    let (_tmp2, dir2) = copy();
    edit(
        &dir2.join("settings/mappings/components.sty"),
        "condition: \"scope.name == 'acme'\"",
        "condition: \"scope.name == 'acme-broker'\"",
    );
    let run = stackpack(&dir2, &["test", "."]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("expected component `urn:acme:broker/broker-1:queue/orders` was not produced by any mapping"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("note: `urn:stackpack:acme-queue:otel-component-mapping:queue` did not match resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]: the scope condition `scope.name == 'acme-broker'` is false"),
        "{}",
        run.stdout
    );
}

#[test]
fn update_rewrites_inline_and_file_expectations() {
    let (_tmp, dir) = copy();
    let expected = dir.join("tests/expected/queues.components.json");
    let good = std::fs::read_to_string(&expected).unwrap_or_default();
    std::fs::remove_file(&expected).unwrap_or_else(|e| panic!("{e}"));
    let yaml = dir.join("tests/queues.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap_or_default();
    let start = text.find("    relations: [").unwrap_or_else(|| panic!("{text}"));
    let end = start + text[start..].find("\n  - name:").unwrap_or_else(|| panic!("{text}"));
    std::fs::write(
        &yaml,
        format!("{}    relations: # filled by --update{}", &text[..start], &text[end..]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let before = stackpack(&dir, &["test", "."]);
    assert_eq!(before.code, 1, "{}", before.stdout);
    assert!(
        before.stdout.contains("does not exist yet: run with --update"),
        "{}",
        before.stdout
    );
    let run = stackpack(&dir, &["test", ".", "--update"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("updated tests/expected/queues.components.json"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("updated tests/queues.yaml (inline)"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_to_string(&expected).unwrap_or_default(), good);
    let rewritten = std::fs::read_to_string(&yaml).unwrap_or_default();
    // Written in block style, in `stackpack fmt`'s layout.
    assert!(
        rewritten.contains("    relations: # filled by --update\n      - dependencyType: HIERARCHICAL\n"),
        "{rewritten}"
    );
    let block = |t: &str| {
        let start = t.find("    relations:").unwrap_or(t.len());
        let end = t[start..].find("\n  - name:").map_or(t.len(), |n| start + n);
        t[start..end].to_string()
    };
    let fmt = stackpack(&dir, &["fmt", "tests/queues.yaml"]);
    assert_eq!(fmt.code, 0, "{}{}", fmt.stdout, fmt.stderr);
    let formatted = std::fs::read_to_string(&yaml).unwrap_or_default();
    assert!(!block(&rewritten).is_empty(), "{rewritten}");
    assert_eq!(
        block(&formatted),
        block(&rewritten),
        "fmt keeps the updated block as it is"
    );
    assert!(
        rewritten.starts_with("# yaml-language-server"),
        "comments are kept: {rewritten}"
    );
    let again = stackpack(&dir, &["test", "."]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn json_and_junit_carry_the_trace_and_the_cases() {
    let run = stackpack(&tested(), &["test", ".", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(v["summary"]["passed"], 2);
    let trace = &v["cases"][0]["trace"];
    assert_eq!(trace[0]["outcome"], "created");
    assert_eq!(trace[0]["kind"], "component");
    assert_eq!(trace[0]["level"], "datapoint");
    assert_eq!(trace[1]["kind"], "relation");
    let miss = &v["cases"][1]["trace"][0];
    assert_eq!(miss["outcome"], "no-match");
    assert!(
        miss["reason"].as_str().unwrap_or_default().contains("scope condition"),
        "{miss}"
    );
    assert_eq!(v["cases"][1]["output"]["unmatched"].as_array().map(Vec::len), Some(1));
    let junit = stackpack(&tested(), &["test", ".", "--format", "junit"]);
    assert_eq!(junit.code, 0);
    assert!(
        junit
            .stdout
            .contains("<testsuites name=\"stackpack test\" tests=\"2\" failures=\"0\""),
        "{}",
        junit.stdout
    );
}

#[test]
fn bad_test_files_are_located_findings() {
    let (_tmp, dir) = copy();
    std::fs::write(
        dir.join("tests/bad.yaml"),
        "cases:\n  - name: x\n    mappings: [urn:stackpack:acme-queue:otel-component-mapping:queues]\n    telemetry: { resourceMetrics: [] }\n  - name: y\n    telemetry: { spans: [] }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["test", "."]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("is no OtelComponentMapping or OtelRelationMapping of this pack"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("did you mean `urn:stackpack:acme-queue:otel-component-mapping:queue`?"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("tests/bad.yaml:3:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("the telemetry of case `y` is no OTLP-JSON export"),
        "{}",
        run.stdout
    );
}

#[test]
fn tests_folder_is_neither_linted_as_junk_nor_shipped() {
    let lint = stackpack(&tested(), &["lint", ".", "--format", "json"]);
    assert_eq!(lint.code, 0, "{}\n{}", lint.stdout, lint.stderr);
    assert!(!lint.stdout.contains("SP2903"), "{}", lint.stdout);
    assert!(!lint.stdout.contains("tests"), "{}", lint.stdout);
    let (tmp, dir) = copy();
    let out = tmp.path().join("out");
    let run = stackpack(&dir, &["build", ".", "--out", &out.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = std::fs::File::open(out.join("acme-queue-1.2.0.sts")).unwrap_or_else(|e| panic!("{e}"));
    let z = zip::ZipArchive::new(f).unwrap_or_else(|e| panic!("{e}"));
    let tops: std::collections::BTreeSet<String> = z
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.split('/').next().unwrap_or_default().to_string()))
        .collect();
    let expected: std::collections::BTreeSet<String> = [
        "README.md",
        "icons",
        "includes",
        "resources",
        "settings",
        "stackpack.yaml",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(tops, expected);
}

#[test]
fn trace_flag_shows_every_mapping_on_every_record() {
    let run = stackpack(&tested(), &["test", ".", "--trace", "--filter", "broker"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("test tests/queues.yaml :: a queue and its broker ... ok\n    `urn:stackpack:acme-queue:otel-component-mapping:queue` matched resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0] at the datapoint level: component `urn:acme:broker/broker-1:queue/orders`\n    `urn:stackpack:acme-queue:otel-relation-mapping:broker-queue` matched"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("other scopes"), "{}", run.stdout);
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
}
