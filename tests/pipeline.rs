//! `lint` and `build` run one analysis (`stackpack::pipeline`): every finding `lint` reports as
//! an error stops `build`, before anything is written.

mod helpers;

use std::path::Path;

fn run(args: &[&str]) -> (i32, String, String) {
    let r = helpers::stackpack(helpers::root(), args);
    (r.code, r.stdout, r.stderr)
}

fn codes(stderr: &str) -> Vec<String> {
    let mut c: Vec<String> = stderr
        .lines()
        .filter_map(|l| {
            l.split_once('[').and_then(|(sev, rest)| {
                matches!(sev, "error" | "warning" | "info").then(|| rest.split(']').next().unwrap_or("").to_string())
            })
        })
        .collect();
    c.sort();
    c
}

#[test]
fn lint_and_build_report_the_same_findings() {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out_dir = out.path().to_string_lossy().to_string();
    // A changelog problem (the manifest version is behind the newest release), found by the
    // changelog checks: lint used to miss it while build refused the pack.
    for fixture in [
        "tests/fixtures/changelog/manifest-behind",
        "tests/fixtures/lint/SP201-duplicate-id",
    ] {
        let (lint_code, _, lint_err) = run(&["lint", fixture]);
        let (build_code, build_out, build_err) = run(&["build", fixture, "--out", &out_dir]);
        assert_eq!(lint_code, 1, "{fixture}: {lint_err}");
        assert_eq!(build_code, 1, "{fixture}: {build_out}{build_err}");
        assert!(!codes(&lint_err).is_empty(), "{lint_err}");
        assert_eq!(codes(&lint_err), codes(&build_err), "{fixture}");
    }
    let written = std::fs::read_dir(out.path()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(
        written,
        0,
        "a build with errors wrote into {}",
        Path::new(&out_dir).display()
    );
}

#[test]
fn the_example_lints_and_builds_clean() {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(&["lint", "stackpack", "--deny", "warnings"]);
    assert_eq!(code, 0, "{err}");
    let (code, stdout, err) = run(&["build", "stackpack", "--out", &out.path().to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "a clean build prints no findings: {err}");
    assert!(stdout.trim_end().ends_with("stackstate-agent-v2-4.3.1.sts"), "{stdout}");
}
