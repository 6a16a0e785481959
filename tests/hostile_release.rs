//! `release` under faults (issue 11.3): killed at every step, it leaves the old state or a
//! journal the next run completes; concurrent runs never leave manifest and releases out of
//! step; and it refuses to write a history `lint` would reject (issue 13.5).

mod helpers;

use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pack = tmp.path().join("stackpack");
    helpers::copy_dir(&helpers::root().join("stackpack"), &pack);
    helpers::copy_dir(&helpers::root().join("changelog"), &tmp.path().join("changelog"));
    (tmp, pack)
}

fn run(dir: &Path, args: &[&str], fault: Option<u32>) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stackpack"));
    c.current_dir(dir).args(args).env("NO_COLOR", "1");
    if let Some(f) = fault {
        c.env("STACKPACK_FAULT_AT", f.to_string());
    }
    let out = c.output().unwrap_or_else(|e| panic!("run: {e}"));
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), s)
}

fn manifest_version(pack: &Path) -> String {
    let text = std::fs::read_to_string(pack.join("stackpack.toml")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_string()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn fragments(cl: &Path) -> Vec<String> {
    names(&cl.join("unreleased"))
        .into_iter()
        .filter(|n| n.ends_with(".yaml"))
        .collect()
}

/// Three fragments to release: 4.3.1 → 4.4.0 (a feature).
fn with_fragments(pack: &Path) {
    for (k, t) in [("feature", "A"), ("bugfix", "B"), ("improvement", "C")] {
        let (code, out) = run(pack, &["changelog", "add", ".", "--kind", k, t], None);
        assert_eq!(code, 0, "{out}");
    }
}

fn assert_released_once(tmp: &Path, pack: &Path, what: &str) {
    let cl = tmp.join("changelog");
    assert_eq!(manifest_version(pack), "4.4.0", "{what}");
    assert!(cl.join("releases/4.4.0.yaml").is_file(), "{what}: no release file");
    assert!(
        fragments(&cl).is_empty(),
        "{what}: fragments left: {:?}",
        fragments(&cl)
    );
    let rel = std::fs::read_to_string(cl.join("releases/4.4.0.yaml")).unwrap_or_default();
    assert_eq!(
        rel.matches("kind:").count(),
        3,
        "{what}: entries duplicated or lost: {rel}"
    );
    for d in [pack.to_path_buf(), cl.join("releases"), cl.join("unreleased")] {
        let stray: Vec<String> = names(&d)
            .into_iter()
            .filter(|n| n.starts_with(".stackpack-") || n.starts_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{what}: left {stray:?} in {}", d.display());
    }
    let (code, out) = run(pack, &["lint", "."], None);
    assert_eq!(code, 0, "{what}: lint after release: {out}");
}

#[test]
fn a_release_killed_at_any_step_is_completed_or_redone_by_the_next_run() {
    // Steps: 1 staged, 2 journal written, 3 release file, 4 manifest, 5–7 fragments removed.
    for at in 1..=7 {
        let (tmp, pack) = example();
        with_fragments(&pack);
        let (code, out) = run(&pack, &["release", "."], Some(at));
        assert_eq!(code, -1, "step {at}: the fault hook did not kill the run: {out}");
        let cl = tmp.path().join("changelog");
        let journal = pack.join(".stackpack-journal.json").exists();
        if !journal {
            // Killed before the change was decided: the old state, untouched.
            assert_eq!(manifest_version(&pack), "4.3.1", "step {at}");
            assert_eq!(fragments(&cl).len(), 3, "step {at}");
            assert!(!cl.join("releases/4.4.0.yaml").exists(), "step {at}");
        }
        let (code, out) = run(&pack, &["release", "."], None);
        if journal {
            assert!(
                out.contains("completed the interrupted release 4.4.0"),
                "step {at}: {out}"
            );
            assert_eq!(code, 1, "step {at}: nothing left to release: {out}");
        } else {
            assert_eq!(code, 0, "step {at}: {out}");
            if at == 1 {
                assert!(out.contains("removed"), "step {at}: staged files not reported: {out}");
            }
        }
        assert_released_once(tmp.path(), &pack, &format!("step {at}"));
    }
}

#[test]
fn concurrent_releases_never_leave_manifest_and_release_out_of_step() {
    for round in 0..25 {
        let (tmp, pack) = example();
        with_fragments(&pack);
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_stackpack"))
                .current_dir(&pack)
                .args(["release", "."])
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let (a, b) = (spawn(), spawn());
        let ra = a.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let rb = b.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let codes = [ra.status.code(), rb.status.code()];
        assert!(codes.contains(&Some(0)), "round {round}: neither released: {codes:?}");
        assert!(codes.contains(&Some(1)), "round {round}: both released: {codes:?}");
        assert_released_once(tmp.path(), &pack, &format!("round {round}"));
        let newest = names(&tmp.path().join("changelog/releases"));
        assert!(
            !newest.iter().any(|n| n == "4.4.1.yaml" || n == "4.5.0.yaml"),
            "round {round}: {newest:?}"
        );
    }
}

#[test]
fn release_refuses_a_history_lint_would_reject_and_dry_run_writes_nothing() {
    let (tmp, pack) = example();
    let (code, out) = run(
        &pack,
        &["changelog", "add", ".", "--bump", "stackstate-min=4.5.0"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let cl = tmp.path().join("changelog");
    let before = (manifest_version(&pack), fragments(&cl), names(&cl.join("releases")));
    let (code, out) = run(&pack, &["release", "."], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SP609"), "{out}");
    assert_eq!(
        before,
        (manifest_version(&pack), fragments(&cl), names(&cl.join("releases")))
    );
    // With the manifest edited to match, the dry run shows the release and writes nothing.
    let m = pack.join("stackpack.toml");
    let text = std::fs::read_to_string(&m).unwrap_or_default();
    std::fs::write(
        &m,
        text.replace(
            "min-stackstate-version = \"4.3.0\"",
            "min-stackstate-version = \"4.5.0\"",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = run(&pack, &["release", ".", "--dry-run"], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would release 4.3.2"), "{out}");
    assert!(out.contains("min-stackstate-version: 4.5.0"), "{out}");
    assert_eq!(manifest_version(&pack), "4.3.1");
    assert_eq!(before.1, fragments(&cl));
    assert_eq!(before.2, names(&cl.join("releases")));
    let (code, out) = run(&pack, &["release", "."], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(manifest_version(&pack), "4.3.2");
}
