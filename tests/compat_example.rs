//! The example pack (`stackpack/`, the Agent V2 StackPack) against the compatibility table: clean
//! at its declared minimum 4.3.0; with the minimum lowered to 4.0.0 the features and the common
//! dependency that need newer StackState versions are reported with their evidence.

mod helpers;

use helpers::copy_dir;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    helpers::root()
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let r = helpers::stackpack(dir, args);
    (r.code, r.stderr)
}

/// A copy of the example (and its changelog, when there is one) with the minimum replaced.
fn example_with_min(min: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("stackpack"), &tmp.path().join("stackpack"));
    if root().join("changelog").is_dir() {
        copy_dir(&root().join("changelog"), &tmp.path().join("changelog"));
    }
    let manifest = tmp.path().join("stackpack/stackpack.toml");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(
        text.contains("min-stackstate-version = \"4.3.0\""),
        "the example declares 4.3.0"
    );
    let edited = text.replace(
        "min-stackstate-version = \"4.3.0\"",
        &format!("min-stackstate-version = \"{min}\""),
    );
    std::fs::write(&manifest, edited).expect("write");
    let dir = tmp.path().to_path_buf();
    (tmp, dir)
}

fn sp5_findings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("error[SP5") || l.starts_with("warning[SP5") || l.starts_with("info[SP5"))
        .collect()
}

#[test]
fn example_is_clean_at_its_declared_minimum() {
    let (code, err) = run(root(), &["lint", "stackpack"]);
    assert_eq!(code, 0, "{err}");
    assert!(sp5_findings(&err).is_empty(), "{err}");
    let (code, err) = run(root(), &["lint", "stackpack", "--stackstate-version", "4.3.0"]);
    assert_eq!(code, 0, "{err}");
    assert!(sp5_findings(&err).is_empty(), "{err}");
}

#[test]
fn example_with_minimum_4_0_names_features_and_dependency_with_evidence() {
    let (_tmp, dir) = example_with_min("4.0.0");
    let (code, err) = run(&dir, &["lint", "stackpack"]);
    assert_eq!(code, 1, "{err}");
    let found = sp5_findings(&err);
    let has = |needle: &str| found.iter().any(|l| l.contains(needle));
    // Documented features: errors. EVENT_STREAM is documented from 4.2, but SAP (declared
    // minimum 1.15.7) already used it: a warning citing the older real-pack use (issue 10.11).
    assert!(
        has("warning[SP502]: field `Parameter.type EVENT_STREAM` needs StackState 4.2"),
        "{err}"
    );
    assert!(
        err.contains(
            "older evidence: StackVista/stackpack-sap@1.1.0:src/main/stackpack/provisioning/templates/sap.stj"
        ),
        "{err}"
    );
    assert!(
        has("error[SP501]: node type `ArgumentLongVal` needs StackState 4.1"),
        "{err}"
    );
    // The common dependency, with its evidence.
    assert!(has("error[SP505]: common 2.5.0 needs StackState 4.3"), "{err}");
    assert!(
        err.contains("evidence: 4.4:stackpacks/integrations/kubernetes.md"),
        "{err}"
    );
    assert!(
        err.contains("evidence: 4.2:develop/reference/stj/stj_reference.md (documented)"),
        "{err}"
    );
    // Inferred rows and rows with older real-pack evidence: warnings.
    assert!(
        has("warning[SP502]: field `QueryView.autoGrouping` needs StackState 4.3"),
        "{err}"
    );
    assert!(
        has("warning[SP502]: node type `ViewHealthStateConfiguration` needs StackState 4.1"),
        "{err}"
    );
    // The compiler always includes scripts in the default mode, so `identity` (4.2) is not used.
    assert!(!err.contains("identity"), "{err}");
    // Every finding points into the pack's sources.
    assert!(err.contains("--> stackpack/stackpack.toml:"), "{err}");
    assert!(err.contains("--> stackpack/nodes/"), "{err}");
}

#[test]
fn example_will_not_install_on_4_2() {
    let (code, err) = run(root(), &["lint", "stackpack", "--stackstate-version", "4.2.4"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error[SP508]: the pack needs StackState 4.3 or later: it does not install on 4.2.4"),
        "{err}"
    );
    assert!(err.contains("error[SP505]: common 2.5.0 needs StackState 4.3"), "{err}");
}
