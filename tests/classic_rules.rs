//! One fixture per classic and archive-reading rule (SP700-SP733, SP800-SP805): a copy of
//! `tests/fixtures/classic/minimal` (a clean classic pack) broken in one way, linted, and the
//! rule's human rendering snapshotted.

mod classic_common;

use classic_common::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classic/minimal")
}

/// Copy the fixture to `<tmp>/acme`, let `breakit` change it and name the lint target.
fn case(code: &str, breakit: impl FnOnce(&Path) -> String) -> String {
    case_env(code, &[], breakit)
}

fn case_env(code: &str, env: &[(&str, &str)], breakit: impl FnOnce(&Path) -> String) -> String {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("acme");
    copy_dir(&fixture(), &dir);
    let target = breakit(&dir);
    let run = |fmt: &[&str]| {
        let mut args = vec!["lint", target.as_str()];
        args.extend_from_slice(fmt);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackpack"))
            .args(&args)
            .current_dir(tmp.path())
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code_json, stdout, _) = run(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{code}: {e}: {stdout}"));
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    assert!(
        diags.iter().any(|d| d["code"] == code),
        "{code} not reported: {diags:#?}"
    );
    let any_error = diags.iter().any(|d| d["severity"] == "error");
    assert_eq!(code_json, if any_error { 1 } else { 0 }, "{code}: exit code");
    let (code_human, _, stderr) = run(&[]);
    assert_eq!(code_human, code_json);
    assert!(!stderr.contains("panicked"));
    stderr
        .split("\n\n")
        .filter(|b| b.contains(&format!("[{code}]")))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn conf(dir: &Path) -> PathBuf {
    dir.join("stackpack.conf")
}
const SHARED: &str = "provisioning/templates/acme.stj";
const INSTANCE: &str = "provisioning/templates/acme-instance.stj";
const TEMPLATE: &str = "provisioning/templates/component.json.handlebars";

fn append(path: &Path, text: &str) {
    let mut t = std::fs::read_to_string(path).expect("read");
    t.push_str(text);
    std::fs::write(path, t).expect("write");
}

#[test]
fn fixture_is_clean() {
    let r = stackpack(
        &["lint", &fixture().to_string_lossy()],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A clean run says so in one line (issue 13), and nothing else.
    assert!(
        r.stderr.starts_with("ok: no findings in ") && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
}

macro_rules! rule {
    ($name:ident, $code:literal, $body:expr) => {
        #[test]
        fn $name() {
            let out = case($code, $body);
            insta::assert_snapshot!(stringify!($name), out);
        }
    };
}

rule!(sp700_conf_syntax, "SP700", |d| {
    edit(&conf(d), "name = acme", "name = \"acme");
    "acme".into()
});
rule!(sp701_conf_missing, "SP701", |d| {
    std::fs::remove_file(conf(d)).expect("rm");
    let out = d.parent().expect("parent").join("acme-1.0.0.sts");
    zip_dir(d, &out, "");
    "acme-1.0.0.sts".into()
});
rule!(sp702_conf_unknown_key, "SP702", |d| {
    append(&conf(d), "displayname = \"Acme\"\n");
    "acme".into()
});
rule!(sp703_conf_bad_version, "SP703", |d| {
    append(&conf(d), "version = \"1.x\"\n");
    "acme".into()
});
rule!(sp704_conf_name, "SP704", |d| {
    edit(&conf(d), "name = acme", "name = Acme_Pack");
    "acme".into()
});
rule!(sp705_resource_missing, "SP705", |d| {
    edit(&conf(d), "INSTALLED: \"installed.md\"", "INSTALLED: \"instaled.md\"");
    "acme".into()
});
rule!(sp706_configuration_url_key, "SP706", |d| {
    edit(
        &conf(d),
        "  ERROR: \"empty.md\"",
        "  ERROR: \"empty.md\"\n  FAILED: \"empty.md\"",
    );
    "acme".into()
});
rule!(sp707_configuration_url_missing, "SP707", |d| {
    edit(&conf(d), "  ERROR: \"empty.md\"\n", "");
    "acme".into()
});
rule!(sp708_step_invalid, "SP708", |d| {
    edit(&conf(d), "type = \"text\"", "type = \"password\"");
    "acme".into()
});
rule!(sp709_conf_value, "SP709", |d| {
    edit(&conf(d), "releaseStatus = AVAILABLE", "releaseStatus = LIVE");
    "acme".into()
});
rule!(sp710_v2_marker, "SP710", |d| {
    append(&conf(d), "schemaVersion = \"2.0\"\n");
    "acme".into()
});
rule!(sp711_provision_missing, "SP711", |d| {
    edit(
        &conf(d),
        "provision = \"AcmeProvision\"",
        "provision = \"AcmeProvisioning\"",
    );
    "acme".into()
});
rule!(sp712_provision_undeclared, "SP712", |d| {
    edit(
        &d.join("provisioning/AcmeProvision.groovy"),
        "class AcmeProvision extends",
        "class AcmeInstaller extends",
    );
    "acme".into()
});
rule!(sp712_provision_placeholder, "SP712", |d| {
    std::fs::write(
        d.join("provisioning/AcmeProvision.groovy"),
        "// Placeholder: the original script is not redistributed here.\nreturn null\n",
    )
    .expect("write");
    "acme".into()
});
rule!(sp713_import_target_missing, "SP713", |d| {
    edit(
        &d.join("provisioning/AcmeProvision.groovy"),
        "templates/acme-instance.stj",
        "templates/acme-instances.stj",
    );
    "acme".into()
});
rule!(sp714_stj_not_json, "SP714", |d| {
    edit(&d.join(SHARED), "\"name\": \"server\",", "\"name\": \"server\"");
    "acme".into()
});
rule!(sp715_stj_envelope, "SP715", |d| {
    std::fs::write(d.join(SHARED), "[]\n").expect("write");
    "acme".into()
});
rule!(sp716_stj_envelope_fields, "SP716", |d| {
    edit(&d.join(SHARED), "  \"timestamp\": \"2024-01-01T00:00:00Z\",\n", "");
    "acme".into()
});
rule!(sp717_unknown_type, "SP717", |d| {
    edit(&d.join(INSTANCE), "\"_type\": \"Sync\"", "\"_type\": \"Synch\"");
    "acme".into()
});
rule!(sp718_type_whitespace, "SP718", |d| {
    edit(
        &d.join(TEMPLATE),
        "\"_type\": \"Component\"",
        "\"_type\": \"Component \"",
    );
    "acme".into()
});
rule!(sp719_duplicate_id, "SP719", |d| {
    edit(&d.join(INSTANCE), "\"id\": -6,", "\"id\": -4,");
    "acme".into()
});
rule!(sp720_dangling_id, "SP720", |d| {
    edit(&d.join(INSTANCE), "\"extTopology\": -3,", "\"extTopology\": -30,");
    "acme".into()
});
rule!(sp721_duplicate_identifier, "SP721", |d| {
    edit(&d.join(INSTANCE), ":sync:acme\"", ":data-source:acme\"");
    "acme".into()
});
rule!(sp722_get_unresolved, "SP722", |d| {
    edit(
        &d.join(TEMPLATE),
        "urn:stackpack:common:layer:machines",
        "urn:stackpack:base:layer:machines",
    );
    "acme".into()
});
rule!(sp723_include_missing, "SP723", |d| {
    edit(&d.join(SHARED), "./icons/server.png", "./templates/server.png");
    "acme".into()
});
rule!(sp724_include_escapes, "SP724", |d| {
    edit(&d.join(SHARED), "./icons/server.png", "/etc/server.png");
    "acme".into()
});
rule!(sp725_include_encoding, "SP725", |d| {
    edit(
        &d.join(SHARED),
        "\"./scripts/id-extractor.groovy\"",
        "\"./scripts/id-extractor.groovy\" \"base64\"",
    );
    "acme".into()
});
rule!(sp726_template_syntax, "SP726", |d| {
    edit(&d.join(TEMPLATE), "    \\{{/ join \\}}\n", "");
    "acme".into()
});
rule!(sp727_sync_template_syntax, "SP727", |d| {
    // `\u007b` is `{`: only the JSON-decoded template body holds the unclosed block.
    edit(
        &d.join(SHARED),
        "\"{{ include \"./templates/component.json.handlebars\" }}\"",
        "\"\\u007b\\u007b#if element.data.x}} {}\"",
    );
    "acme".into()
});
rule!(sp728_urn_shape, "SP728", |d| {
    edit(&d.join(INSTANCE), ":sync:acme\"", ":sync:Acme Sync\"");
    "acme".into()
});
rule!(sp729_urn_namespace, "SP729", |d| {
    edit(
        &d.join(INSTANCE),
        "urn:stackpack:acme:instance:{{instanceId}}:sync:acme",
        "urn:stackpack:acme:shared:sync:acme",
    );
    "acme".into()
});
rule!(sp730_import_variable, "SP730", |d| {
    edit(
        &d.join(INSTANCE),
        "\"Acme {{instanceName}}\"",
        "\"Acme {{instanceLabel}}\"",
    );
    "acme".into()
});
rule!(sp731_archive_layout, "SP731", |d| {
    std::fs::write(d.join("README.md"), "# Acme\n").expect("write");
    "acme".into()
});
rule!(sp732_archive_file_name, "SP732", |d| {
    let out = d.parent().expect("parent").join("acme.sts");
    zip_dir(d, &out, "version = 1.0.0\n");
    "acme.sts".into()
});
rule!(sp800_archive_unreadable, "SP800", |d| {
    let out = d.parent().expect("parent").join("acme-1.0.0.sts");
    std::fs::write(&out, b"PK\x03\x04 this is not a zip").expect("write");
    "acme-1.0.0.sts".into()
});

#[test]
fn sp803_archive_too_large() {
    let out = case_env("SP803", &[("STACKPACK_MAX_TOTAL_SIZE", "1K")], |d| {
        let out = d.parent().expect("parent").join("acme-1.0.0.sts");
        zip_dir(d, &out, "version = 1.0.0\n");
        "acme-1.0.0.sts".into()
    });
    insta::assert_snapshot!("sp803_archive_too_large", out);
}

#[test]
fn sp804_symlink_entry() {
    let out = case("SP804", |d| {
        let out = d.parent().expect("parent").join("acme-1.0.0.sts");
        zip_dir(d, &out, "version = 1.0.0\n");
        // Re-open and append a symlink entry.
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&out)
            .expect("open");
        let mut w = zip::ZipWriter::new_append(f).expect("append");
        w.add_symlink(
            "resources/passwd.md",
            "/etc/passwd",
            zip::write::SimpleFileOptions::default(),
        )
        .expect("symlink");
        w.finish().expect("finish");
        "acme-1.0.0.sts".into()
    });
    insta::assert_snapshot!("sp804_symlink_entry", out);
}

#[test]
fn sp805_duplicate_entry() {
    let out = case("SP805", |d| {
        let out = d.parent().expect("parent").join("acme-1.0.0.sts");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&out).expect("create"));
        for name in ["stackpack.conf", "stackpack.cong"] {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(b"name = acme\n").expect("write");
        }
        w.finish().expect("finish");
        // Rename the second entry to the first one's name in every header.
        let bytes = std::fs::read(&out).expect("read");
        let (from, to) = (b"stackpack.cong", b"stackpack.conf");
        let mut patched = bytes.clone();
        let mut i = 0;
        while i + from.len() <= patched.len() {
            if &patched[i..i + from.len()] == from {
                patched[i..i + from.len()].copy_from_slice(to);
            }
            i += 1;
        }
        std::fs::write(&out, patched).expect("write");
        "acme-1.0.0.sts".into()
    });
    insta::assert_snapshot!("sp805_duplicate_entry", out);
}

#[test]
fn sp733_import_kept_verbatim() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("acme");
    copy_dir(&fixture(), &dir);
    edit(
        &dir.join(SHARED),
        "  ],\n  \"timestamp\"",
        "  ,{\n      \"_type\": \"ComponentActionDefinition\",\n      \"identifier\": \"urn:stackpack:acme:shared:component-action-definition:restart\",\n      \"name\": \"Restart\",\n      \"bindQuery\": \"type = 'server'\",\n      \"script\": \"return null\"\n    }\n  ],\n  \"timestamp\"",
    );
    let r = stackpack(&["import", "acme", "--out", "out", "--version", "1.0.0"], tmp.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let blocks: Vec<&str> = r
        .stderr
        .split("\n\n")
        .filter(|b| b.contains("warning[SP733]"))
        .collect();
    assert_eq!(blocks.len(), 1, "{}", r.stderr);
    insta::assert_snapshot!("sp733_import_kept_verbatim", blocks.join("\n\n"));
    let yaml = std::fs::read_to_string(tmp.path().join("out/nodes/acme.yaml")).expect("nodes");
    assert!(
        yaml.contains("stj-nodes:") && yaml.contains("type: ComponentActionDefinition"),
        "{yaml}"
    );
    // And it still builds back into the same nodes.
    let b = stackpack(&["build", "out", "--out", "dist"], tmp.path());
    assert_eq!(b.code, 0, "{}", b.stderr);
}

rule!(sp734_sync_tag_unescaped, "SP734", |d| {
    edit(
        &d.join(TEMPLATE),
        "\"\\{{ element.data.name \\}}\"",
        "\"{{ element.data.name }}\"",
    );
    "acme".into()
});
rule!(sp735_legacy_helper, "SP735", |d| {
    edit(
        &d.join(TEMPLATE),
        "\\{{ get \"urn:stackpack:common:layer:machines\" \\}}",
        "\\{{ resolveOrCreate \"Layer\" element.data.layer \"Machines\" \\}}",
    );
    "acme".into()
});
rule!(sp736_get_or_create, "SP736", |d| {
    edit(
        &d.join(TEMPLATE),
        "\\{{ get \"urn:stackpack:common:layer:machines\" \\}}",
        "\\{{ getOrCreate \"urn:stackpack:common:layer:machines\" \"urn:stackpack:acme:shared:layer:machines\" \"Type=Layer;Name=Machines\" \\}}",
    );
    "acme".into()
});
rule!(sp737_node_shape, "SP737", |d| {
    edit(&d.join(SHARED), "\"groovyScript\":", "\"script\":");
    "acme".into()
});
rule!(sp738_unusual_value, "SP738", |d| {
    edit(
        &d.join(INSTANCE),
        "\"mergeStrategy\": \"MergePreferTheirs\"",
        "\"mergeStrategy\": \"MergePreferMine\"",
    );
    "acme".into()
});

#[test]
fn sp709_common_not_declared() {
    let out = case("SP709", |d| {
        edit(&conf(d), "dependencies: {\n  common: \"2.5.1\"\n}\n", "");
        "acme".into()
    });
    insta::assert_snapshot!("sp709_common_not_declared", out);
}

#[test]
fn sp739_import_order() {
    let out = case("SP739", |d| {
        let p = d.join("provisioning/AcmeProvision.groovy");
        edit(
            &p,
            "context().stackPack().importSnapshot(\"templates/acme.stj\", [:]) >>",
            "context().instance().importSnapshot(\"templates/acme-instance.stj\", args) >>",
        );
        edit(
            &p,
            "      context().instance().importSnapshot(\"templates/acme-instance.stj\", args)",
            "      context().stackPack().importSnapshot(\"templates/acme.stj\", [:])",
        );
        "acme".into()
    });
    insta::assert_snapshot!("sp739_import_order", out);
}

rule!(sp740_monitor_version, "SP740", |d| {
    edit(
        &d.join(SHARED),
        "  ],\n  \"timestamp\"",
        "  ,{\n      \"_type\": \"Monitor\",\n      \"identifier\": \"urn:stackpack:acme:shared:monitor:cpu\",\n      \"name\": \"CPU\",\n      \"function\": {{ get \"urn:stackpack:common:monitor-function:threshold\" }},\n      \"arguments\": [],\n      \"intervalSeconds\": 60\n    }\n  ],\n  \"timestamp\"",
    );
    "acme".into()
});
rule!(sp741_groovy_braces, "SP741", |d| {
    append(
        &d.join("provisioning/scripts/id-extractor.groovy"),
        "def m = [a: [b: 1]]}}\n",
    );
    "acme".into()
});
// A one-line script without quotes or backslashes: verbatim it is still a valid string body.
rule!(sp742_identity_in_json_string, "SP742", |d| {
    std::fs::write(
        d.join("provisioning/scripts/id-extractor.groovy"),
        "return Sts.createId(element.externalId, new HashSet(), element.typeName.toLowerCase())",
    )
    .expect("write");
    edit(
        &d.join(SHARED),
        "\"./scripts/id-extractor.groovy\"",
        "\"./scripts/id-extractor.groovy\" \"identity\"",
    );
    "acme".into()
});
// The fixture's multi-line script with `"`: one error at the include, no JSON error after it.
rule!(sp743_identity_breaks_json_string, "SP743", |d| {
    edit(
        &d.join(SHARED),
        "\"./scripts/id-extractor.groovy\"",
        "\"./scripts/id-extractor.groovy\" \"identity\"",
    );
    "acme".into()
});

/// SP743 is the only finding of a broken identity include: the node is still analysed (its
/// other fields, ids and references), so nothing cascades into SP713 (not JSON). The same in
/// a `.sts`.
#[test]
fn identity_include_that_breaks_the_string_is_one_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("acme");
    copy_dir(&fixture(), &dir);
    edit(
        &dir.join(SHARED),
        "\"./scripts/id-extractor.groovy\"",
        "\"./scripts/id-extractor.groovy\" \"identity\"",
    );
    let sts = tmp.path().join("acme-1.0.0.sts");
    zip_dir(&dir, &sts, "version = 1.0.0\n");
    for target in [dir, sts] {
        let r = stackpack(&["lint", &target.to_string_lossy(), "--format", "json"], tmp.path());
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
        let codes: Vec<&str> = v["diagnostics"]
            .as_array()
            .map(|a| a.iter().filter_map(|d| d["code"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(codes, ["SP743"], "{}: {}", target.display(), r.stdout);
        assert_eq!(r.code, 1);
    }
}
