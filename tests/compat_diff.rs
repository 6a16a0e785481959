//! `stackpack diff` and `lint --baseline` on two builds of the example pack: the second has the
//! `disk-space` check function removed (and its use in the disk template), which is breaking.

mod helpers;

use helpers::copy_dir;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    helpers::root()
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let r = helpers::stackpack(dir, args);
    (r.code, r.stdout, r.stderr)
}

/// `<tmp>/old/stackpack` (the example) and `<tmp>/new/stackpack` (version `new_version`, without
/// the disk-space check function), each with the changelog beside it when there is one.
fn two_builds(new_version: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    for side in ["old", "new"] {
        copy_dir(&root().join("stackpack"), &tmp.path().join(side).join("stackpack"));
        if root().join("changelog").is_dir() {
            copy_dir(&root().join("changelog"), &tmp.path().join(side).join("changelog"));
        }
    }
    let new = tmp.path().join("new/stackpack");
    // Remove the node.
    let checks = new.join("nodes/check-functions.yaml");
    let text = std::fs::read_to_string(&checks).expect("read");
    let start = text.find("  - id: disk-space\n").expect("disk-space is declared");
    let end = text[start + 1..]
        .find("  - id: ")
        .map(|i| start + 1 + i)
        .expect("a node follows");
    std::fs::write(&checks, format!("{}{}", &text[..start], &text[end..])).expect("write");
    std::fs::remove_file(new.join("scripts/checks/disk-space.groovy")).expect("the script exists");
    // And its use: the disk template's checks become empty.
    let tpl = new.join("templates/components/agent-disk.json.handlebars");
    let text = std::fs::read_to_string(&tpl).expect("read");
    let at = text.find("\"checks\": [").expect("the disk template has checks");
    std::fs::write(&tpl, format!("{}\"checks\": []\n}}\n", &text[..at])).expect("write");
    // And bump the version.
    let manifest = new.join("stackpack.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    let edited = text.replacen("version = \"4.3.1\"", &format!("version = \"{new_version}\""), 1);
    assert_ne!(edited, text, "the example is 4.3.1");
    std::fs::write(&manifest, edited).expect("write");
    let dir = tmp.path().to_path_buf();
    (tmp, dir)
}

const REMOVED: &str = "urn:stackpack:stackstate-agent-v2:shared:check-function:disk-space";

#[test]
fn diff_of_pack_directories_demands_a_major_bump() {
    let (_tmp, dir) = two_builds("4.3.2");
    let (code, out, err) = run(&dir, &["diff", "old/stackpack", "new/stackpack"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("- {REMOVED} CheckFunction shared  → major")),
        "{out}"
    );
    assert!(out.contains("required bump: major"), "{out}");
    assert!(out.contains("actual bump:   patch (4.3.1 → 4.3.2)"), "{out}");
    assert!(out.contains("release 5.0.0 or later"), "{out}");
    // The disk template changed (its checks), nothing else did.
    assert!(out.contains("changed (1):"), "{out}");
    assert!(out.contains("component-template-function:"), "{out}");
    insta::assert_snapshot!("example_diff_removed_check_function", out);
}

#[test]
fn diff_json_and_a_big_enough_bump() {
    let (_tmp, dir) = two_builds("5.0.0");
    let (code, out, err) = run(&dir, &["diff", "old/stackpack", "new/stackpack", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["required"], "major");
    assert_eq!(v["actual"], "major");
    assert_eq!(v["ok"], true);
    let removed: Vec<&serde_json::Value> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["change"] == "removed")
        .collect();
    assert_eq!(removed.len(), 1, "{out}");
    assert_eq!(removed[0]["identifier"], REMOVED);
    assert_eq!(removed[0]["type"], "CheckFunction");
}

#[test]
fn identical_builds_have_no_changes() {
    let (_tmp, dir) = two_builds("4.3.2");
    let (code, out, err) = run(&dir, &["diff", "old/stackpack", "old/stackpack"]);
    // Nothing changed and the version stayed: nothing to release, exit 0 (issue 13).
    assert_eq!(code, 0, "same version: {out}{err}");
    assert!(out.contains("no node changed"), "{out}");
    assert!(out.contains("verdict: ok"), "{out}");
    assert!(out.contains("nothing changed: no version bump is needed"), "{out}");
    assert!(!out.contains("did not go up"), "{out}");
}

