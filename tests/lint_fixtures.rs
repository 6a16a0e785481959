//! Every lint rule has a fixture pack under `tests/fixtures/lint/<code>-<name>/` that triggers
//! it. Its `expect` file says where: `CODE path:line:col` (or `CODE path` for findings about a
//! whole file). Fixtures without `expect` must lint clean. The human rendering of every fixture
//! is snapshotted.

mod helpers;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/lint exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().to_string(), e.path()))
        .collect();
    out.sort();
    out
}

/// Run `stackpack <args>` inside `dir` (so that paths print relative to the pack).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run stackpack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

struct Expect {
    code: String,
    file: String,
    at: Option<(u64, u64)>,
}

fn read_expect(dir: &Path) -> Option<Expect> {
    let text = std::fs::read_to_string(dir.join("expect")).ok()?;
    let line = text.trim();
    let (code, place) = line.split_once(' ').expect("expect: `CODE place`");
    let mut parts = place.rsplitn(3, ':').collect::<Vec<_>>();
    parts.reverse();
    let (file, at) = match parts.as_slice() {
        [file, l, c] if l.parse::<u64>().is_ok() && c.parse::<u64>().is_ok() => {
            (file.to_string(), Some((l.parse().unwrap_or(0), c.parse().unwrap_or(0))))
        }
        _ => (place.to_string(), None),
    };
    Some(Expect {
        code: code.to_string(),
        file,
        at,
    })
}

#[test]
fn every_fixture_reports_its_code_at_its_place() {
    let all = fixtures();
    assert!(all.len() > 40, "fixtures missing: {}", all.len());
    for (name, dir) in all {
        let (status, stdout, stderr) = run_in(&dir, &["lint", ".", "--format", "json"]);
        assert_ne!(status, 101, "{name}: panicked: {stderr}");
        let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{name}: bad JSON ({e}): {stdout}"));
        let diags = json["diagnostics"].as_array().cloned().unwrap_or_default();
        let errors = diags.iter().filter(|d| d["severity"] == "error").count();
        assert_eq!(status, if errors > 0 { 1 } else { 0 }, "{name}: exit code");
        match read_expect(&dir) {
            None => assert!(diags.is_empty(), "{name} must lint clean, got {diags:#?}"),
            Some(e) => {
                let found = diags.iter().any(|d| {
                    d["code"] == e.code.as_str()
                        && d["file"] == e.file.as_str()
                        && match e.at {
                            Some((l, c)) => d["line"] == l && d["column"] == c,
                            None => d["line"].is_null(),
                        }
                });
                assert!(
                    found,
                    "{name}: expected {} at {}:{:?}, got {:#?}",
                    e.code, e.file, e.at, diags
                );
                assert!(
                    name.starts_with(&format!("{}-", e.code)),
                    "{name}: directory must be named after the code it expects ({})",
                    e.code
                );
            }
        }
    }
}

#[test]
fn every_rule_of_the_lint_ranges_has_a_fixture() {
    let names: Vec<String> = fixtures().into_iter().map(|(n, _)| n).collect();
    let mut missing = Vec::new();
    for rule in stackpack::diag::registry::all() {
        // SP5xx-SP8xx belong to other commands (compat, changelog, classic, archive).
        // Four-digit codes are StackPack 2.0's: tests/v2_rules.rs checks their fixtures.
        if rule.code.len() > 5 {
            continue;
        }
        let hundreds = rule.code.as_bytes().get(2).copied().unwrap_or(b'0');
        if !matches!(hundreds, b'0'..=b'4' | b'9') {
            continue;
        }
        // `stackpack test` / `render` findings are never emitted by `lint`: their fixtures live
        // in tests/fixtures/sync/rules and are checked by tests/sync_cli.rs.
        if stackpack::sync::rules::RULES.iter().any(|r| r.code == rule.code) {
            continue;
        }
        let want = format!("{}-{}", rule.code, rule.name);
        if !names.contains(&want) {
            missing.push(want);
        }
    }
    assert!(
        missing.is_empty(),
        "rules without a fixture under tests/fixtures/lint/: {missing:?}"
    );
}

#[test]
fn human_output_snapshots() {
    for (name, dir) in fixtures() {
        let (_, stdout, stderr) = run_in(&dir, &["lint", "."]);
        assert!(stdout.is_empty(), "{name}: human output goes to stderr");
        assert!(
            !stderr.contains('\u{1b}'),
            "{name}: colour must be off when not on a terminal"
        );
        insta::assert_snapshot!(format!("human__{name}"), stderr);
    }
}

