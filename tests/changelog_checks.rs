//! Every changelog check fails on its fixture with a located diagnostic; the human output is
//! snapshotted.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/changelog")
}

/// Run `stackpack <args>` in the fixtures directory; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(args)
        .current_dir(fixtures())
        .env("NO_COLOR", "1")
        .output()
        .expect("run stackpack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `changelog check <fixture>`: the exit code, every expected code present and located
/// (`--> file:line:col`), and the snapshot of the whole human output.
fn check_fixture(name: &str, codes: &[&str], expected_exit: i32) {
    let (code, _, stderr) = run(&["changelog", "check", name]);
    assert_eq!(code, expected_exit, "exit code of {name}:\n{stderr}");
    for c in codes {
        let head = stderr
            .lines()
            .position(|l| l.contains(&format!("[{c}]")))
            .unwrap_or_else(|| panic!("{c} not reported for {name}:\n{stderr}"));
        let location = stderr.lines().nth(head + 1).unwrap_or("");
        assert!(
            location.trim_start().starts_with(&format!("--> {name}/")),
            "{c} is not located in {name}: {location}"
        );
    }
    insta::assert_snapshot!(format!("check_{}", name.replace('-', "_")), stderr);
}

#[test]
fn sp600_changelog_path_absolute() {
    check_fixture("changelog-path", &["SP600"], 1);
}

#[test]
fn sp600_changelog_dir_missing() {
    check_fixture("changelog-missing", &["SP600"], 1);
}

#[test]
fn sp601_unknown_kind() {
    check_fixture("unknown-kind", &["SP601"], 1);
}

#[test]
fn sp602_invalid_date() {
    check_fixture("invalid-date", &["SP602"], 1);
}

#[test]
fn sp603_dates_out_of_order() {
    check_fixture("dates-out-of-order", &["SP603"], 1);
}

#[test]
fn sp604_invalid_version() {
    check_fixture("invalid-version", &["SP604"], 1);
}

#[test]
fn sp605_duplicate_version() {
    check_fixture("duplicate-version", &["SP605"], 1);
}

#[test]
fn sp606_manifest_ahead_without_fragments() {
    check_fixture("manifest-ahead", &["SP606"], 1);
}

#[test]
fn sp606_manifest_behind() {
    check_fixture("manifest-behind", &["SP606"], 1);
}

#[test]
fn sp606_manifest_bump_too_small() {
    check_fixture("manifest-bump-too-small", &["SP606"], 1);
}

#[test]
fn sp607_unannounced_bump() {
    check_fixture("unannounced-bump", &["SP607"], 1);
}

#[test]
fn sp608_release_bump_missing() {
    check_fixture("release-bump-missing", &["SP608"], 1);
}

#[test]
fn sp609_bump_disagrees() {
    check_fixture("bump-disagrees", &["SP609"], 1);
}

#[test]
fn sp610_empty_release_is_a_warning() {
    check_fixture("empty-release", &["SP610"], 0);
}

#[test]
fn sp611_broken_template() {
    let (code, stdout, stderr) = run(&[
        "release-notes",
        "empty-release",
        "--format",
        "markdown",
        "--templates",
        "broken-templates",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("error[SP611]"), "{stderr}");
    assert!(stderr.contains("--> broken-templates/RELEASE.md.hbs"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn sp600_symlinked_changelog_escaping_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(outside.path().join("releases")).expect("mkdir");
    let pack = tmp.path().join("pack");
    std::fs::create_dir_all(&pack).expect("mkdir");
    std::fs::write(
        pack.join("stackpack.toml"),
        "name = \"p\"\ndisplay-name = \"P\"\nversion = \"1.0.0\"\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(outside.path(), pack.join("changelog")).expect("symlink");
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(["changelog", "check"])
        .arg(&pack)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[SP600]") && stderr.contains("symlink"),
        "{stderr}"
    );
}
