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
