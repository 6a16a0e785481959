//! StackPack 2.0 packs through the changelog commands and `build --out FILE.sts`: `changelog
//! add` writes fragments (with the lock and recovery of 1.x packs), `release-notes` shows them,
//! `release --dry-run` writes nothing, `release` folds them and bumps `stackpack.yaml` keeping
//! its comments.

mod helpers;

use helpers::{copy_dir, root, stackpack};
use std::path::{Path, PathBuf};

/// A copy of the clean 2.0 pack with one released version in its changelog.
fn copy_with_changelog() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&root().join("tests/fixtures/v2/clean"), &dir);
    std::fs::create_dir_all(dir.join("changelog/releases")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("changelog/releases/1.2.0.yaml"),
        "version: 1.2.0\ndate: 2026-11-02\nentries:\n  - kind: feature\n    text: Queue backlog monitor.\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (tmp, dir)
}

/// Every file under `dir` with its content, for "nothing was written" comparisons.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{e}")).flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn changelog_add_release_notes_dry_run_and_release_on_a_2_0_pack() {
    let (_tmp, dir) = copy_with_changelog();
    let run = stackpack(
        &dir,
        &[
            "changelog",
            "add",
            ".",
            "--kind",
            "feature",
            "A dashboard of every queue",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("created ") && run.stdout.contains("changelog/unreleased/"),
        "{}",
        run.stdout
    );
    let fragments: Vec<_> = std::fs::read_dir(dir.join("changelog/unreleased"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .collect();
    assert_eq!(fragments.len(), 1);

    // 1.x-only bumps are refused with what to do instead.
    let run = stackpack(&dir, &["changelog", "add", ".", "--bump", "stackstate-min=6.0.0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("2.0 pack pins no dependencies"), "{}", run.stderr);

    let run = stackpack(&dir, &["release-notes", ".", "--unreleased", "--format", "markdown"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("A dashboard of every queue"), "{}", run.stdout);

    // A staged file left by a killed run is undone (and said) before anything else.
    std::fs::write(dir.join("changelog/unreleased/.stackpack-staged-killed"), "x").unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["release", ".", "--dry-run", "--date", "2026-12-01"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("note:"),
        "recovery says what it did: {}",
        run.stderr
    );
    assert!(!dir.join("changelog/unreleased/.stackpack-staged-killed").exists());
    let before = tree(&dir);
    let run = stackpack(&dir, &["release", ".", "--dry-run", "--date", "2026-12-01"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("would release 1.3.0 (2026-12-01)")
            && run.stdout.contains("set the version in stackpack.yaml")
            && run.stdout.contains("dry run: nothing written")
            && run.stdout.contains("A dashboard of every queue"),
        "{}",
        run.stdout
    );
    assert_eq!(tree(&dir), before, "--dry-run wrote something");

    let yaml_before = std::fs::read_to_string(dir.join("stackpack.yaml")).unwrap_or_default();
    let run = stackpack(&dir, &["release", ".", "--date", "2026-12-01"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("released 1.3.0 (2026-12-01)"), "{}", run.stdout);
    let yaml = std::fs::read_to_string(dir.join("stackpack.yaml")).unwrap_or_default();
    assert_eq!(yaml, yaml_before.replace("version: \"1.2.0\"", "version: \"1.3.0\""));
    assert!(yaml.starts_with("# Acme queue service"), "{yaml}");
    let rel = std::fs::read_to_string(dir.join("changelog/releases/1.3.0.yaml")).unwrap_or_default();
    assert!(rel.contains("A dashboard of every queue"), "{rel}");
    assert!(!dir.join(".stackpack-journal.json").exists());
    let left = std::fs::read_dir(dir.join("changelog/unreleased"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "the fragment is folded into the release");
    // The released pack still lints clean.
    let run = stackpack(&dir, &["lint", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_published_pack_starting_a_changelog_releases_the_next_version_with_bump() {
    // A pack already out at its manifest version, with no changelog yet (as every published
    // 2.0 pack): `--bump patch` bumps that version instead of releasing it a second time, and
    // plain `release` says what it does.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&root().join("tests/fixtures/v2/clean"), &dir);
    let manifest = std::fs::read_to_string(dir.join("stackpack.yaml")).unwrap_or_default();
    let at = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_default();
    let r = stackpack(&dir, &["changelog", "add", "--kind", "bugfix", "A fixed query."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dry = stackpack(&dir, &["release", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains(&format!("would release {at} ")), "{}", dry.stdout);
    assert!(
        dry.stderr.contains("has no earlier release") && dry.stderr.contains("--bump patch"),
        "{}",
        dry.stderr
    );
    let r = stackpack(&dir, &["release", "--bump", "patch"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = semver::Version::parse(&at).unwrap_or_else(|e| panic!("{at}: {e}"));
    let next = semver::Version::new(v.major, v.minor, v.patch + 1).to_string();
    assert!(r.stdout.contains(&format!("released {next} ")), "{}", r.stdout);
    let after = std::fs::read_to_string(dir.join("stackpack.yaml")).unwrap_or_default();
    assert!(after.contains(&format!("version: \"{next}\"")), "{after}");
    assert!(dir.join(format!("changelog/releases/{next}.yaml")).is_file());
}

#[test]
fn release_dry_run_without_a_changelog_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&root().join("tests/fixtures/v2/clean"), &dir);
    let before = tree(&dir);
    let run = stackpack(&dir, &["release", ".", "--bump", "patch", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("would release 1.2.1 (was 1.2.0)") && run.stdout.contains("nothing written"),
        "{}",
        run.stdout
    );
    assert_eq!(tree(&dir), before);
}

#[test]
fn build_out_file_sts_writes_exactly_that_file() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&root().join("tests/fixtures/v2/clean"), &dir);
    let out = tmp.path().join("out/x.sts");
    let run = stackpack(&dir, &["build", ".", "--out", &out.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.is_file(), "{} not written: {}", out.display(), run.stdout);
    assert_eq!(run.stdout.trim(), out.display().to_string());
    assert!(!tmp.path().join("out/acme-queue-1.2.0.sts").exists());
    assert!(!out.parent().unwrap_or(tmp.path()).join("x.sts").is_dir());
    // A directory named like an archive is refused, as for 1.x packs.
    std::fs::create_dir_all(tmp.path().join("d.sts")).unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(
        &dir,
        &["build", ".", "--out", &tmp.path().join("d.sts").to_string_lossy()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    // A plain directory still gets `<name>-<version>.sts`.
    let run = stackpack(&dir, &["build", ".", "--out", &tmp.path().join("o2").to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(tmp.path().join("o2/acme-queue-1.2.0.sts").is_file());
}

#[test]
fn diff_of_2_0_packs_shows_no_scope() {
    let clean = root().join("tests/fixtures/v2/clean");
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&clean, &dir);
    let monitor = dir.join("settings/monitors/queue-backlog.sty");
    let text = std::fs::read_to_string(&monitor).unwrap_or_default();
    assert!(text.contains("threshold: 1000"));
    std::fs::write(&monitor, text.replacen("threshold: 1000", "threshold: 2000", 1)).unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["diff", &clean.to_string_lossy(), "."]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("changed (1):"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("shared") && !run.stdout.contains("instance"),
        "2.0 has no instance scope: {}",
        run.stdout
    );
}
