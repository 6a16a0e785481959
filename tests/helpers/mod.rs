//! Helpers every CLI integration test shares (included with `mod helpers;`, or via `#[path]`
//! from the per-area helper modules).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The crate root (where `stackpack/`, `changelog/` and `tests/fixtures/` live).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus of real classic packs, beside the checkout (absent: `None`, tests skip).
pub fn corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus/v1");
    p.is_dir().then_some(p)
}

/// Copy the directory tree `from` to `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    for e in entries.flatten() {
        let (p, t) = (e.path(), to.join(e.file_name()));
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap_or_else(|e| panic!("copy {}: {e}", p.display()));
        }
    }
}

/// What one run of the binary printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `stackpack args…` in `dir`, without colours and with a fixed archive timestamp.
pub fn stackpack(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1600000000")
        .output()
        .unwrap_or_else(|e| panic!("cannot run stackpack: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
