//! `--baseline` findings (SP520, SP521, SP522, SP523) over synthetic builds: the fixture pack
//! `bumped` (version 4.3.2) against baselines made of archive entries.

use stackpack::diag::render::{render, Format, RenderOptions};
use stackpack::diff::{self, Entries, Snapshot};
use stackpack::model::Pack;
use std::path::Path;

fn pack() -> Pack {
    let mut diags = stackpack::diag::Diagnostics::new();
    let dir = Path::new("tests/fixtures/compat/bumped");
    match stackpack::model::load_pack(dir, &mut diags) {
        Ok(Ok(p)) => p,
        _ => panic!("fixture does not load"),
    }
}

const CHECK: &str = r#"{"_type":"CheckFunction","id":-1,"name":"cpu","identifier":"urn:stackpack:bumped:shared:check-function:cpu","script":"return 1"}"#;
const LAYER: &str = r#"{"_type":"Layer","id":-2,"name":"l","identifier":"urn:stackpack:bumped:shared:layer:l"}"#;

fn build(version: &str, nodes: &[&str]) -> Snapshot {
    let mut e = Entries::new();
    e.insert(
        "stackpack.conf".into(),
        format!("name = \"bumped\"\nversion = \"{version}\"\n").into_bytes(),
    );
    e.insert(
        "provisioning/templates/bumped.stj".into(),
        format!("{{\"_version\":\"1.0.0\",\"nodes\":[{}]}}", nodes.join(",")).into_bytes(),
    );
    match diff::snapshot(&e) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn findings(old: Snapshot, new: Snapshot) -> (bool, String) {
    let p = pack();
    let d = diff::baseline_findings(&p, "old.sts", Ok(old), Ok(new));
    (
        d.has_errors(),
        render(Format::Human, &d, &p.sources, RenderOptions::default()),
    )
}

#[test]
fn sp520_removed_check_function_needs_a_major_bump() {
    let (err, text) = findings(build("4.3.1", &[CHECK, LAYER]), build("4.3.2", &[LAYER]));
    assert!(err, "{text}");
    assert!(
        text.contains(
            "error[SP520]: version 4.3.2 is a patch bump over the baseline's 4.3.1, but the changes need a major bump"
        ),
        "{text}"
    );
    assert!(
        text.contains("removed shared CheckFunction urn:stackpack:bumped:shared:check-function:cpu"),
        "{text}"
    );
    assert!(text.contains("release 5.0.0 or later"), "{text}");
    insta::assert_snapshot!("sp520_bump_too_small", text);
    // From 3.x to 4.3.2 the same removal is fine; the version of the new side is the manifest's.
    let (err, text) = findings(build("3.9.0", &[CHECK, LAYER]), build("0.0.0", &[LAYER]));
    assert!(!err && text.contains("info[SP521]"), "{text}");
}

#[test]
fn sp520_added_node_needs_a_minor_bump_and_prerelease_is_no_bump() {
    let (err, text) = findings(build("4.3.1", &[CHECK]), build("4.3.2", &[CHECK, LAYER]));
    assert!(
        err && text.contains("need a minor bump") && text.contains("release 4.4.0 or later"),
        "{text}"
    );
    let (err, text) = findings(build("4.3.2-rc.1", &[CHECK]), build("4.3.2", &[CHECK, LAYER]));
    assert!(
        err && text.contains("the same release as the baseline's 4.3.2-rc.1"),
        "{text}"
    );
}

#[test]
fn sp521_changes_reported_when_the_bump_is_enough() {
    let (err, text) = findings(build("4.2.0", &[CHECK]), build("4.3.2", &[CHECK, LAYER]));
    assert!(!err, "{text}");
    assert!(text.contains("info[SP521]"), "{text}");
    assert!(
        text.contains("added shared Layer urn:stackpack:bumped:shared:layer:l"),
        "{text}"
    );
    insta::assert_snapshot!("sp521_baseline_changes", text);
}

#[test]
fn sp523_version_not_increased() {
    let (err, text) = findings(build("4.3.2", &[CHECK]), build("4.3.2", &[CHECK]));
    assert!(err, "{text}");
    assert!(
        text.contains("error[SP523]: version 4.3.2 is not greater than the baseline's 4.3.2"),
        "{text}"
    );
    insta::assert_snapshot!("sp523_version_not_increased", text);
}

#[test]
fn sp522_baseline_without_version() {
    let p = pack();
    let mut old = build("4.3.1", &[CHECK]);
    old.version = None;
    let d = diff::baseline_findings(&p, "old.sts", Ok(old), Ok(build("4.3.2", &[CHECK])));
    let text = render(Format::Human, &d, &p.sources, RenderOptions::default());
    assert!(
        text.contains("error[SP522]") && text.contains("no semver `version`"),
        "{text}"
    );
    let d = diff::baseline_findings(&p, "old.sts", Err("broken zip".into()), Ok(build("4.3.2", &[CHECK])));
    let text = render(Format::Human, &d, &p.sources, RenderOptions::default());
    assert!(text.contains("the baseline cannot be read: broken zip"), "{text}");
    let mut other = build("4.3.1", &[CHECK]);
    other.name = Some("another-pack".into());
    let d = diff::baseline_findings(&p, "old.sts", Ok(other), Ok(build("4.3.2", &[CHECK])));
    let text = render(Format::Human, &d, &p.sources, RenderOptions::default());
    assert!(
        text.contains("the baseline is the pack `another-pack`, not `bumped`"),
        "{text}"
    );
}
