//! `stackpack import` round trip: every corpus pack imports into declarative sources, `stackpack
//! build` turns them back into an archive, and that archive has the same `(_type, identifier)`
//! nodes, the same conf name and steps, and the same resources as the original.

mod classic_common;

use classic_common::*;
use stackpack::classic::lint::{analyse, Classic};
use stackpack::diag::Diagnostics;
use std::collections::BTreeSet;
use std::path::Path;

fn load(path: &Path) -> (Classic, Diagnostics) {
    let mut d = Diagnostics::new();
    let c = analyse(path, &mut d).expect("readable").expect("accepted");
    (c, d)
}

fn nodes(c: &Classic) -> BTreeSet<(String, String)> {
    c.templates
        .files
        .iter()
        .flat_map(|f| f.nodes.iter())
        .map(|n| {
            (
                n.stj_type.clone(),
                n.identifier.as_ref().map(|i| i.value.clone()).unwrap_or_default(),
            )
        })
        .collect()
}

fn steps(c: &Classic) -> Vec<(String, String, String)> {
    c.conf
        .steps
        .iter()
        .map(|s| (s.name.value.clone(), s.display.value.clone(), s.kind.value.clone()))
        .collect()
}

#[test]
fn corpus_packs_round_trip_through_import_and_build() {
    round_trip(&[
        ("sap", "sap", "1.3.2"),
        ("splunk", "splunk-topology", "1.2.1"),
        ("autosync", "autosync", "3.1.1"),
    ]);
}

/// autosync's templates use `{{integrationType}}`/`{{integrationUrl}}`, import arguments its own
/// provisioning script computes (they are not install steps). `import` declares them as
/// `[provisioning] variables`, so they stay import-time expressions in the rebuilt pack.
#[test]
fn autosync_import_declares_script_computed_variables() {
    if !corpus_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(
        &["import", &corpus("autosync").to_string_lossy(), "--out", "src"],
        tmp.path(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let manifest = std::fs::read_to_string(tmp.path().join("src/stackpack.toml")).unwrap_or_default();
    assert!(
        manifest.contains("variables = [\"integrationType\", \"integrationUrl\"]"),
        "{manifest}"
    );
    // The component template keeps them unescaped (import time) and escapes the sync-time tags.
    let lint = stackpack(&["lint", "src"], tmp.path());
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    assert!(!lint.stderr.contains("SP302"), "{}", lint.stderr);
}

/// The classic fixture pack (independent of the corpus) round-trips too.
#[test]
fn fixture_pack_round_trips_through_import_and_build() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classic/minimal");
    round_trip_dirs(&[(fixture, "acme", "1.0.0")]);
}

fn round_trip(packs: &[(&str, &str, &str)]) {
    if !corpus_available() {
        eprintln!("corpus not available; skipped");
        return;
    }
    let dirs: Vec<_> = packs.iter().map(|&(p, n, v)| (corpus(p), n, v)).collect();
    round_trip_dirs(&dirs);
}

fn round_trip_dirs(packs: &[(std::path::PathBuf, &str, &str)]) {
    for (src, name, version) in packs {
        let (name, version) = (*name, *version);
        let pack = name;
        let tmp = tempfile::tempdir().expect("tmp");
        let imp = stackpack(
            &["import", &src.to_string_lossy(), "--out", "src", "--version", version],
            tmp.path(),
        );
        assert_eq!(imp.code, 0, "{pack}: {}", imp.stderr);
        // Written in `fmt`'s layout: a CI that runs `fmt --check` accepts the import as it is.
        let fmt = stackpack(&["fmt", "--check", "src"], tmp.path());
        assert_eq!(
            fmt.code, 0,
            "{pack}: imported sources are not in fmt's layout: {}",
            fmt.stderr
        );
        let build = stackpack(&["build", "src", "--out", "dist"], tmp.path());
        assert_eq!(build.code, 0, "{pack}: {}", build.stderr);
        let archive = tmp.path().join("dist").join(format!("{name}-{version}.sts"));
        assert!(archive.is_file(), "{pack}: no {}", archive.display());

        let (orig, _) = load(src);
        let (rebuilt, diags) = load(&archive);
        assert!(
            !diags.has_errors(),
            "{pack}: rebuilt archive lints with errors: {diags:#?}"
        );
        assert!(!nodes(&orig).is_empty());
        assert_eq!(nodes(&rebuilt), nodes(&orig), "{pack}: nodes differ");
        assert_eq!(rebuilt.conf.name(), orig.conf.name(), "{pack}");
        assert_eq!(rebuilt.conf.version.as_ref().map(|v| v.value.as_str()), Some(version));
        assert_eq!(steps(&rebuilt), steps(&orig), "{pack}: steps differ");
        let deps = |c: &Classic| -> Vec<(String, String)> {
            c.conf
                .dependencies
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone()))
                .collect()
        };
        assert_eq!(deps(&rebuilt), deps(&orig), "{pack}: dependencies differ");
        let s = |v: &Option<stackpack::source::Spanned<String>>| v.as_ref().map(|x| x.value.clone());
        let scalars = |c: &Classic| {
            (
                s(&c.conf.display_name),
                s(&c.conf.logo_url),
                s(&c.conf.overview_url),
                s(&c.conf.detailed_overview_url),
                s(&c.conf.docs_url),
                s(&c.conf.provision),
                c.conf.is_new,
                c.conf.is_multi_config,
                c.conf.categories.iter().map(|x| x.value.clone()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(scalars(&rebuilt), scalars(&orig), "{pack}: conf values differ");
        let pages = |c: &Classic| -> Vec<(String, String)> {
            c.conf
                .configuration_urls
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone()))
                .collect()
        };
        assert_eq!(pages(&rebuilt), pages(&orig), "{pack}: configurationUrls differ");
        // Resources: every original file, byte for byte.
        for (path, bytes) in orig.files.files.iter().filter(|(p, _)| p.starts_with("resources/")) {
            assert_eq!(rebuilt.files.bytes(path), Some(bytes.as_slice()), "{pack}: {path}");
        }
        // The original provisioning script is shipped verbatim, with its templates' names.
        for f in &orig.templates.files {
            assert!(rebuilt.files.exists(&f.rel), "{pack}: {} missing", f.rel);
        }
        let class = orig.provisioning.class_file.clone().expect("class file");
        assert_eq!(rebuilt.files.bytes(&class), orig.files.bytes(&class), "{pack}: {class}");
    }
}

