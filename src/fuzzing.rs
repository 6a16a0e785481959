//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the regression tests of their
//! findings (`tests/fuzz_regressions.rs`): each runs one parser or stage on arbitrary text and
//! renders its diagnostics. They must never panic.

use crate::diag::render::{render, Format, RenderOptions};
use crate::diag::Diagnostics;
use crate::source::SourceMap;
use crate::template::{self, Encoding, MapContext};
use std::collections::BTreeMap;

fn render_all(diags: &Diagnostics, sources: &SourceMap) {
    for f in [Format::Human, Format::Json, Format::Sarif] {
        let _ = render(f, diags, sources, RenderOptions::default());
    }
}

/// A classic pack held in memory, analysed like `stackpack lint` does, findings rendered.
fn classic(files: BTreeMap<String, Vec<u8>>) {
    let mut diags = Diagnostics::new();
    let origin = crate::classic::pack::Origin::Archive(std::path::PathBuf::from("fuzz-1.0.0.sts"));
    let c = crate::classic::lint::analyse_files(crate::classic::pack::Files::new(origin, files), &mut diags);
    render_all(&diags, &c.files.sources);
}

const CONF: &str = "name = fuzz\ndisplayName = \"Fuzz\"\nversion = \"1.0.0\"\nlogoUrl = \"logo.png\"\nprovision = \"FuzzProvision\"\nsteps = [{ name = \"url\", display = \"URL\", value = { type = \"text\" } }]\ndependencies { common = \"2.5.1\" }\n";
const PROVISION: &str = "class FuzzProvision extends ProvisioningScript {\n  install(Map config) { context().stackPack().importSnapshot(\"templates/fuzz.stj\", [:]) }\n}\n";

/// `stackpack.conf` text (HOCON), parsed and checked as a classic pack's conf.
pub fn hocon(text: &str) {
    let _ = crate::classic::hocon::parse(crate::source::FileId(0), text);
    let mut files = BTreeMap::new();
    files.insert("stackpack.conf".to_string(), text.as_bytes().to_vec());
    files.insert(
        "provisioning/FuzzProvision.groovy".to_string(),
        PROVISION.as_bytes().to_vec(),
    );
    classic(files);
}

/// An `.stj` template of a classic pack: rendered at import time, parsed, checked.
pub fn stj(text: &str) {
    let mut files = BTreeMap::new();
    files.insert("stackpack.conf".to_string(), CONF.as_bytes().to_vec());
    files.insert(
        "provisioning/FuzzProvision.groovy".to_string(),
        PROVISION.as_bytes().to_vec(),
    );
    files.insert("provisioning/templates/fuzz.stj".to_string(), text.as_bytes().to_vec());
    files.insert(
        "provisioning/templates/t.json.handlebars".to_string(),
        b"{\"name\": \"\\{{ element.name \\}}\"}".to_vec(),
    );
    files.insert("resources/logo.png".to_string(), crate::synth::TINY_PNG.to_vec());
    classic(files);
}

/// Arbitrary bytes as a `.sts` archive: read with small caps, then linted as a classic pack.
pub fn archive(data: &[u8]) {
    let limits = crate::archive::read::Limits {
        max_entry_size: 1 << 20,
        max_total_size: 4 << 20,
        max_entries: 256,
    };
    let mut diags = Diagnostics::new();
    let entries = crate::archive::read::read_from(std::io::Cursor::new(data), "fuzz.sts", &limits, &mut diags);
    render_all(&diags, &SourceMap::new());
    if let Some(entries) = entries {
        classic(entries.into_iter().map(|e| (e.path, e.bytes)).collect());
    }
}

/// `stackpack.toml` text.
pub fn manifest(text: &str) {
    let mut sources = SourceMap::new();
    let id = sources.add("stackpack.toml", None, text);
    let mut diags = Diagnostics::new();
    if let Some(v) = crate::load::toml::parse(id, sources.file(id), &mut diags) {
        let _ = crate::model::manifest::lower(id, &v, &BTreeMap::new(), &mut diags);
    }
    render_all(&diags, &sources);
}

/// A node file's text.
pub fn nodes_yaml(text: &str) {
    let mut sources = SourceMap::new();
    let id = sources.add("nodes/x.yaml", None, text);
    let mut diags = Diagnostics::new();
    if let Some(docs) = crate::load::yaml::parse(id, sources.file(id), &mut diags) {
        let mut nodes = Vec::new();
        for d in &docs {
            crate::model::nodes::lower_file(d, &mut nodes, &mut diags);
        }
        let index = crate::model::Index::build("fuzz", &nodes);
        let _ = index.urns.len();
    }
    render_all(&diags, &sources);
}

