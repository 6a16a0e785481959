//! CLI consistency (issue 13.6/13.7): no `-V` on subcommands, `build --deny warnings`, JSON with
//! the archive path, `--out FILE.sts`, `inspect` of a non-archive, `diff X X`, one JSON contract
//! with `schema_version`, completions and man pages, and the docs' complete example lint-clean.

mod helpers;

use helpers::{copy_dir, root, stackpack};
use std::path::Path;

#[test]
fn version_is_a_top_level_flag_only() {
    let r = stackpack(root(), &["-V"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("stackpack "), "{}", r.stdout);
    for sub in ["lint", "build", "new", "fmt"] {
        let r = stackpack(root(), &[sub, "-V"]);
        assert_eq!(r.code, 2, "{sub} -V is not a flag: {}", r.stdout);
        assert!(!r.stdout.contains(&format!("stackpack-{sub}")), "{}", r.stdout);
    }
}

#[test]
fn build_denies_warnings_and_reports_the_archive_in_json() {
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("pack");
    copy_dir(&root().join("tests/fixtures/lint/SP901-unused-node"), &pack);
    let r = stackpack(&pack, &["build", "--out", "dist", "--deny", "warnings"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--deny warnings"), "{}", r.stderr);
    assert!(!pack.join("dist").exists() || std::fs::read_dir(pack.join("dist")).map(|d| d.count()).unwrap_or(0) == 0);
    let r = stackpack(&pack, &["build", "--out", "dist", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["schema_version"], 1);
    let archive = v["archive"].as_str().expect("archive path");
    assert!(pack.join(archive).is_file(), "{archive}");
    assert_eq!(v["summary"]["warnings"], 1);
}

#[test]
fn out_naming_a_sts_file_writes_that_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(
        tmp.path(),
        &[
            "build",
            root().join("stackpack").to_str().unwrap_or(""),
            "--out",
            "my.sts",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(tmp.path().join("my.sts").is_file(), "a file, not a directory");
    let r = stackpack(tmp.path(), &["inspect", "my.sts", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["name"], "stackstate-agent-v2");
    assert_eq!(v["schema_version"], 1);
    assert!(
        v.get("displayName").is_none() && v["display_name"].is_string(),
        "snake_case keys"
    );
    // An existing file given as the output directory is an error, not an overwrite.
    std::fs::write(tmp.path().join("plain"), "x").expect("write");
    let r = stackpack(
        tmp.path(),
        &[
            "build",
            root().join("stackpack").to_str().unwrap_or(""),
            "--out",
            "plain",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn inspect_of_something_else_than_an_archive_exits_2() {
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(tmp.path(), &["inspect", "."]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("neither a `.sts` archive nor a classic pack"),
        "{}",
        r.stderr
    );
    let r = stackpack(root(), &["inspect", "stackpack"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("stackpack build"), "{}", r.stderr);
    let r = stackpack(root(), &["inspect", "README.md"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a `.sts` archive"), "{}", r.stderr);
}

#[test]
fn diff_of_identical_inputs_exits_0() {
    let r = stackpack(root(), &["diff", "stackpack", "stackpack"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("verdict: ok"), "{}", r.stdout);
    let r = stackpack(root(), &["diff", "stackpack", "stackpack", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["ok"], true);
}

#[test]
fn release_notes_json_has_the_schema_version() {
    let r = stackpack(root(), &["release-notes", "stackpack", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["schema_version"], 1);
    assert!(v["releases"].is_array());
}

#[test]
fn completions_and_man_pages_come_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = stackpack(root(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}");
        assert!(r.stdout.contains("lint") && r.stdout.contains("--format"), "{shell}");
    }
    let man = stackpack(root(), &["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.contains(".TH stackpack 1"),
        "{}",
        &man.stdout[..man.stdout.len().min(300)]
    );
    let lint = stackpack(root(), &["man", "lint"]);
    assert!(
        lint.stdout.contains("stackpack\\-lint") && lint.stdout.contains("\\-\\-watch"),
        "{}",
        lint.stdout
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(tmp.path(), &["man", "--out", "man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(tmp.path().join("man/stackpack.1").is_file() && tmp.path().join("man/stackpack-build.1").is_file());
    assert_eq!(stackpack(root(), &["man", "nosuch"]).code, 2);
}

/// Extract §10 of docs/format.md ("A complete small example") into a pack: every
/// `` `path`: `` line followed by a fenced block is a file.
fn docs_example(dir: &Path) -> usize {
    let text = std::fs::read_to_string(root().join("docs/format.md")).expect("docs/format.md");
    let start = text.find("## 10. A complete small example").expect("section 10");
    let section = &text[start..];
    let lines: Vec<&str> = section.lines().collect();
    let mut n = 0;
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.starts_with('`')
            && l.contains("`")
            && l.trim_end().ends_with(':')
            && lines.get(i + 2).is_some_and(|f| f.starts_with("```"))
        {
            let path = l[1..].split('`').next().unwrap_or("");
            let mut body = String::new();
            let mut j = i + 3;
            while j < lines.len() && !lines[j].starts_with("```") {
                body.push_str(lines[j]);
                body.push('\n');
                j += 1;
            }
            let target = dir.join(path);
            std::fs::create_dir_all(target.parent().unwrap_or(dir)).expect("mkdir");
            std::fs::write(&target, body).expect("write");
            n += 1;
            i = j;
        }
        i += 1;
    }
    n
}

#[test]
fn the_docs_complete_example_lints_clean_and_builds() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("acme");
    let files = docs_example(&dir);
    assert!(files >= 8, "extracted {files} files");
    // The images and pages the text says are "plus": any PNG and Markdown will do.
    let png = std::fs::read(root().join("templates/new/common/resources/logo.png")).expect("png");
    std::fs::create_dir_all(dir.join("icons")).expect("mkdir");
    std::fs::create_dir_all(dir.join("resources")).expect("mkdir");
    std::fs::write(dir.join("icons/server.png"), &png).expect("icon");
    std::fs::write(dir.join("resources/logo.png"), &png).expect("logo");
    let manifest = std::fs::read_to_string(dir.join("stackpack.toml")).expect("manifest");
    for line in manifest.lines() {
        if let Some((_, v)) = line.split_once("= \"resources/") {
            let page = v.trim_end_matches('"');
            if page.ends_with(".md") && !dir.join("resources").join(page).exists() {
                std::fs::write(dir.join("resources").join(page), "# page\n").expect("page");
            }
        }
    }
    let r = stackpack(&dir, &["lint", "--deny", "warnings"]);
    assert_eq!(r.code, 0, "the docs' example lints clean: {}", r.stderr);
    let r = stackpack(&dir, &["build", "--out", "dist"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("dist/acme-1.0.0.sts").is_file());
}

#[test]
fn baseline_compares_against_the_version_the_pending_fragments_imply() {
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(&root().join("stackpack"), &tmp.path().join("stackpack"));
    copy_dir(&root().join("changelog"), &tmp.path().join("changelog"));
    let r = stackpack(tmp.path(), &["build", "stackpack", "--out", "base"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let nodes = tmp.path().join("stackpack/nodes/domains-environments.yaml");
    let mut text = std::fs::read_to_string(&nodes).expect("read");
    text.push_str("\nlayers:\n  - id: extra\n    name: Extra\n");
    std::fs::write(&nodes, text).expect("write");
    let base = "base/stackstate-agent-v2-4.3.1.sts";
    // Between releases, without a fragment for the change: the version has to go up.
    let r = stackpack(tmp.path(), &["lint", "stackpack", "--baseline", base]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("SP523"), "{}", r.stderr);
    // The change recorded as a feature: the next release is 4.4.0, a big enough bump.
    let r = stackpack(
        tmp.path(),
        &["changelog", "add", "stackpack", "--kind", "feature", "An extra layer."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = stackpack(tmp.path(), &["lint", "stackpack", "--baseline", base]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("info[SP521]")
            && r.stderr
                .contains("4.4.0 is the version the unreleased changelog fragments imply"),
        "{}",
        r.stderr
    );
    // A fragment too small for the change (a bug fix for an added node) is still refused.
    let unreleased = tmp.path().join("changelog/unreleased");
    for e in std::fs::read_dir(&unreleased).expect("fragments").flatten() {
        let _ = std::fs::remove_file(e.path());
    }
    let r = stackpack(
        tmp.path(),
        &["changelog", "add", "stackpack", "--kind", "bugfix", "Fixed something."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = stackpack(tmp.path(), &["lint", "stackpack", "--baseline", base]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("SP520") && r.stderr.contains("4.3.2"), "{}", r.stderr);
}
