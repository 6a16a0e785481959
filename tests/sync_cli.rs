//! `stackpack test` and `stackpack render` from the command line: the example pack's own tests,
//! every sync rule on its fixture (tests/fixtures/sync/rules), `--update`, the output formats,
//! and the Groovy steps (tests/fixtures/sync/groovy).

mod helpers;

use helpers::{copy_dir, root};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackpack"));
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run stackpack: {e}"));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn groovy_installed() -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("groovy").is_file()))
}

fn json(out: &Out) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

#[test]
fn example_pack_tests_cover_every_template_and_pass() {
    let out = run(root(), &["test", "stackpack", "--format", "json"], &[]);
    assert_ne!(out.code, 101, "panicked: {}", out.stderr);
    let v = json(&out);
    let cases = v["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 28, "{} cases", cases.len());
    // Every component and relation template has a rich and a minimal case.
    for file in ["component-templates.yaml", "relation-templates.yaml"] {
        let text = std::fs::read_to_string(root().join("stackpack/nodes").join(file)).unwrap_or_default();
        for id in text.lines().filter_map(|l| l.trim().strip_prefix("- id: ")) {
            let of: Vec<&Value> = cases.iter().filter(|c| c["template"] == id).collect();
            assert!(of.len() >= 2, "template {id} has {} cases", of.len());
            assert!(
                of.iter()
                    .any(|c| c["case"].as_str().is_some_and(|n| n.contains("minimal"))),
                "template {id} has no minimal case"
            );
        }
    }
    for c in &cases {
        let name = format!(
            "{} :: {}",
            c["file"].as_str().unwrap_or(""),
            c["case"].as_str().unwrap_or("")
        );
        assert_eq!(c["status"], "passed", "{name} did not pass: {c:#}");
    }
    assert_eq!(v["summary"]["file-errors"], 0);
    if groovy_installed() {
        let ran = cases
            .iter()
            .filter(|c| {
                c["notes"]
                    .as_array()
                    .is_some_and(|n| n.iter().any(|x| x.as_str().is_some_and(|s| s.contains("ran (groovy)"))))
            })
            .count();
        assert!(ran >= 10, "Groovy ran in {ran} cases only");
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must install groovy (.ci/run)"
        );
        eprintln!(
            "groovy is not installed: the mapping functions were not run (the tests used their `mapped` elements)"
        );
    }
}

