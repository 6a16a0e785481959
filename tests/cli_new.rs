//! `stackpack new`: offline, a pack that lints clean, builds and is fmt-clean, for both
//! layouts; refuses bad names and non-empty directories; every text file says what to edit.

mod helpers;

use helpers::stackpack;

fn new_lint_build(extra: &[&str]) {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut args = vec!["new", "my-pack"];
    args.extend_from_slice(extra);
    let r = stackpack(tmp.path(), &args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("created"), "{}", r.stdout);
    let pack = tmp.path().join("my-pack");
    // Lint from inside a subdirectory: the manifest is found upwards.
    let r = stackpack(&pack.join("nodes"), &["lint", "--deny", "warnings"]);
    assert_eq!(r.code, 0, "new pack lints clean: {}", r.stderr);
    assert!(r.stderr.contains("ok: no findings in"), "{}", r.stderr);
    let r = stackpack(&pack, &["build", "--out", "dist", "--deny", "warnings"]);
    assert_eq!(r.code, 0, "new pack builds: {}", r.stderr);
    assert!(pack.join("dist/my-pack-0.1.0.sts").is_file());
    let r = stackpack(&pack, &["inspect", "dist/my-pack-0.1.0.sts", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("inspect json");
    assert_eq!(v["display_name"], "My Pack");
    let r = stackpack(&pack, &["fmt", "--check"]);
    assert_eq!(r.code, 0, "new pack is fmt-clean: {}{}", r.stdout, r.stderr);
    // Its component template makes a valid component for a plain element (it was missing the
    // `domain` and `environments` every StackState component needs: SP335 from `render`).
    let element = tmp.path().join("element.json");
    std::fs::write(
        &element,
        r#"{"externalId": "h1", "type": {"name": "my-pack-server"}, "data": {"name": "h1"}}"#,
    )
    .expect("element");
    let r = stackpack(
        &pack,
        &["render", ".", "server", "--element", &element.to_string_lossy()],
    );
    assert_eq!(
        r.code, 0,
        "the scaffold's template renders clean: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("\"environments\""), "{}", r.stdout);
    // A changelog is included and renders.
    let r = stackpack(&pack, &["release-notes", "--unreleased", "--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("First release of the My Pack StackPack"),
        "{}",
        r.stdout
    );
    // Every text file starts with a comment saying what to edit.
    for e in walk(&pack) {
        let rel = e.strip_prefix(&pack).unwrap_or(&e).to_string_lossy().to_string();
        if rel.starts_with("dist") || rel.ends_with(".png") || rel == "README.md" {
            continue;
        }
        let text = std::fs::read_to_string(&e).unwrap_or_default();
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with('#')
                || first.starts_with("//")
                || first.starts_with("{{!--")
                || first.starts_with("[comment]: #"),
            "{rel} starts with a comment: {first}"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn single_instance_pack_lints_clean_and_builds() {
    new_lint_build(&[]);
}

#[test]
fn multi_instance_pack_lints_clean_and_builds() {
    new_lint_build(&["--multi-instance"]);
    let tmp = tempfile::tempdir().expect("tmp");
    stackpack(tmp.path(), &["new", "m", "--multi-instance"]);
    let toml = std::fs::read_to_string(tmp.path().join("m/stackpack.toml")).unwrap_or_default();
    assert!(
        toml.contains("multi-instance = true") && toml.contains("[[steps]]"),
        "{toml}"
    );
}

#[test]
fn bad_names_and_existing_directories_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(tmp.path(), &["new", "My Pack"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`my-pack`"), "suggests a valid name: {}", r.stderr);
    assert!(!tmp.path().join("My Pack").exists(), "nothing created");
    std::fs::create_dir_all(tmp.path().join("taken")).expect("mkdir");
    std::fs::write(tmp.path().join("taken/file"), "x").expect("write");
    let r = stackpack(tmp.path(), &["new", "taken"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_dir(tmp.path().join("taken"))
            .map(|d| d.count())
            .unwrap_or(0),
        1
    );
    // --name and --display-name.
    let r = stackpack(
        tmp.path(),
        &["new", "dir", "--name", "acme-db", "--display-name", "ACME Database"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let toml = std::fs::read_to_string(tmp.path().join("dir/stackpack.toml")).unwrap_or_default();
    assert!(toml.contains("name = \"acme-db\"") && toml.contains("display-name = \"ACME Database\""));
    // Nothing but the pack: no temporary directory left beside it.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty());
}

#[test]
fn a_pack_inside_a_pack_is_refused() {
    // `stackpack new` run from inside an existing pack would make the new pack's files part of
    // it (its lint then fails with "node files outside nodes/").
    let tmp = tempfile::tempdir().expect("tmp");
    for format in ["v1", "v2"] {
        let outer = format!("outer-{format}");
        let r = stackpack(tmp.path(), &["new", &outer, "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let inside = tmp.path().join(&outer).join("resources");
        let r = stackpack(&inside, &["new", "inner"]);
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("would be inside the pack in"), "{}", r.stderr);
        assert!(!inside.join("inner").exists());
        // `..` out of it is fine.
        let r = stackpack(&inside, &["new", &format!("../../sibling-{format}")]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = stackpack(&tmp.path().join(&outer), &["lint"]);
        assert_eq!(r.code, 0, "the outer pack is untouched: {}", r.stderr);
    }
}

#[test]
fn the_no_manifest_message_names_a_command_that_exists() {
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(tmp.path(), &["lint"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("stackpack new"), "{}", r.stderr);
    let help = stackpack(tmp.path(), &["new", "--help"]);
    assert_eq!(help.code, 0, "`stackpack new` exists");
    let r = stackpack(tmp.path(), &["build", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("stackpack new"), "{}", r.stderr);
}

#[test]
fn v2_pack_lints_clean_builds_inspects_tests_and_is_fmt_clean() {
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(tmp.path(), &["new", "my-otel", "--format", "v2"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("created StackPack 2.0 pack `my-otel`"),
        "{}",
        r.stdout
    );
    let pack = tmp.path().join("my-otel");
    assert!(pack.join("stackpack.yaml").is_file() && !pack.join("stackpack.toml").exists());
    // Lint from a subdirectory: the pack is found upwards; no finding at all.
    let r = stackpack(&pack.join("settings"), &["lint", "--deny", "warnings"]);
    assert_eq!(r.code, 0, "new 2.0 pack lints clean: {}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("ok: no findings in"), "{}", r.stderr);
    let r = stackpack(&pack, &["lint", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("lint json");
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(0), "{v}");
    let r = stackpack(&pack, &["build", "--out", "../dist", "--deny", "warnings"]);
    assert_eq!(r.code, 0, "new 2.0 pack builds: {}", r.stderr);
    let archive = tmp.path().join("dist/my-otel-0.1.0.sts");
    assert!(archive.is_file(), "{}", r.stdout);
    let r = stackpack(&pack, &["inspect", &archive.to_string_lossy(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("urn:stackpack:my-otel:otel-component-mapping:service"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("My Otel"), "{}", r.stdout);
    // The shipped test cases pass (OTel telemetry through the mapping).
    let r = stackpack(&pack, &["test"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("test result: ok. 2 passed, 0 failed"), "{}", r.stdout);
    let r = stackpack(&pack, &["fmt", "--check"]);
    assert_eq!(r.code, 0, "new 2.0 pack is fmt-clean: {}{}", r.stdout, r.stderr);
    // The changelog renders.
    let r = stackpack(&pack, &["release-notes", "--unreleased", "--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("First release of the My Otel StackPack"),
        "{}",
        r.stdout
    );
    // Every text file starts with a comment saying what to edit.
    for e in walk(&pack) {
        let rel = e.strip_prefix(&pack).unwrap_or(&e).to_string_lossy().to_string();
        if rel.ends_with(".png") || rel == "README.md" {
            continue;
        }
        let text = std::fs::read_to_string(&e).unwrap_or_default();
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with('#') || first.starts_with("[comment]: #"),
            "{rel} starts with a comment: {first}"
        );
    }
    // --multi-instance is a 1.0 notion.
    let r = stackpack(tmp.path(), &["new", "other", "--format", "v2", "--multi-instance"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!tmp.path().join("other").exists());
    let help = stackpack(tmp.path(), &["new", "--help"]);
    assert!(
        help.stdout.contains("v2") && help.stdout.contains("StackPack 2.0"),
        "{}",
        help.stdout
    );
}
