//! The SP5xx version rules on fixture packs (`tests/fixtures/compat/*`), run through the binary.
//! Each rule's human rendering is snapshotted.

use std::path::Path;
use std::process::Command;

fn lint(fixture: &str, extra: &[&str]) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .current_dir(root)
        // `-q`: a clean run prints nothing (not its "ok: no findings" line).
        .arg("-q")
        .arg("lint")
        .arg(format!("tests/fixtures/compat/{fixture}"))
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("run stackpack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn codes(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once('[')?;
            let (code, _) = rest.split_once(']')?;
            (code.starts_with("SP") && !l.starts_with(' ')).then(|| code.to_string())
        })
        .collect()
}

#[test]
fn clean_pack_is_clean_at_its_minimum() {
    let (code, _, err) = lint("clean", &[]);
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn sp500_missing_minimum() {
    let (code, _, err) = lint("missing-min", &[]);
    assert_eq!(code, 1, "the minimum is required");
    assert_eq!(codes(&err), ["SP500"]);
    // Checking one server version does not make the manifest complete.
    let (code, _, err) = lint("missing-min", &["--stackstate-version", "4.3"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP500"]);
    insta::assert_snapshot!("sp500_missing_min", err);
}

#[test]
fn sp501_helpers_and_parameter_types_newer_than_minimum() {
    let (code, _, err) = lint("helper-too-new", &[]);
    assert_eq!(code, 1);
    // EVENT_STREAM: documented from 4.2, but SAP (declared 1.15.7) used it: a warning.
    assert_eq!(codes(&err), ["SP502", "SP501", "SP501"]);
    assert!(err.contains("STJ helper `#each` needs StackState 4.2"), "{err}");
    assert!(err.contains("STJ helper `add` needs StackState 4.2"), "{err}");
    assert!(
        err.contains("evidence: 4.2:develop/reference/stj/stj_reference.md (documented)"),
        "{err}"
    );
    insta::assert_snapshot!("sp501_helper_too_new", err);
}

#[test]
fn the_same_pack_installs_on_a_4_2_server() {
    // "Will this install on 4.2?": yes, 4.2 has `#each`, `add` and EVENT_STREAM.
    let (code, _, err) = lint("helper-too-new", &["--stackstate-version", "4.2.0"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, _, err) = lint("helper-too-new", &["--stackstate-version", "4.1.3"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("checked against StackState 4.1.3 (`--stackstate-version`)"),
        "{err}"
    );
}

#[test]
fn sp502_uncertain_rows_are_warnings() {
    let (code, _, err) = lint("maybe-too-new", &[]);
    assert_eq!(code, 0, "warnings only: {err}");
    assert_eq!(codes(&err), ["SP502", "SP502"]);
    insta::assert_snapshot!("sp502_maybe_too_new", err);
    let (code, _, _) = lint("maybe-too-new", &["--deny", "warnings"]);
    assert_eq!(code, 1);
}

#[test]
fn sp503_max_below_min() {
    let (code, _, err) = lint("max-below-min", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP503"]);
    insta::assert_snapshot!("sp503_max_below_min", err);
}

#[test]
fn sp504_removed_feature_without_maximum() {
    let (code, _, err) = lint("removed-feature", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP504"]);
    insta::assert_snapshot!("sp504_removed_feature", err);
    // On a server before the removal it installs.
    let (code, _, err) = lint("removed-feature", &["--stackstate-version", "4.4.3"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = lint("removed-feature", &["--stackstate-version", "4.5.0"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP504"]);
}

#[test]
fn sp505_dependency_needs_newer_stackstate() {
    let (code, _, err) = lint("dependency-too-new", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP505"]);
    assert!(
        err.contains("evidence: 4.4:stackpacks/integrations/kubernetes.md"),
        "{err}"
    );
    insta::assert_snapshot!("sp505_dependency_too_new", err);
}

#[test]
fn sp506_sp507_sp511_unversioned_and_unknown() {
    // 2.0-era and misspelt `_type`s are errors: lint of the built archive would reject them.
    let (code, _, err) = lint("unversioned", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(codes(&err), ["SP506", "SP511", "SP507", "SP507"]);
    assert!(err.contains("did you mean `Monitor`?"), "{err}");
    assert!(err.contains("remove the spaces around `Layer`"), "{err}");
    insta::assert_snapshot!("sp506_sp507_unversioned", err);
}

#[test]
fn sp508_server_outside_the_declared_range() {
    let (code, _, err) = lint("clean", &["--stackstate-version", "4.2.0"]);
    assert_eq!(code, 1);
    let c = codes(&err);
    assert!(
        c.contains(&"SP508".to_string()) && c.contains(&"SP505".to_string()),
        "{err}"
    );
    insta::assert_snapshot!("sp508_clean_on_4_2", err);
    let (code, _, err) = lint("prerelease", &["--stackstate-version", "5.1.4"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP508"]);
    assert!(
        err.contains("supports StackState up to 5.1.3: it does not install on 5.1.4"),
        "{err}"
    );
}

#[test]
fn prerelease_and_build_server_versions_match_as_their_release() {
    // The pre-release trap: in semver 4.4.0-rc.1 < 4.4.0, yet an rc of 4.4.0 has the 4.4 features.
    let (code, _, err) = lint("prerelease", &["--stackstate-version", "4.4.0-rc.1"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, _, err) = lint("prerelease", &["--stackstate-version", "5.1.3+build7"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, _, err) = lint("prerelease", &["--stackstate-version", "4.4"]);
    assert_eq!((code, err.as_str()), (0, ""));
    // A 4.3 release candidate is still 4.3: below the minimum, and without SVG icons.
    let (code, _, err) = lint("prerelease", &["--stackstate-version", "4.3.9-rc.2"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP501", "SP508"]);
    assert!(err.contains("4.3.9-rc.2 (matched as 4.3.9)"), "{err}");
    insta::assert_snapshot!("sp508_prerelease_4_3_rc", err);
}

#[test]
fn bad_server_version_is_a_usage_error() {
    let (code, _, err) = lint("clean", &["--stackstate-version", "4.x"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a version"), "{err}");
}

#[test]
fn sp509_deprecated_feature() {
    let (code, _, err) = lint("deprecated", &[]);
    assert_eq!(code, 0);
    assert_eq!(codes(&err), ["SP509"]);
    insta::assert_snapshot!("sp509_deprecated", err);
}

#[test]
fn sp510_minimum_older_than_the_docs() {
    let (code, _, err) = lint("below-oldest", &[]);
    assert_eq!(code, 0);
    assert_eq!(codes(&err), ["SP510"]);
    insta::assert_snapshot!("sp510_below_oldest", err);
}

#[test]
fn sp522_unreadable_baseline() {
    let (code, _, err) = lint("clean", &["--baseline", "tests/fixtures/compat/no-such.sts"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP522"]);
    insta::assert_snapshot!("sp522_unreadable_baseline", err);
}

#[test]
fn json_output_carries_code_span_and_evidence() {
    let (code, out, _) = lint("dependency-too-new", &["--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let text = v.to_string();
    assert!(text.contains("\"SP505\""), "{text}");
    assert!(
        text.contains("evidence: 4.4:stackpacks/integrations/kubernetes.md"),
        "{text}"
    );
    assert!(text.contains("dependency-too-new/stackpack.toml"), "{text}");
}

#[test]
fn sp501_fields_helpers_aggregations_and_common_urns() {
    let (code, _, err) = lint("many-features", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP501"; 8]);
    for needle in [
        "node type `Monitor` needs StackState 5.0",
        "field `Monitor.status` needs StackState 5.1",
        "field `Monitor.tags` needs StackState 5.1",
        "field `Monitor.intervalSeconds` needs StackState 5.0",
        "node type `ArgumentStringVal` needs StackState 5.0",
        "STJ helper `getFirstExisting` needs StackState 4.2",
        "`urn:stackpack:common:component-type:server` needs StackState 4.3",
        "`SUM_NO_ZEROS / EVENT_COUNT_NO_ZEROS` needs StackState 4.3",
    ] {
        assert!(err.contains(needle), "missing {needle}: {err}");
    }
    // 4.0 helpers (getOrCreate, identifier, concat) are not findings.
    assert!(!err.contains("`getOrCreate`") && !err.contains("`identifier`"), "{err}");
    insta::assert_snapshot!("sp501_many_features", err);
    // All of it exists on 5.1.
    let (code, _, err) = lint("many-features", &["--stackstate-version", "5.1.0"]);
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn sp504_removals_are_checked_without_a_minimum() {
    let (code, _, err) = lint("removed-no-min", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&err), ["SP504", "SP500"]);
}
