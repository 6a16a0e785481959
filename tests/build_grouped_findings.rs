//! Issue 13.3: one missing dependency is one SP205 error listing every use, not one error per
//! use (the example pack without `common` gave 39).

mod helpers;

use helpers::{copy_dir, root, stackpack};

#[test]
fn one_missing_dependency_is_one_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("example");
    copy_dir(&root().join("stackpack"), &pack);
    let manifest = pack.join("stackpack.toml");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let without: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("common ="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, text, "the example declares `common`");
    std::fs::write(&manifest, without).expect("write");
    let r = stackpack(tmp.path(), &["lint", "example", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let sp205: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter(|d| d["code"] == "SP205").collect())
        .unwrap_or_default();
    assert_eq!(sp205.len(), 1, "{sp205:#?}");
    let message = sp205[0]["message"].as_str().unwrap_or("");
    assert!(message.contains("the pack `common`"), "{message}");
    let uses: usize = message
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(uses > 10, "{message}");
    let r = stackpack(tmp.path(), &["lint", "example"]);
    assert_eq!(r.stderr.matches("error[SP205]").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.matches("also uses `urn:stackpack:common:").count() + 1 >= uses,
        "{}",
        r.stderr
    );
}