/// A template, in author or STJ form.
pub fn template(text: &str) {
    if let Ok(scanned) = template::scan(text, &["instanceName", "topicName"]) {
        let expand = |s: &str| Some(format!("urn:stackpack:fuzz:shared:{s}"));
        let stj = template::to_stj(text, &scanned, &expand);
        let _ = template::scan(&stj, &["instanceName", "topicName"]);
        let _ = template::get_targets(&scanned);
    }
    let files = |p: &str, _: Encoding| -> Result<String, String> {
        if p.len() < 40 {
            Ok(format!("included {p} {{{{instanceName}}}}"))
        } else {
            Err("too long".into())
        }
    };
    let known = |u: &str| !u.is_empty();
    let ctx = MapContext {
        args: [("instanceName".to_string(), "x".to_string())].into_iter().collect(),
        files: &files,
        known: &known,
    };
    if let Ok(r) = template::render_import(text, &ctx) {
        for o in [0, r.text.len() / 2, r.text.len()] {
            let _ = r.source_offset(o);
        }
    }
}

const V1_MANIFEST: &str = "name = \"fuzz\"\ndisplay-name = \"Fuzz\"\nversion = \"1.0.0\"\nmin-stackstate-version = \"5.1.0\"\nlogo = \"resources/logo.png\"\n\n[dependencies]\ncommon = \"3.0.0\"\n";

/// A node file in a declarative pack held in memory: loaded, modelled, checked and compiled —
/// the compiler runs whatever the checks say, as `build` does while it checks on another
/// thread — and the archive written to memory. The oracle: when the checks and the compiler
/// find no error, `lint` of that archive (the classic lint) must find none either (`build`
/// never writes an archive that `lint` rejects).
pub fn compile(text: &str) {
    let _ = compile_is_clean(text);
}

/// [`compile`], returning whether the pack was clean (no error from the checks or the compiler).
pub fn compile_is_clean(text: &str) -> bool {
    let mut files = BTreeMap::new();
    files.insert("stackpack.toml".to_string(), V1_MANIFEST.as_bytes().to_vec());
    files.insert("nodes/fuzz.yaml".to_string(), text.as_bytes().to_vec());
    files.insert("resources/logo.png".to_string(), crate::synth::TINY_PNG.to_vec());
    files.insert("resources/overview.md".to_string(), b"# Fuzz\n".to_vec());
    files.insert(
        "templates/component.json.handlebars".to_string(),
        b"{ \"_type\": \"Component\", \"name\": \"{{ element.data.name }}\" }\n".to_vec(),
    );
    files.insert("scripts/map.groovy".to_string(), b"element\n".to_vec());
    files.insert(
        "scripts/ids.groovy".to_string(),
        b"Sts.createId(topologyElement.externalId, new HashSet(), \"urn:fuzz\")\n".to_vec(),
    );
    let mut diags = Diagnostics::new();
    let loaded = crate::load::load_from_memory(std::path::Path::new("fuzz"), &files, &mut diags);
    let pack = match crate::model::build(loaded, &mut diags) {
        Ok(p) => p,
        Err(sources) => {
            render_all(&diags, &sources);
            return false;
        }
    };
    diags.extend(crate::check::run(&pack, &crate::check::CheckOptions::default()));
    let compiled = crate::compile::compile(&pack, &crate::compile::CompileOptions::default());
    let clean = !diags.has_errors() && compiled.is_ok();
    render_all(&diags, &pack.sources);
    let Ok(compiled) = compiled else { return false };
    let mut zip = Vec::new();
    if crate::archive::write::write_zip(&mut zip, &compiled.entries, crate::archive::write::DEFAULT_EPOCH).is_err() {
        return false;
    }
    let limits = crate::archive::read::Limits::default();
    let mut read_diags = Diagnostics::new();
    let Some(entries) =
        crate::archive::read::read_from(std::io::Cursor::new(&zip), "fuzz-1.0.0.sts", &limits, &mut read_diags)
    else {
        assert!(!clean, "the archive of a clean pack does not read back");
        return false;
    };
    let mut lint = Diagnostics::new();
    let origin = crate::classic::pack::Origin::Archive(std::path::PathBuf::from("fuzz-1.0.0.sts"));
    let files: BTreeMap<String, Vec<u8>> = entries.into_iter().map(|e| (e.path, e.bytes)).collect();
    let _ = crate::classic::lint::analyse_files(crate::classic::pack::Files::new(origin, files), &mut lint);
    if clean && lint.has_errors() {
        let mut shown = String::new();
        for d in lint.iter().filter(|d| d.severity == crate::diag::Severity::Error) {
            shown.push_str(&format!("{}: {}\n", d.code, d.message));
        }
        panic!("build accepted the pack but lint rejects its archive:\n{shown}");
    }
    clean
}
