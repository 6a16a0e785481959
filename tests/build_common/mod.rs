// Shared helpers of the build tests (included by each `tests/build_*.rs` via #[path]).
#![allow(dead_code)]

use stackpack::compile::{compile, CompileOptions, Compiled};
use stackpack::diag::render::{render, Format, RenderOptions};
use stackpack::diag::Diagnostics;
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/build")
        .join(name)
}

/// Load and compile a pack directory given relative to the crate root (so that diagnostics
/// show stable paths). Returns the compiled pack, or the rendered human diagnostics.
pub fn compile_dir(rel: &str, opts: &CompileOptions) -> Result<Compiled, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).map_err(|e| e.to_string())?;
    let mut diags = Diagnostics::new();
    let pack = stackpack::model::load_pack(Path::new(rel), &mut diags).map_err(|e| e.to_string())?;
    let pack = match pack {
        Ok(p) => p,
        Err(sources) => return Err(render(Format::Human, &diags, &sources, RenderOptions::default())),
    };
    if diags.has_errors() {
        return Err(render(Format::Human, &diags, &pack.sources, RenderOptions::default()));
    }
    compile(&pack, opts).map_err(|mut d| {
        d.sort(&pack.sources);
        render(Format::Human, &d, &pack.sources, RenderOptions::default())
    })
}

pub fn text(c: &Compiled, path: &str) -> String {
    match c.get(path) {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => panic!("no entry {path}; entries: {:?}", c.paths().collect::<Vec<_>>()),
    }
}
