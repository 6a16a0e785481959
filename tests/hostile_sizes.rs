//! Hostile sizes (issue 15.1, 11): each input that used to take minutes, never finish or
//! overflow the stack is linted from the CLI and ends with a result or a coded error. The time
//! bound is generous (debug build, shared machine): it catches hangs and exponential or
//! quadratic paths, which take minutes at these sizes; release times are in BENCHMARKS.md.

mod helpers;

use helpers::{copy_dir, root, stackpack, Run};
use std::path::Path;
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(30);

fn pack_with_template(dir: &Path, template: &str) {
    copy_dir(&root().join("tests/fixtures/lint/valid"), dir);
    std::fs::write(dir.join("templates/host.json.hbs"), template).unwrap_or_else(|e| panic!("{e}"));
}

fn lint(dir: &Path) -> (Run, Duration) {
    let started = Instant::now();
    let r = stackpack(dir, &["lint", ".", "--format", "json"]);
    (r, started.elapsed())
}

fn codes(r: &Run) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    let list = v
        .get("diagnostics")
        .or(Some(&v))
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    list.iter()
        .filter_map(|d| d.get("code").and_then(|c| c.as_str()).map(str::to_string))
        .collect()
}

fn template_case(body: &str) -> (Run, Duration) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t = format!("{{\"_type\": \"Component\", \"name\": \"{body}\", \"type\": {{{{ get \"component-type:host\" }}}}, \"layer\": {{{{ get \"urn:stackpack:common:layer:machines\" }}}}, \"checks\": [{{ \"_type\": \"Check\", \"name\": \"CPU\", \"function\": {{{{ get \"check-function:cpu\" }}}} }}]}}");
    pack_with_template(dir.path(), &t);
    lint(dir.path())
}

#[test]
fn thirty_hash_arguments_finish() {
    let (r, took) = template_case(&format!("{{{{ element.data.name {} }}}}", "k=1 ".repeat(30)));
    assert!(took < BOUND, "{took:?}");
    assert_ne!(r.code, 101, "{}", r.stderr);
    assert!(!codes(&r).contains(&"SP301".to_string()), "{}", r.stdout);
}

#[test]
fn a_hundred_thousand_arguments_are_a_coded_error() {
    let (r, took) = template_case(&format!("{{{{ element.data.name {} }}}}", "k=1 ".repeat(100_000)));
    assert!(took < BOUND, "{took:?}");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(codes(&r).contains(&"SP301".to_string()), "{}", r.stdout);
}

#[test]
fn a_hundred_thousand_expressions_finish() {
    let (r, took) = template_case(&"{{ element.data.name }}".repeat(100_000));
    assert!(took < BOUND, "{took:?}");
    assert!(!codes(&r).iter().any(|c| c == "SP301"), "{}", r.stdout);
}

#[test]
fn twenty_thousand_nested_blocks_are_a_coded_error() {
    let body = "{{#if element.data.x}}".repeat(20_000) + &"{{/if}}".repeat(20_000);
    let (r, took) = template_case(&body);
    assert!(took < BOUND, "{took:?}");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(codes(&r).contains(&"SP301".to_string()), "{}", r.stdout);
}

