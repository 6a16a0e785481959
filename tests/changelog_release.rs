//! `stackpack changelog add` + `stackpack release` on a copy of the example changelog.

mod changelog_common;
use changelog_common::*;

fn manifest(tmp: &tempfile::TempDir) -> String {
    std::fs::read_to_string(tmp.path().join("pack/stackpack.toml")).expect("read manifest")
}

#[test]
fn feature_fragment_releases_4_4_0() {
    let tmp = temp_example();
    let (code, out, err) = run(
        tmp.path(),
        &[
            "changelog",
            "add",
            "pack",
            "--kind",
            "feature",
            "Add runs relation container -> process",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("created changelog/unreleased/"), "{out}");
    assert_eq!(yaml_files(&tmp.path().join("changelog/unreleased")).len(), 1);

    let (code, out, err) = run(tmp.path(), &["release", "pack", "--date", "2021-04-23"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("released 4.4.0 (2021-04-23)"), "{out}");
    // The manifest's version changed and nothing else (comments and layout kept).
    assert_eq!(manifest(&tmp), MANIFEST.replace("\"4.3.1\"", "\"4.4.0\""));
    assert!(yaml_files(&tmp.path().join("changelog/unreleased")).is_empty());
    let release = std::fs::read_to_string(tmp.path().join("changelog/releases/4.4.0.yaml")).expect("release");
    insta::assert_snapshot!("release_4_4_0", release);

    // The result is consistent and renders first.
    let (code, _, err) = run(tmp.path(), &["changelog", "check", "pack"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(tmp.path(), &["release-notes", "pack", "--version", "4.4.0"]);
    assert_eq!(
        normalized(&out),
        [
            "**Agent V2 StackPack v4.4.0 \\(2021-04-23\\)**",
            "",
            "* Feature: Add runs relation container -> process"
        ]
    );
}

#[test]
fn breaking_fragment_releases_5_0_0() {
    let tmp = temp_example();
    for (kind, text) in [
        ("bugfix", "Fix escaping bugs in templates"),
        ("breaking", "Removal of deprecated layers"),
    ] {
        let (code, _, err) = run(tmp.path(), &["changelog", "add", "pack", "--kind", kind, text]);
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, err) = run(tmp.path(), &["release", "pack", "--date", "2021-04-23"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("released 5.0.0"), "{out}");
    assert!(manifest(&tmp).contains("version = \"5.0.0\"  # set by `stackpack release`"));
    assert!(tmp.path().join("changelog/releases/5.0.0.yaml").is_file());
    assert!(yaml_files(&tmp.path().join("changelog/unreleased")).is_empty());
    // Folded in kind order: the breaking change first.
    let (_, out, _) = run(tmp.path(), &["release-notes", "pack", "--version", "5.0.0"]);
    let lines = normalized(&out);
    assert_eq!(lines[2], "* Breaking: Removal of deprecated layers");
    assert_eq!(lines[3], "* Bugfix: Fix escaping bugs in templates");
}

#[test]
fn explicit_bump_and_refusals() {
    let tmp = temp_example();
    // Nothing to release: refused, nothing written.
    let (code, _, err) = run(tmp.path(), &["release", "pack"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to release"), "{err}");
    assert_eq!(manifest(&tmp), MANIFEST);

    let (code, _, _) = run(
        tmp.path(),
        &["changelog", "add", "pack", "--kind", "feature", "Static health"],
    );
    assert_eq!(code, 0);
    // A bump smaller than the changes need is refused.
    let (code, _, err) = run(tmp.path(), &["release", "pack", "--bump", "patch"]);
    assert_eq!(code, 1);
    assert!(err.contains("too small"), "{err}");
    // A date before the newest release is refused.
    let (code, _, err) = run(tmp.path(), &["release", "pack", "--date", "2021-01-01"]);
    assert_eq!(code, 1);
    assert!(err.contains("before the date of the newest release"), "{err}");
    // An invalid date is a usage error.
    let (code, _, _) = run(tmp.path(), &["release", "pack", "--date", "2021-02-30"]);
    assert_eq!(code, 2);
    assert_eq!(manifest(&tmp), MANIFEST);
    assert_eq!(yaml_files(&tmp.path().join("changelog/unreleased")).len(), 1);
    // An explicit larger bump is honoured.
    let (code, out, err) = run(
        tmp.path(),
        &["release", "pack", "--bump", "major", "--date", "2021-05-01"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("released 5.0.0"), "{out}");
}

#[test]
fn unknown_kind_is_refused_with_a_suggestion() {
    let tmp = temp_example();
    let (code, _, err) = run(tmp.path(), &["changelog", "add", "pack", "--kind", "feture", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `feature`?"), "{err}");
    assert!(yaml_files(&tmp.path().join("changelog/unreleased")).is_empty());
}

#[test]
fn dependency_change_needs_an_entry_and_sync_writes_it() {
    let tmp = temp_example();
    let m = tmp.path().join("pack/stackpack.toml");
    std::fs::write(&m, MANIFEST.replace("common = \"2.5.0\"", "common = \"2.5.1\"")).expect("write");
    let (code, _, err) = run(tmp.path(), &["changelog", "check", "pack"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[SP607]") && err.contains("--bump common=2.5.1"),
        "{err}"
    );
    // Release refuses while the change is unannounced.
    let (code, _, _) = run(tmp.path(), &["release", "pack"]);
    assert_eq!(code, 1);

    let (code, out, err) = run(tmp.path(), &["changelog", "add", "pack", "--sync"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let (code, _, err) = run(tmp.path(), &["changelog", "check", "pack"]);
    assert_eq!(code, 0, "{err}");
    // Nothing left to sync.
    let (code, out, _) = run(tmp.path(), &["changelog", "add", "pack", "--sync"]);
    assert_eq!(code, 0);
    assert!(out.is_empty());

    // The real history: 4.3.1 (2021-04-12) "Common bumped from 2.5.0 to 2.5.1" is a patch.
    let (code, out, err) = run(tmp.path(), &["release", "pack", "--date", "2021-04-12"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("released 4.3.2"), "{out}");
    let (_, out, _) = run(
        tmp.path(),
        &["release-notes", "pack", "--version", "4.3.2", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v["releases"][0]["entries"][0]["text"],
        "Common bumped from 2.5.0 to 2.5.1"
    );
    assert_eq!(v["releases"][0]["dependencies"]["common"], "2.5.1");
}

#[test]
fn bump_flag_takes_the_previous_version_from_the_changelog() {
    let tmp = temp_example();
    let m = tmp.path().join("pack/stackpack.toml");
    std::fs::write(&m, MANIFEST.replace("\"4.3.0\"", "\"4.4.0\"")).expect("write");
    let (code, out, err) = run(
        tmp.path(),
        &["changelog", "add", "pack", "--bump", "stackstate-min=4.4.0"],
    );
    assert_eq!(code, 0, "{err}");
    let path = out.trim().strip_prefix("created ").expect("created").to_string();
    let text = std::fs::read_to_string(tmp.path().join(path)).expect("fragment");
    assert_eq!(
        text,
        "kind: improvement\nbump:\n  stackstate-min: 4.4.0\n  from: 4.3.0\n"
    );
    let (code, _, err) = run(tmp.path(), &["changelog", "add", "pack", "--bump", "nosuchdep=1.0.0"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a dependency"), "{err}");
}

#[test]
fn add_in_the_pack_directory_takes_the_single_value_as_text() {
    let tmp = temp_example();
    let (code, out, err) = run(
        &tmp.path().join("pack"),
        &[
            "changelog",
            "add",
            "--kind",
            "documentation",
            "Updated supported platforms documentation.",
            "--item",
            "Linux",
            "--item",
            "Windows",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("created ../changelog/unreleased/"), "{out}");
    let files = yaml_files(&tmp.path().join("changelog/unreleased"));
    assert_eq!(files.len(), 1);
    assert!(
        files[0].contains("-documentation-updated-supported-platforms-documentation"),
        "{files:?}"
    );
    let text = std::fs::read_to_string(tmp.path().join("changelog/unreleased").join(&files[0])).expect("read");
    assert_eq!(
        text,
        "kind: documentation\ntext: Updated supported platforms documentation.\nitems:\n  - Linux\n  - Windows\n"
    );
    let (code, out, err) = run(tmp.path(), &["release", "pack", "--date", "2021-11-17"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("released 4.3.2 (2021-11-17)"), "{out}");
}

#[test]
fn release_on_a_copy_of_the_example_pack() {
    for (kind, text, version) in [
        ("feature", "Added static health integration", "4.4.0"),
        ("breaking", "Removal of deprecated layers", "5.0.0"),
    ] {
        let tmp = temp_real_example();
        let manifest_path = tmp.path().join("stackpack/stackpack.toml");
        let before = std::fs::read_to_string(&manifest_path).expect("read");
        assert!(before.contains("version = \"4.3.1\"\n"), "the example is not at 4.3.1");
        let (code, _, err) = run(tmp.path(), &["changelog", "add", "stackpack", "--kind", kind, text]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = run(tmp.path(), &["release", "stackpack", "--date", "2021-06-10"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(&format!("released {version} (2021-06-10)")), "{out}");
        // Only the version changed in the manifest: its comments and layout are kept.
        let after = std::fs::read_to_string(&manifest_path).expect("read");
        assert_eq!(
            after,
            before.replace("version = \"4.3.1\"\n", &format!("version = \"{version}\"\n"))
        );
        assert!(yaml_files(&tmp.path().join("changelog/unreleased")).is_empty());
        let release =
            std::fs::read_to_string(tmp.path().join(format!("changelog/releases/{version}.yaml"))).expect("release");
        assert!(
            release.contains("min-stackstate-version: 4.3.0\ndependencies:\n  common: 2.5.0\n"),
            "{release}"
        );
        let (code, _, err) = run(tmp.path(), &["changelog", "check", "stackpack"]);
        assert_eq!(code, 0, "{err}");
    }
}

#[test]
fn a_new_pack_gets_its_first_release_and_pre_1_0_rules() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join("p")).expect("mkdir");
    std::fs::write(
        tmp.path().join("p/stackpack.toml"),
        "name = \"p\"\ndisplay-name = \"My Pack\"\nversion = \"0.1.0\"\nmin-stackstate-version = \"4.3.0\"\nlogo = \"resources/logo.png\"\n",
    )
    .expect("write");
    write_logo_and_overview(&tmp.path().join("p"));
    // No changelog yet: nothing to render, nothing to release.
    let (code, _, err) = run(tmp.path(), &["release-notes", "p"]);
    assert_eq!(code, 1);
    assert!(err.contains("has no changelog"), "{err}");
    let (code, _, err) = run(
        tmp.path(),
        &["changelog", "add", "p", "--kind", "feature", "First public release"],
    );
    assert_eq!(code, 0, "{err}");
    // The first release is the manifest version.
    let (code, out, err) = run(tmp.path(), &["release", "p", "--date", "2024-01-01"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("released 0.1.0"), "{out}");
    // Before 1.0.0 a breaking change bumps the minor version.
    let (code, _, _) = run(tmp.path(), &["changelog", "add", "p", "--kind", "breaking", "Drop X"]);
    assert_eq!(code, 0);
    let (code, out, err) = run(tmp.path(), &["release", "p", "--date", "2024-02-01"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("released 0.2.0"), "{out}");
    // The title falls back to the display name.
    let (_, out, _) = run(tmp.path(), &["release-notes", "p", "--format", "markdown"]);
    assert!(
        out.starts_with("# My Pack Release Notes\n\n## 0.2.0 (2024-02-01)\n\n**Breaking changes**\n- Drop X\n"),
        "{out}"
    );
}