#[test]
fn deny_warnings_fails_on_warnings_only() {
    let dir = fixtures_dir().join("SP901-unused-node");
    let (status, _, _) = run_in(&dir, &["lint", "."]);
    assert_eq!(status, 0, "warnings alone pass");
    let (status, _, _) = run_in(&dir, &["lint", ".", "--deny", "warnings"]);
    assert_eq!(status, 1, "--deny warnings turns them into failures");
    let (status, _, _) = run_in(&fixtures_dir().join("valid"), &["lint", ".", "--deny", "warnings"]);
    assert_eq!(status, 0);
    let (status, _, stderr) = run_in(&dir, &["lint", ".", "--deny", "errors"]);
    assert_eq!(status, 2, "unknown --deny value is a usage error: {stderr}");
}

#[test]
fn io_failures_exit_2() {
    let (status, _, stderr) = run_in(&fixtures_dir(), &["lint", "does-not-exist"]);
    assert_eq!(status, 2, "{stderr}");
    let (status, _, stderr) = run_in(&fixtures_dir(), &["lint", "."]);
    assert_eq!(status, 2, "no manifest: {stderr}");
    assert!(stderr.contains("stackpack.toml"));
}

#[test]
fn example_pack_lints_clean() {
    // The example pack `stackpack/` is the dogfood: it must stay free of findings.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("stackpack");
    if !example.join("stackpack.toml").is_file() {
        return;
    }
    let (status, stdout, stderr) = run_in(&example, &["lint", ".", "--format", "json", "--deny", "warnings"]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap_or_default();
    assert_eq!(json["diagnostics"], Value::Array(vec![]), "{stdout}");
}

#[cfg(unix)]
#[test]
fn symlink_out_of_the_pack_is_reported() {
    // Symlinks cannot be committed portably, so this fixture is built at test time.
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tmp.path().join("outside.groovy");
    std::fs::write(&outside, "return element\n").expect("write");
    let pack = tmp.path().join("pack");
    let valid = fixtures_dir().join("valid");
    let mut stack = vec![(valid.clone(), pack.clone())];
    while let Some((from, to)) = stack.pop() {
        std::fs::create_dir_all(&to).expect("mkdir");
        for e in std::fs::read_dir(&from).expect("read_dir").filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push((e.path(), to.join(e.file_name())));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
            }
        }
    }
    std::fs::remove_file(pack.join("scripts/cpu.groovy")).expect("rm");
    std::os::unix::fs::symlink(&outside, pack.join("scripts/cpu.groovy")).expect("symlink");
    let (status, stdout, _) = run_in(&pack, &["lint", ".", "--format", "json"]);
    assert_eq!(status, 1);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_default();
    let diags = json["diagnostics"].as_array().cloned().unwrap_or_default();
    let d = diags
        .iter()
        .find(|d| d["code"] == "SP009" && d["file"] == "nodes/pack.yaml")
        .unwrap_or_else(|| panic!("SP009 at the script reference expected: {diags:#?}"));
    assert!(d["message"].as_str().is_some_and(|m| m.contains("scripts/cpu.groovy")));
}

#[test]
fn no_unused_warnings_when_part_of_the_model_is_missing() {
    // The sync lacks `data-source`, so it is dropped from the model: its data source, id
    // extractors and templates look unused, but saying so would only add noise to the error.
    let dir = fixtures_dir().join("SP006-missing-field-in-sync");
    let (status, stdout, _) = run_in(&dir, &["lint", ".", "--format", "json"]);
    assert_eq!(status, 1);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_default();
    let codes: Vec<String> = json["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(codes, vec!["SP006"]);
}

/// A misspelt required key is one mistake and one finding: SP006 at the misspelling, saying
/// which field it looks like — not "missing `display-name`" plus "unknown field `dispaly-name`".
#[test]
fn a_misspelt_required_key_is_one_finding_at_the_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    helpers::copy_dir(&helpers::root().join("stackpack"), &tmp.path().join("p"));
    helpers::copy_dir(&helpers::root().join("changelog"), &tmp.path().join("changelog"));
    let manifest = tmp.path().join("p/stackpack.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    assert!(text.contains("\ndisplay-name = "), "the example names its display-name");
    std::fs::write(&manifest, text.replacen("\ndisplay-name = ", "\ndispaly-name = ", 1)).expect("write");
    let (status, stdout, stderr) = run_in(&tmp.path().join("p"), &["lint", ".", "--format", "json"]);
    assert_eq!(status, 1, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).expect("JSON");
    let diags = json["diagnostics"].as_array().cloned().unwrap_or_default();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "SP006");
    assert_eq!(diags[0]["file"], "stackpack.toml");
    assert_eq!(diags[0]["column"], 1, "at the misspelt key");
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("`dispaly-name` looks like a misspelling"),
        "{diags:#?}"
    );
}