/// A node file of 1 MB of minified JSON on one line, with thousands of located values.
#[test]
fn a_one_megabyte_single_line_node_file_finishes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&root().join("tests/fixtures/lint/valid"), dir.path());
    let yaml = std::fs::read_to_string(dir.path().join("nodes/pack.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let mut v: serde_json::Value = serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let mut types = Vec::new();
    let mut i = 0;
    // Non-ASCII text, so column conversions cannot take the ASCII shortcut.
    while serde_json::to_string(&types).map_or(0, |s| s.len()) < 1 << 20 {
        for _ in 0..500 {
            types.push(serde_json::json!({"id": format!("t-{i}"), "description": "é".repeat(40), "bogus": 1}));
            i += 1;
        }
    }
    v["component-types"] = serde_json::Value::Array(types);
    let line = serde_json::to_string(&v).unwrap_or_default();
    assert!(!line.contains('\n') && line.len() > 1 << 20);
    std::fs::write(dir.path().join("nodes/pack.yaml"), line).unwrap_or_else(|e| panic!("{e}"));
    let (r, took) = lint(dir.path());
    assert!(took < BOUND, "{took:?}");
    assert_ne!(r.code, 101, "{}", r.stderr);
    // The first 50 unknown fields are reported, the rest counted in one finding (SP807).
    let c = codes(&r);
    assert_eq!(
        c.iter().filter(|c| *c == "SP004").count(),
        50,
        "{}",
        &r.stdout[..r.stdout.len().min(2000)]
    );
    assert!(
        r.stdout
            .contains(&format!("{} more SP004 findings in nodes/pack.yaml not shown", i - 50)),
        "{}",
        &r.stdout[r.stdout.len().saturating_sub(2000)..]
    );
}

/// 100 000 unknown keys at the root of a classic conf: 100 000 SP702 findings, of which the
/// first 50 are listed and the rest counted, in JSON and in SARIF (issue 15: reporting them all
/// took 1.2 s).
#[test]
fn a_hundred_thousand_unknown_conf_keys_are_fifty_findings_and_a_count() {
    let mut tail = String::from("\n");
    for i in 0..100_000 {
        tail.push_str(&format!("unknownKey{i} = {i}\n"));
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&root().join("tests/fixtures/classic/minimal"), dir.path());
    let conf = dir.path().join("stackpack.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap_or_else(|e| panic!("{e}"));
    text.push_str(&tail);
    std::fs::write(&conf, text).unwrap_or_else(|e| panic!("{e}"));
    let (r, took) = lint(dir.path());
    assert!(took < BOUND, "{took:?}");
    let c = codes(&r);
    assert_eq!(
        c.iter().filter(|c| *c == "SP702").count(),
        50,
        "{}",
        &r.stdout[..r.stdout.len().min(2000)]
    );
    assert_eq!(c.iter().filter(|c| *c == "SP807").count(), 1);
    assert!(
        r.stdout
            .contains("99950 more SP702 findings in stackpack.conf not shown"),
        "{}",
        r.stdout
    );
    let sarif = stackpack(dir.path(), &["lint", ".", "--format", "sarif"]);
    assert!(
        sarif.stdout.contains("99950 more SP702 findings"),
        "{}",
        &sarif.stdout[..sarif.stdout.len().min(2000)]
    );
    // The human summary still counts every finding.
    let human = stackpack(dir.path(), &["lint", "."]);
    assert!(
        human.stderr.contains("100000 warnings"),
        "{}",
        &human.stderr[human.stderr.len().saturating_sub(600)..]
    );
}

fn classic_with_conf_tail(tail: &str) -> (Run, Duration) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&root().join("tests/fixtures/classic/minimal"), dir.path());
    let conf = dir.path().join("stackpack.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap_or_else(|e| panic!("{e}"));
    text.push_str(tail);
    std::fs::write(&conf, text).unwrap_or_else(|e| panic!("{e}"));
    lint(dir.path())
}

#[test]
fn a_hocon_conf_with_a_hundred_thousand_keys_finishes() {
    let mut tail = String::from("\nextra {\n");
    for i in 0..100_000 {
        tail.push_str(&format!("  k{i} = {i}\n"));
    }
    tail.push_str("}\n");
    let (r, took) = classic_with_conf_tail(&tail);
    assert!(took < BOUND, "{took:?}");
    assert_ne!(r.code, 101, "{}", r.stderr);
}

#[test]
fn a_hocon_key_with_a_hundred_thousand_segments_is_a_coded_error() {
    let tail = format!("\n{} = 1\n", vec!["a"; 100_000].join("."));
    let (r, took) = classic_with_conf_tail(&tail);
    assert!(took < BOUND, "{took:?}");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!codes(&r).is_empty(), "{}", r.stdout);
    assert!(
        r.stdout.contains("segments"),
        "{}",
        &r.stdout[..r.stdout.len().min(2000)]
    );
}