#[test]
fn example_pack_human_output_is_like_cargo_test() {
    let out = run(
        root(),
        &["test", "stackpack", "--filter", "agent-host.yaml :: rich"],
        &[],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("running 1 test from 1 file"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("test tests/components/agent-host.yaml :: rich host ... ok"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("test result: ok. 1 passed, 0 failed, 0 skipped"),
        "{}",
        out.stdout
    );
}

#[test]
fn breaking_a_templates_json_fails_naming_the_template_file() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pack = tmp.path().join("stackpack");
    copy_dir(&root().join("stackpack"), &pack);
    copy_dir(&root().join("changelog"), &tmp.path().join("changelog"));
    let file = pack.join("templates/relations/agent-trace-call.json.handlebars");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let broken = text.replacen(
        "\"dependencyDirection\": \"ONE_WAY\",",
        "\"dependencyDirection\": \"ONE_WAY\"",
        1,
    );
    assert_ne!(text, broken, "the template changed: adapt the test");
    std::fs::write(&file, broken).unwrap_or_else(|e| panic!("{e}"));
    let out = run(
        tmp.path(),
        &["test", "stackpack", "--filter", "agent-trace-call", "--no-groovy"],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("test tests/relations/agent-trace-call.yaml :: rich trace call ... FAILED"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("error[SP332]"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("stackpack/templates/relations/agent-trace-call.json.handlebars:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("test result: FAILED. 0 passed, 2 failed, 0 skipped"),
        "{}",
        out.stdout
    );
    // lint reports it too (SP340), on the same file.
    let lint = run(tmp.path(), &["lint", "stackpack"], &[]);
    assert_eq!(lint.code, 1);
    assert!(lint.stderr.contains("error[SP340]"), "{}", lint.stderr);
    assert!(
        lint.stderr.contains("agent-trace-call.json.handlebars"),
        "{}",
        lint.stderr
    );
}

#[test]
fn render_prints_a_valid_component_for_an_element_no_test_has() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let element = tmp.path().join("db.json");
    std::fs::write(
        &element,
        r#"{"externalId": "urn:host:/db-9.internal", "type": {"name": "host"}, "data": {"host": "db-9.internal", "tags": ["role:database"]}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = element.to_string_lossy().into_owned();
    let out = run(
        root(),
        &["render", "stackpack", "agent-host-template", "--element", &e],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["_type"], "Component");
    assert_eq!(v["name"], "db-9.internal");
    for key in ["type", "layer", "domain"] {
        assert!(v[key].is_i64(), "{key}: {}", v[key]);
    }
    assert!(v["labels"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x["name"] == "role:database")));
    // The lookups are listed, with what they resolved to.
    assert!(
        out.stderr
            .contains("urn:stackpack:stackstate-agent-v2:shared:component-type:host"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("urn:stackpack:common:layer:machines"),
        "{}",
        out.stderr
    );
    // The same by URN, and a relation template.
    let urn = "urn:stackpack:stackstate-agent-v2:shared:component-template-function:agent-host-template";
    let by_urn = run(root(), &["render", "stackpack", urn, "--element", &e], &[]);
    assert_eq!(by_urn.stdout, out.stdout);
    std::fs::write(
        &element,
        r#"{"externalId": "x->y", "type": {"name": "has"}, "sourceExternalId": "x", "targetExternalId": "y"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rel = run(
        root(),
        &["render", "stackpack", "agent-relation-template", "--element", &e],
        &[],
    );
    assert_eq!(rel.code, 0, "{}", rel.stderr);
    let v = json(&rel);
    assert_eq!(v["_type"], "Relation");
    assert!(v["source"].is_i64() && v["target"].is_i64());
}

#[test]
fn render_errors_are_coded_and_located() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let element = tmp.path().join("e.json");
    std::fs::write(&element, r#"{"externalId": "h", "type": {"name": "host"}}"#).unwrap_or_else(|e| panic!("{e}"));
    let e = element.to_string_lossy().into_owned();
    // The example's template falls back to `externalId` (issue 10.6): a valid Component.
    let out = run(
        root(),
        &["render", "stackpack", "agent-host-template", "--element", &e],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(json(&out)["_type"] == "Component");
    assert!(json(&out)["name"] == "h", "{}", out.stdout);
    // Without that fallback the name is empty: the output is still printed, and the finding
    // is coded and points at the template line.
    let pack = tmp.path().join("stackpack");
    copy_dir(&root().join("stackpack"), &pack);
    copy_dir(&root().join("changelog"), &tmp.path().join("changelog"));
    let t = pack.join("templates/components/agent-host.json.handlebars");
    let text = std::fs::read_to_string(&t).unwrap_or_else(|e| panic!("{e}"));
    let broken = text.replace("{{else}}{{ element.externalId }}", "");
    assert_ne!(broken, text);
    std::fs::write(&t, broken).unwrap_or_else(|e| panic!("{e}"));
    let out = run(
        tmp.path(),
        &["render", "stackpack", "agent-host-template", "--element", &e],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(json(&out)["_type"] == "Component");
    assert!(out.stderr.contains("error[SP334]"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("stackpack/templates/components/agent-host.json.handlebars:3:3"),
        "{}",
        out.stderr
    );
    let unknown = run(
        root(),
        &["render", "stackpack", "agent-hots-template", "--element", &e],
        &[],
    );
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean `agent-host-template`?"),
        "{}",
        unknown.stderr
    );
    std::fs::write(&element, r#"{"type": {"name": "host"}}"#).unwrap_or_else(|e| panic!("{e}"));
    let no_id = run(
        root(),
        &["render", "stackpack", "agent-host-template", "--element", &e],
        &[],
    );
    assert_eq!(no_id.code, 2);
    assert!(no_id.stderr.contains("externalId"), "{}", no_id.stderr);
}

/// Each sync rule has a test file under tests/fixtures/sync/rules/tests/ named after its code:
/// the case (or file) fails with that code, located where the file name's rule expects it.
#[test]
fn every_sync_rule_has_a_fixture_that_triggers_it() {
    let dir = root().join("tests/fixtures/sync/rules");
    let out = run(&dir, &["test", ".", "--format", "json"], &[]);
    assert_eq!(out.code, 1);
    let v = json(&out);
    let cases = v["cases"].as_array().cloned().unwrap_or_default();
    for rule in stackpack::sync::rules::RULES {
        let prefix = format!("tests/{}-", rule.code);
        if rule.code.starts_with("SP93") {
            continue; // test-file problems: checked on the human output below
        }
        let case = cases
            .iter()
            .find(|c| c["file"].as_str().is_some_and(|f| f.starts_with(&prefix)))
            .unwrap_or_else(|| panic!("no fixture for {}", rule.code));
        assert_eq!(case["status"], "failed", "{}", rule.code);
        let d = &case["diagnostics"][0];
        assert_eq!(d["code"], rule.code, "{case:#}");
        assert!(
            d["file"].as_str().is_some_and(|f| f.starts_with("templates/")),
            "{case:#}"
        );
        assert!(d["line"].as_u64().is_some(), "{case:#}");
    }
    let passing = cases
        .iter()
        .find(|c| c["file"] == "tests/passing.yaml")
        .cloned()
        .unwrap_or_default();
    assert_eq!(passing["status"], "passed", "{passing:#}");
    let human = run(&dir, &["test", "."], &[]);
    for code in ["SP930", "SP931", "SP932"] {
        assert!(
            human.stdout.contains(&format!("error[{code}]")),
            "{code}: {}",
            human.stdout
        );
    }
    insta::assert_snapshot!("sync_rules_human", human.stdout);
}

#[test]
fn junit_output_counts_failures() {
    let dir = root().join("tests/fixtures/sync/rules");
    let out = run(&dir, &["test", ".", "--format", "junit"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with("<?xml"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("<testsuites name=\"stackpack test\" tests=\"12\" failures=\"10\" skipped=\"0\">"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(
        "<testcase classname=\"tests/passing.yaml\" name=\"host with a name\" file=\"templates/host.json.hbs\"/>"
    ));
    assert!(
        out.stdout.contains(
            "<failure message=\"component template `json` (templates/json.json.hbs) does not render valid JSON"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("name=\"test files are valid\""));
}

#[test]
fn update_rewrites_inline_and_file_expectations_and_keeps_comments() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&root().join("tests/fixtures/sync/rules"), tmp.path());
    for f in std::fs::read_dir(tmp.path().join("tests"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if f.file_name() != "passing.yaml" {
            std::fs::remove_file(f.path()).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let test = tmp.path().join("tests/passing.yaml");
    std::fs::write(
        &test,
        "# A comment that stays.\ntemplate: host\ncases:\n  - name: empty inline\n    element: { externalId: a, type: { name: host }, data: { name: a } }\n    expect:\n  - name: wrong inline\n    element: { externalId: b, type: { name: host }, data: { name: b } }\n    expect:\n      _type: Component\n      name: not b\n    # after\n  - name: in a file\n    element: { externalId: c, type: { name: host }, data: { name: c } }\n    expect-file: expected/c.json\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let before = run(tmp.path(), &["test", "."], &[]);
    assert_eq!(before.code, 1);
    assert!(before.stdout.contains("-   \"name\": \"not b\"\n"), "{}", before.stdout);
    assert!(before.stdout.contains("+   \"name\": \"b\",\n"), "{}", before.stdout);
    assert!(
        before.stdout.contains("does not exist yet: run with --update"),
        "{}",
        before.stdout
    );
    let update = run(tmp.path(), &["test", ".", "--update"], &[]);
    assert_eq!(update.code, 0, "{}", update.stdout);
    assert!(
        update.stdout.contains("updated tests/expected/c.json"),
        "{}",
        update.stdout
    );
    let after = run(tmp.path(), &["test", "."], &[]);
    assert_eq!(after.code, 0, "{}", after.stdout);
    assert!(after.stdout.contains("3 passed, 0 failed"), "{}", after.stdout);
    let text = std::fs::read_to_string(&test).unwrap_or_default();
    assert!(
        text.starts_with("# A comment that stays.\n") && text.contains("    # after\n"),
        "{text}"
    );
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("tests/expected/c.json")).unwrap_or_default())
            .unwrap_or(Value::Null);
    assert_eq!(c["name"], "c");
    // Idempotent.
    let again = run(tmp.path(), &["test", ".", "--update"], &[]);
    assert!(!again.stdout.contains("updated"), "{}", again.stdout);
    assert_eq!(std::fs::read_to_string(&test).unwrap_or_default(), text);
}

#[test]
fn without_groovy_mapping_steps_are_skipped_with_the_reason() {
    let dir = root().join("tests/fixtures/sync/groovy");
    let out = run(&dir, &["test", "."], &[("STACKPACK_GROOVY", "off")]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("(Groovy steps skipped: STACKPACK_GROOVY=off)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("test tests/mapping.yaml :: no mapped element given ... skipped (mapping function `rename` cannot run (STACKPACK_GROOVY=off) and the case gives no `mapped` element)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("test tests/mapping.yaml :: renamed host ... ok"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 passed, 0 failed, 2 skipped"), "{}", out.stdout);
    let no = run(&dir, &["test", ".", "--no-groovy"], &[]);
    assert!(no.stdout.contains("Groovy steps skipped: --no-groovy"), "{}", no.stdout);
}

#[test]
fn groovy_runs_mapping_functions_and_id_extractors() {
    if !groovy_installed() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must install groovy (.ci/run)"
        );
        eprintln!("skipped: no `groovy` on PATH (install Groovy to run the mapping functions)");
        return;
    }
    let dir = root().join("tests/fixtures/sync/groovy");
    let out = run(&dir, &["test", ".", "--format", "json"], &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let v = json(&out);
    let case = |name: &str| {
        v["cases"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["case"] == name).cloned())
            .unwrap_or_default()
    };
    let renamed = case("renamed host");
    assert_eq!(renamed["status"], "passed", "{renamed:#}");
    assert_eq!(renamed["output"]["name"], "WEB");
    let notes = renamed["notes"].to_string();
    assert!(
        notes.contains("id extractor `component-ids` ran (groovy)")
            && notes.contains("mapping function `rename` ran (groovy)"),
        "{notes}"
    );
    assert_eq!(case("no mapped element given")["output"]["name"], "DB");
    let broken = case("script error");
    assert_eq!(broken["status"], "failed");
    let reasons = broken["reasons"].to_string();
    assert!(
        reasons.contains("mapping function `broken` failed")
            && reasons.contains("NullPointerException")
            && reasons.contains("line 3"),
        "{reasons}"
    );
    // A wrong `mapped` expectation is a failure with a diff; --update rewrites it.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&dir, tmp.path());
    let test = tmp.path().join("tests/mapping.yaml");
    let text = std::fs::read_to_string(&test)
        .unwrap_or_default()
        .replace("name: WEB", "name: web");
    std::fs::write(&test, &text).unwrap_or_else(|e| panic!("{e}"));
    let diff = run(tmp.path(), &["test", ".", "--filter", "renamed"], &[]);
    assert_eq!(diff.code, 1);
    assert!(
        diff.stdout
            .contains("the mapped element differs from the expectation (inline)"),
        "{}",
        diff.stdout
    );
    assert!(diff.stdout.contains("+     \"name\": \"WEB\","), "{}", diff.stdout);
    let upd = run(tmp.path(), &["test", ".", "--filter", "renamed", "--update"], &[]);
    assert_eq!(upd.code, 0, "{}", upd.stdout);
    assert_eq!(run(tmp.path(), &["test", ".", "--filter", "renamed"], &[]).code, 0);
}

#[test]
fn lint_is_clean_on_the_example_and_ignores_the_tests_folder() {
    let out = run(root(), &["lint", "stackpack", "--format", "json"], &[]);
    let v = json(&out);
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    assert!(
        diags
            .iter()
            .all(|d| !d["file"].as_str().is_some_and(|f| f.contains("/tests/")) && d["code"] != "SP340"),
        "{diags:#?}"
    );
}

#[cfg(unix)]
#[test]
fn update_never_writes_through_a_symlink_out_of_the_pack() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pack = tmp.path().join("pack");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&root().join("tests/fixtures/sync/rules"), &pack);
    for f in std::fs::read_dir(pack.join("tests")).into_iter().flatten().flatten() {
        std::fs::remove_file(f.path()).unwrap_or_else(|e| panic!("{e}"));
    }
    std::os::unix::fs::symlink(&outside, pack.join("tests/expected")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        pack.join("tests/t.yaml"),
        "template: host\ncases:\n  - name: c\n    element: { externalId: c, type: { name: host }, data: { name: c } }\n    expect-file: expected/c.json\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&pack, &["test", ".", "--update"], &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    // The loader refuses the escaping link (SP009); the test runner would refuse it too (SP932).
    assert!(
        out.stderr.contains("error[SP009]") || out.stdout.contains("error[SP932]"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(!outside.join("c.json").exists());
}