#[test]
fn import_of_an_archive_writes_nothing_when_the_out_dir_is_not_empty() {
    if !corpus_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(tmp.path().join("out")).expect("mkdir");
    std::fs::write(tmp.path().join("out/keep.txt"), "mine").expect("write");
    let r = stackpack(
        &[
            "import",
            &corpus("sap").to_string_lossy(),
            "--out",
            "out",
            "--version",
            "1.0.0",
        ],
        tmp.path(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let left: Vec<_> = std::fs::read_dir(tmp.path().join("out")).expect("ls").collect();
    assert_eq!(left.len(), 1);
    // No stray temporary directory either.
    let siblings: Vec<_> = std::fs::read_dir(tmp.path()).expect("ls").collect();
    assert_eq!(siblings.len(), 1);
}

#[test]
fn imported_sap_sources_snapshot() {
    if !corpus_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let r = stackpack(
        &["import", &corpus("sap").to_string_lossy(), "--out", "src"],
        tmp.path(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let read = |p: &str| std::fs::read_to_string(tmp.path().join("src").join(p)).expect("read");
    insta::assert_snapshot!("import_sap_manifest", read("stackpack.toml"));
    insta::assert_snapshot!("import_sap_instance_nodes", read("nodes/sap-instance-template.yaml"));
    insta::assert_snapshot!("import_sap_shared_nodes", read("nodes/sap.yaml"));
    let tpl = read("templates/SAP generic relation template.json.handlebars");
    assert!(
        tpl.contains("{{#if element.data.description}}") && !tpl.contains("\\{{"),
        "{tpl}"
    );
}

#[test]
fn import_from_an_archive_takes_the_version_from_its_conf() {
    if !corpus_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    zip_dir(
        &corpus("splunk"),
        &tmp.path().join("splunk-topology-1.2.1.sts"),
        "\nversion = 1.2.1\n",
    );
    let r = stackpack(&["import", "splunk-topology-1.2.1.sts", "--out", "src"], tmp.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let toml = std::fs::read_to_string(tmp.path().join("src/stackpack.toml")).expect("toml");
    assert!(toml.contains("version = \"1.2.1\""), "{toml}");
    let b = stackpack(&["build", "src", "--out", "dist"], tmp.path());
    assert_eq!(b.code, 0, "{}", b.stderr);
    let (orig, _) = load(&tmp.path().join("splunk-topology-1.2.1.sts"));
    let (rebuilt, _) = load(&tmp.path().join("dist/splunk-topology-1.2.1.sts"));
    assert_eq!(nodes(&rebuilt), nodes(&orig));
}

/// Issue 10.7: a classic pack without a `common` dependency (the published tutorial) imports
/// into sources whose manifest has a `min-stackstate-version` inferred from the features it uses,
/// so `build` accepts it without a hand edit.
#[test]
fn min_version_is_inferred_without_common() {
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("nc");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classic/minimal"),
        &pack,
    );
    edit(
        &pack.join("stackpack.conf"),
        "dependencies: {\n  common: \"2.5.1\"\n}",
        "",
    );
    edit(
        &pack.join("provisioning/templates/component.json.handlebars"),
        ",\n  \"layer\": \\{{ get \"urn:stackpack:common:layer:machines\" \\}}\n",
        "\n",
    );
    let r = stackpack(&["import", "nc", "--out", "src", "--version", "1.0.0"], tmp.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("min-stackstate-version set to"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("does not say which StackState version"),
        "{}",
        r.stderr
    );
    let manifest = std::fs::read_to_string(tmp.path().join("src/stackpack.toml")).unwrap_or_default();
    assert!(manifest.contains("min-stackstate-version = \""), "{manifest}");
    let b = stackpack(&["build", "src", "--out", "out"], tmp.path());
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(!b.stderr.contains("SP500"), "{}", b.stderr);
}
