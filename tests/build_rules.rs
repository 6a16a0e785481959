//! Every compile/archive rule (SP850-SP859) triggered by a fixture, with its human rendering.

#[path = "build_common/mod.rs"]
mod common;

use common::compile_dir;
use stackpack::compile::CompileOptions;

fn errors(rel: &str, opts: &CompileOptions) -> String {
    match compile_dir(rel, opts) {
        Ok(c) => panic!("{rel} compiled: {:?}", c.paths().collect::<Vec<_>>()),
        Err(e) => e,
    }
}

macro_rules! rule {
    ($name:ident, $code:literal) => {
        #[test]
        fn $name() {
            let out = errors(
                concat!("tests/fixtures/build/rules/", stringify!($name)),
                &CompileOptions::default(),
            );
            assert!(out.contains(concat!("error[", $code, "]")), "{out}");
            insta::assert_snapshot!(out);
        }
    };
}

rule!(sp850, "SP850");
rule!(sp851, "SP851");
rule!(sp852, "SP852");
rule!(sp853, "SP853");
rule!(sp854, "SP854");
rule!(sp856, "SP856");
rule!(sp857, "SP857");
rule!(sp858, "SP858");
rule!(sp859, "SP859");

#[test]
fn sp855_broken_override_template() {
    let opts = CompileOptions {
        templates: Some("tests/fixtures/build/rules/sp855-templates".into()),
        ..CompileOptions::default()
    };
    let out = errors("tests/fixtures/build/acme", &opts);
    assert!(out.contains("error[SP855]"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn sp859_file_vanishes_between_load_and_compile() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("pack");
    for (p, t) in [
        (
            "stackpack.toml",
            "name = \"gone\"\ndisplay-name = \"Gone\"\nversion = \"1.0.0\"\n",
        ),
        ("resources/overview.md", "# Gone\n"),
    ] {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap_or(&dir)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(path, t).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut diags = stackpack::diag::Diagnostics::new();
    let pack = stackpack::model::load_pack(&dir, &mut diags);
    let Ok(Ok(pack)) = pack else { panic!("does not load") };
    std::fs::remove_file(dir.join("resources/overview.md")).unwrap_or_else(|e| panic!("{e}"));
    let Err(errs) = stackpack::compile::compile(&pack, &CompileOptions::default()) else {
        panic!("compiled without its overview");
    };
    let codes: Vec<_> = errs.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["SP859"]);
    let msg = errs.iter().map(|d| d.message.clone()).collect::<String>();
    assert!(msg.starts_with("cannot read `resources/overview.md`"), "{msg}");
}
