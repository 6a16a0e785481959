//! `docs/rules.md` is generated from the rule registry: it must match `stackpack rules --markdown`.

use std::process::Command;

#[test]
fn committed_rule_docs_are_up_to_date() {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(["rules", "--markdown"])
        .output()
        .expect("run stackpack");
    assert_eq!(out.status.code(), Some(0));
    let generated = String::from_utf8_lossy(&out.stdout);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is out of date: run `cargo run -q -- rules --markdown > docs/rules.md`"
    );
    for rule in stackpack::diag::registry::all() {
        assert!(
            generated.contains(&format!("## {}", rule.code)),
            "{} has a section",
            rule.code
        );
    }
}
