//! `lint` ergonomics: upward manifest search, file arguments, every output format from one
//! model, the clean-run summary, colours, -q/-v, `rules CODE`, suppression comments, the
//! cascade limit, escaping, bounded output, closed pipes and `--watch`.

mod helpers;

use helpers::{copy_dir, root, stackpack};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/lint").join(name)
}

fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("pack");
    copy_dir(&fixture(name), &dir);
    (tmp, dir)
}

#[test]
fn the_manifest_is_found_upwards_and_paths_stay_relative() {
    let (_tmp, dir) = copy_fixture("SP203-unresolved-reference");
    let r = stackpack(&dir.join("nodes"), &["lint"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("--> ../nodes/"),
        "paths relative to the current directory: {}",
        r.stderr
    );
    let top = stackpack(&dir, &["lint"]);
    assert_eq!(top.code, 1);
    assert!(top.stderr.contains("--> nodes/"), "{}", top.stderr);
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(tmp.path(), &["lint"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not inside a pack"), "{}", r.stderr);
}

#[test]
fn file_arguments_report_only_on_those_files() {
    let (_tmp, dir) = copy_fixture("SP203-unresolved-reference");
    let all = stackpack(&dir, &["lint", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&all.stdout).expect("json");
    let files: Vec<String> = v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["file"].as_str().map(str::to_string))
        .collect();
    let with = files.first().cloned().expect("a finding");
    let r = stackpack(&dir, &["lint", &with, "--format", "json"]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(v["diagnostics"]
        .as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(|d| d["file"] == with.as_str())));
    // Another file of the same pack without findings: clean, exit 0, says so.
    let r = stackpack(&dir, &["lint", "stackpack.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("ok: no findings in 1 file"), "{}", r.stderr);
    // Files are named from a subdirectory too (what pre-commit does from the repository root).
    let parent = dir.parent().expect("parent");
    let r = stackpack(parent, &["lint", &format!("pack/{with}")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn machine_formats_come_from_the_same_findings() {
    let dir = fixture("SP203-unresolved-reference");
    let json = stackpack(&dir, &["lint", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["schema_version"], 1);
    let all = v["diagnostics"].as_array().cloned().unwrap_or_default();
    let i = all.iter().position(|d| d["code"] == "SP203").expect("an SP203 finding");
    let d = &all[i];
    let (code, file, line) = (
        d["code"].as_str().unwrap_or(""),
        d["file"].as_str().unwrap_or(""),
        d["line"].as_u64().unwrap_or(0),
    );
    assert_eq!(d["name"], "unresolved-reference");

    let gh = stackpack(&dir, &["lint", "--format", "github"]);
    assert_eq!(gh.code, 1);
    assert_eq!(gh.stdout.lines().count(), all.len(), "one line per finding");
    let first = gh.stdout.lines().nth(i).unwrap_or("");
    assert!(
        first.starts_with(&format!("::error file={file},line={line},")),
        "{first}"
    );
    assert!(
        first.contains(&format!("title={code} unresolved-reference::")),
        "{first}"
    );

    let gl = stackpack(&dir, &["lint", "--format", "gitlab"]);
    let v: serde_json::Value = serde_json::from_str(&gl.stdout).expect("gitlab json");
    assert_eq!(v[i]["check_name"], code);
    assert_eq!(v[i]["location"]["path"], file);
    assert_eq!(v[i]["location"]["lines"]["begin"], line);
    assert_eq!(v[i]["severity"], "major");
    assert_eq!(v[i]["fingerprint"].as_str().map(str::len), Some(32));

    let ju = stackpack(&dir, &["lint", "--format", "junit"]);
    assert!(ju.stdout.starts_with("<?xml"), "{}", ju.stdout);
    assert!(
        ju.stdout.contains(&format!("<failure type=\"{code}\"")),
        "{}",
        ju.stdout
    );
    assert!(
        ju.stdout.contains("name=\"no findings\""),
        "clean files are passing cases"
    );

    let sarif = stackpack(&dir, &["lint", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("sarif");
    assert_eq!(v["runs"][0]["results"][i]["ruleId"], code);
}

#[test]
fn clean_runs_print_a_summary_unless_quiet() {
    let dir = root().join("stackpack");
    let r = stackpack(&dir, &["lint"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.starts_with("ok: no findings in "), "{}", r.stderr);
    let q = stackpack(&dir, &["lint", "-q"]);
    assert_eq!((q.code, q.stderr.as_str()), (0, ""));
    let v = stackpack(&dir, &["-v", "lint"]);
    assert!(
        v.stderr.contains("linting pack") && v.stderr.contains(" ms"),
        "{}",
        v.stderr
    );
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let dir = fixture("SP203-unresolved-reference");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stackpack"));
        c.current_dir(&dir)
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("run");
        String::from_utf8_lossy(&out.stderr).contains('\u{1b}')
    };
    assert!(!run(&["lint"], &[]), "not a terminal: no colour");
    assert!(run(&["lint", "--color", "always"], &[]));
    assert!(
        run(&["lint", "--color", "always"], &[("NO_COLOR", "1")]),
        "the flag wins"
    );
    assert!(run(&["lint"], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&["lint"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!run(&["lint", "--color", "never"], &[("CLICOLOR_FORCE", "1")]));
}

#[test]
fn rules_explains_one_rule() {
    let r = stackpack(root(), &["rules", "SP203"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with("SP203 unresolved-reference (error)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Example"), "{}", r.stdout);
    let by_name = stackpack(root(), &["rules", "unused-node"]);
    assert!(
        by_name.stdout.contains("# stackpack: allow SP901"),
        "{}",
        by_name.stdout
    );
    let bad = stackpack(root(), &["rules", "SP2O3"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("did you mean"), "{}", bad.stderr);
    let json = stackpack(root(), &["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["schema_version"], 1);
    assert!(v["rules"].as_array().is_some_and(|a| a.len() > 50));
}

#[test]
fn a_syntax_error_is_one_finding() {
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(&root().join("stackpack"), &tmp.path().join("stackpack"));
    copy_dir(&root().join("changelog"), &tmp.path().join("changelog"));
    let f = tmp.path().join("stackpack/nodes/component-types.yaml");
    let text = std::fs::read_to_string(&f).expect("read");
    // One tab where indentation belongs: the loader reads on as if it were spaces, so nothing
    // else follows from it.
    std::fs::write(&f, format!("{text}  - id: x\n\tname: y\n")).expect("write");
    let r = stackpack(&tmp.path().join("stackpack"), &["lint", "--format", "json"]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "SP002");
    // An unclosed flow sequence loses the file's nodes: every reference to them in other files
    // would fail too; those findings are counted in a note on the one syntax error.
    std::fs::write(&f, format!("{text}  - id: x\n    name: [unclosed\n")).expect("write");
    let r = stackpack(&tmp.path().join("stackpack"), &["lint", "--format", "json"]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "SP002");
    assert!(
        diags[0]["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("not shown until")),
        "{diags:#?}"
    );
}

#[test]
fn control_characters_in_values_and_file_names_are_escaped() {
    let (_tmp, dir) = copy_fixture("SP203-unresolved-reference");
    let nodes = dir.join("nodes");
    let evil = nodes.join("evil\u{1b}]0;pwned\u{7}.yaml");
    std::fs::write(
        &evil,
        "component-types:\n  - id: \"x\\e[2Jy\"\n    bogus: \"\\e[31mred\\nforged: line\"\n",
    )
    .expect("write");
    let r = stackpack(&dir, &["lint"]);
    assert!(
        !r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{7}'),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("evil\\e]0;pwned\\u{7}.yaml"), "{}", r.stderr);
}

#[test]
fn a_huge_line_with_many_duplicate_keys_gives_bounded_output_quickly() {
    let (_tmp, dir) = copy_fixture("SP203-unresolved-reference");
    // 1 000 duplicate keys on one 1 MB line: 1 000 findings, each on that line.
    let mut line = String::from("component-types: [{id: a");
    for _ in 0..1000 {
        line.push_str(", k: \"");
        line.push_str(&"x".repeat(1000));
        line.push('"');
    }
    line.push_str("}]\n");
    std::fs::write(dir.join("nodes/huge.yaml"), &line).expect("write");
    let started = std::time::Instant::now();
    let r = stackpack(&dir, &["lint"]);
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
    assert_ne!(r.code, 101, "{}", r.stderr);
    assert!(
        r.stderr.len() < 200_000,
        "human output is bounded: {} bytes",
        r.stderr.len()
    );
    assert!(
        r.stderr.contains("more SP011 findings in nodes/huge.yaml not shown"),
        "{}",
        &r.stderr[..r.stderr.len().min(3000)]
    );
}

fn piped(args: &[&str], dir: &Path) -> i32 {
    // The reader closes the pipe at once, like `| true` / `| head -0`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out.status.code().unwrap_or(-1)
}

#[test]
fn closed_pipes_end_quietly_with_the_usual_exit_code() {
    for _ in 0..5 {
        assert_eq!(piped(&["rules", "--markdown"], root()), 0);
        assert_eq!(piped(&["rules", "--format", "json"], root()), 0);
        assert_eq!(piped(&["completions", "bash"], root()), 0);
        assert_eq!(piped(&["lint", "--format", "sarif"], &root().join("stackpack")), 0);
        assert_eq!(
            piped(&["lint", "--format", "json"], &fixture("SP203-unresolved-reference")),
            1
        );
    }
}

#[test]
fn watch_lints_again_after_a_change() {
    let (_tmp, dir) = copy_fixture("SP901-unused-node");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .current_dir(&dir)
        .args(["lint", "--watch"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |needle: &str| -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    };
    let first = wait_for("watching for changes");
    // Fix the finding: the unused mapping function goes away.
    let f = dir.join("nodes/pack.yaml");
    let text = std::fs::read_to_string(&f).expect("read");
    let cut = text.find("component-mapping-functions:").unwrap_or(text.len());
    std::fs::write(&f, &text[..cut]).expect("write");
    let _ = std::fs::remove_file(dir.join("scripts/mapping.groovy"));
    let changed = wait_for("changed: linting again");
    let second = wait_for("ok: no findings in");
    let _ = child.kill();
    let _ = child.wait();
    assert!(first, "first run and the watch message");
    assert!(changed && second, "a second report after the change");
}

/// `release` killed right after writing its journal (`STACKPACK_FAULT_AT=2`, docs/changelog.md).
fn interrupted_release(pack: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .current_dir(pack)
        .args(["release", "--date", "2026-01-02"])
        .env("NO_COLOR", "1")
        .env("STACKPACK_FAULT_AT", "2")
        .output()
        .expect("run release");
    assert!(!out.status.success(), "the release was killed");
    assert!(pack.join(".stackpack-journal.json").is_file(), "a journal is left");
}

#[test]
fn lint_reports_the_journal_of_an_interrupted_release() {
    for format in ["v1", "v2"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = stackpack(tmp.path(), &["new", "p", "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let pack = tmp.path().join("p");
        interrupted_release(&pack);
        let r = stackpack(&pack, &["lint"]);
        assert_eq!(r.code, 0, "{format}: a warning: {}", r.stderr);
        if format == "v1" {
            insta::assert_snapshot!("sp612_interrupted_release", r.stderr);
        }
        assert!(
            r.stderr.contains(
                "warning[SP612]: an interrupted `release` or `changelog add` (release 0.1.0) left its journal"
            ) && r.stderr.contains(" --> .stackpack-journal.json")
                && r.stderr.contains("run `stackpack release --dry-run` to complete it"),
            "{format}: {}",
            r.stderr
        );
        assert_eq!(stackpack(&pack, &["lint", "--deny", "warnings"]).code, 1, "{format}");
        // Machine output carries it too (one model for every format).
        let r = stackpack(&pack, &["lint", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
        assert_eq!(json["diagnostics"][0]["code"], "SP612", "{format}: {}", r.stdout);
        assert_eq!(json["diagnostics"][0]["file"], ".stackpack-journal.json", "{format}");
        // The command the note names completes it; then lint says nothing about it.
        let r = stackpack(&pack, &["release", "--dry-run"]);
        assert!(
            r.stderr.contains("completed the interrupted release 0.1.0"),
            "{format}: {}",
            r.stderr
        );
        assert!(!pack.join(".stackpack-journal.json").exists());
        let r = stackpack(&pack, &["lint"]);
        assert!(!r.stderr.contains("SP612"), "{format}: {}", r.stderr);
        // Staged files without a journal: named too.
        std::fs::write(pack.join(".stackpack-staged-1-x"), "x").expect("write");
        let r = stackpack(&pack, &["lint"]);
        assert!(
            r.stderr
                .contains("warning[SP612]: 1 staged file (`.stackpack-staged-*`) of an interrupted"),
            "{format}: {}",
            r.stderr
        );
    }
}
