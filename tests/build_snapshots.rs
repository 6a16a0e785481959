//! Snapshots of the generated files of the fixture packs: they are the spec of our output
//! (reference §2-§5), read field by field when accepted.

#[path = "build_common/mod.rs"]
mod common;

use common::{compile_dir, text};
use stackpack::compile::CompileOptions;

fn acme() -> stackpack::compile::Compiled {
    match compile_dir("tests/fixtures/build/acme", &CompileOptions::default()) {
        Ok(c) => c,
        Err(e) => panic!("acme does not compile:\n{e}"),
    }
}

#[test]
fn acme_entries() {
    let c = acme();
    assert_eq!(c.file_name, "acme-1.2.0.sts");
    insta::assert_snapshot!(c.paths().collect::<Vec<_>>().join("\n"));
}

#[test]
fn acme_conf() {
    insta::assert_snapshot!(text(&acme(), "stackpack.conf"));
}

#[test]
fn acme_provisioning_script() {
    insta::assert_snapshot!(text(&acme(), "provisioning/AcmeProvision.groovy"));
}

#[test]
fn acme_shared_stj() {
    insta::assert_snapshot!(text(&acme(), "provisioning/templates/acme.stj"));
}

#[test]
fn acme_instance_stj() {
    insta::assert_snapshot!(text(&acme(), "provisioning/templates/acme-instance.stj"));
}

#[test]
fn acme_sync_templates() {
    let c = acme();
    insta::assert_snapshot!(format!(
        "{}\n---\n{}",
        text(&c, "provisioning/templates/component.json.handlebars"),
        text(&c, "provisioning/templates/relation.json.handlebars")
    ));
}

/// Groovy is included in the default mode (never `"identity"`, issue 10.1) with its braces
/// escaped, and the import pass gives back the original script.
#[test]
fn acme_scripts_are_escaped_for_the_import_pass() {
    let c = acme();
    let original = std::fs::read_to_string(common::fixture("acme/scripts/host-mapping.groovy")).unwrap_or_default();
    assert!(original.contains("}}"));
    let copied = text(&c, "provisioning/scripts/host-mapping.groovy");
    assert_ne!(copied, original);
    let no_files = |p: &str, _: stackpack::template::Encoding| -> Result<String, String> { Err(p.to_string()) };
    let any = |_: &str| true;
    let ctx = stackpack::template::MapContext {
        args: Default::default(),
        files: &no_files,
        known: &any,
    };
    let rendered = stackpack::template::render_import(&copied, &ctx).unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(rendered.text, original);
    let stj = text(&c, "provisioning/templates/acme.stj");
    assert!(stj.contains(r#""script": "{{ include "./scripts/host-mapping.groovy" }}""#));
    assert!(!stj.contains("identity"));
}

#[test]
fn release_notes_go_to_resources_and_the_conf() {
    let opts = CompileOptions {
        release_notes: Some("# Acme\n\n## 1.2.0\n".into()),
        ..CompileOptions::default()
    };
    let c = compile_dir("tests/fixtures/build/acme", &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text(&c, "resources/RELEASE.md"), "# Acme\n\n## 1.2.0\n");
    assert!(text(&c, "stackpack.conf").contains("releaseNotes = \"RELEASE.md\"\n"));
    assert!(!text(&acme(), "stackpack.conf").contains("releaseNotes"));
}

#[test]
fn stj_timestamp_is_the_build_time() {
    let opts = CompileOptions {
        timestamp: 1_618_185_600,
        ..CompileOptions::default()
    };
    let c = compile_dir("tests/fixtures/build/acme", &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&c, "provisioning/templates/acme.stj").contains("\"timestamp\": \"2021-04-12T00:00:00Z\""));
}

#[test]
fn legacy_single_instance_in_handlebars_mode() {
    let c = compile_dir("tests/fixtures/build/legacy", &CompileOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("legacy_entries", c.paths().collect::<Vec<_>>().join("\n"));
    insta::assert_snapshot!("legacy_conf", text(&c, "stackpack.conf"));
    insta::assert_snapshot!(
        "legacy_provisioning_script",
        text(&c, "provisioning/LegacyProvision.groovy")
    );
    insta::assert_snapshot!("legacy_stj", text(&c, "provisioning/templates/legacy-template.stj"));
    insta::assert_snapshot!("legacy_escaped_script", text(&c, "provisioning/scripts/ids.groovy"));
}