#[test]
fn lint_and_archives_with_baseline() {
    let (_tmp, dir) = two_builds("4.3.2");
    // Build the old release as an archive.
    let (code, out, err) = run(&dir, &["build", "old/stackpack", "--out", "dist"]);
    assert_eq!(code, 0, "{out}{err}");
    let sts = dir.join("dist/stackstate-agent-v2-4.3.1.sts");
    assert!(sts.is_file(), "{out}");
    // lint --baseline fails on the too-small bump and names the removed node.
    let (code, _, err) = run(
        &dir,
        &[
            "lint",
            "new/stackpack",
            "--baseline",
            "dist/stackstate-agent-v2-4.3.1.sts",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[SP520]"), "{err}");
    assert!(err.contains(REMOVED), "{err}");
    // diff between the archive and a directory.
    let (code, out, _) = run(&dir, &["diff", "dist/stackstate-agent-v2-4.3.1.sts", "new/stackpack"]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("- {REMOVED}")), "{out}");
    // Two archives: the new build too. Its changelog calls the change a bugfix (a patch), which
    // is what `diff` exists to catch.
    let (code, out, err) = run(
        &dir,
        &[
            "changelog",
            "add",
            "new/stackpack",
            "--kind",
            "bugfix",
            "Drop the disk space check",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    // build --baseline refuses the too-small bump and writes nothing.
    let (code, out, err) = run(
        &dir,
        &[
            "build",
            "new/stackpack",
            "--out",
            "refused",
            "--baseline",
            "dist/stackstate-agent-v2-4.3.1.sts",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("error[SP520]") && err.contains(REMOVED), "{err}");
    assert!(!dir.join("refused/stackstate-agent-v2-4.3.2.sts").exists());
    let (code, out, err) = run(&dir, &["build", "new/stackpack", "--out", "dist"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = run(
        &dir,
        &[
            "diff",
            "dist/stackstate-agent-v2-4.3.1.sts",
            "dist/stackstate-agent-v2-4.3.2.sts",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("- {REMOVED} CheckFunction shared  → major")),
        "{out}"
    );
    assert!(out.contains("release 5.0.0 or later"), "{out}");
    // The archive and its own sources are the same build.
    let (_, out, _) = run(&dir, &["diff", "dist/stackstate-agent-v2-4.3.1.sts", "old/stackpack"]);
    assert!(out.contains("no node changed"), "{out}");
}

#[test]
fn lint_and_build_baseline_report_changes_when_the_bump_is_enough() {
    let (_tmp, dir) = two_builds("5.0.0");
    // The new release records its change (lint checks the changelog too).
    let (code, out, err) = run(
        &dir,
        &[
            "changelog",
            "add",
            "new/stackpack",
            "--kind",
            "breaking",
            "Removed the disk space check",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&dir, &["lint", "new/stackpack", "--baseline", "old/stackpack"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("info[SP521]"), "{err}");
    assert!(
        err.contains(&format!("removed shared CheckFunction {REMOVED}")),
        "{err}"
    );
    // build --baseline reports the same and writes the archive.
    let (code, out, err) = run(
        &dir,
        &["build", "new/stackpack", "--out", "dist", "--baseline", "old/stackpack"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("info[SP521]"), "{err}");
    assert!(dir.join("dist/stackstate-agent-v2-5.0.0.sts").is_file(), "{out}");
}

#[test]
fn unreadable_sides_exit_2() {
    let (code, _, err) = run(root(), &["diff", "no/such/dir.sts", "stackpack"]);
    assert_eq!(code, 2, "{err}");
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("bogus.sts"), "not a zip").expect("write");
    let (code, _, err) = run(tmp.path(), &["diff", "bogus.sts", "bogus.sts"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: bogus.sts"), "{err}");
}

#[test]
fn build_baseline_refuses_a_too_small_bump_and_writes_nothing() {
    let (_tmp, dir) = two_builds("4.3.2");
    let (code, out, err) = run(&dir, &["build", "old/stackpack", "--out", "dist"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &dir,
        &[
            "build",
            "new/stackpack",
            "--baseline",
            "dist/stackstate-agent-v2-4.3.1.sts",
            "--out",
            "next",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("error[SP520]"), "{err}");
    assert!(
        !dir.join("next").join("stackstate-agent-v2-4.3.2.sts").exists(),
        "a refused build wrote an archive"
    );
}

/// Issue 10.8: `diff` renders both sides with sample import arguments, so a script whose
/// `{{instanceName}}` one side substitutes and the other copies literally is a change (it used
/// to render `{{instanceName}}` as itself on both sides: "no node changed").
#[test]
fn substituted_and_literal_import_variable_differ() {
    let tmp = tempfile::tempdir().expect("tmp");
    let classic = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classic/splunk-like");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackpack"))
            .args(args)
            .current_dir(tmp.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(run(&["import", &classic.to_string_lossy(), "--out", "a"]).0, 0);
    assert_eq!(run(&["import", &classic.to_string_lossy(), "--out", "b"]).0, 0);
    let nodes = tmp.path().join("b/nodes/acme-instance.yaml");
    let text = std::fs::read_to_string(&nodes).expect("nodes");
    let declared = "    import-variables:\n      - instanceName\n";
    assert!(text.contains(declared), "{text}");
    std::fs::write(&nodes, text.replace(declared, "")).expect("write");
    assert_eq!(run(&["build", "a", "--out", "oa"]).0, 0);
    assert_eq!(run(&["build", "b", "--out", "ob"]).0, 0);
    let (code, out) = run(&["diff", "oa/acme-1.0.0.sts", "ob/acme-1.0.0.sts"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("component-mapping-function:label") && out.contains("[script]"),
        "{out}"
    );
    // Identical archives still show no change.
    let (code, out) = run(&["diff", "oa/acme-1.0.0.sts", "oa/acme-1.0.0.sts"]);
    assert!(!out.contains("changed ("), "{code}: {out}");
}
