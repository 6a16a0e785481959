//! Shared helpers of the changelog integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The manifest of the stand-in for the example pack: the values the Agent V2 StackPack has at
/// 4.3.1, and the changelog beside it.
pub const MANIFEST: &str = "# The Agent V2 StackPack (test stand-in)\nname = \"stackstate-agent-v2\"\ndisplay-name = \"StackState Agent V2\"\nversion = \"4.3.1\"  # set by `stackpack release`\nmin-stackstate-version = \"4.3.0\"\nlogo = \"resources/logo.png\"\nchangelog = \"../changelog\"\n\n[dependencies]\ncommon = \"2.5.0\"\n";

/// A temporary directory with `pack/stackpack.toml` and a copy of the repository's `changelog/`.
pub fn temp_example() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join("pack")).expect("mkdir");
    std::fs::write(tmp.path().join("pack/stackpack.toml"), MANIFEST).expect("write");
    write_logo_and_overview(&tmp.path().join("pack"));
    copy_dir(&repo().join("changelog"), &tmp.path().join("changelog"));
    tmp
}

/// The logo and the overview page every pack needs (`build` and `release` refuse it without).
pub fn write_logo_and_overview(pack: &Path) {
    std::fs::create_dir_all(pack.join("resources")).expect("mkdir");
    std::fs::copy(
        repo().join("stackpack/resources/logo.png"),
        pack.join("resources/logo.png"),
    )
    .expect("copy logo");
    std::fs::write(pack.join("resources/overview.md"), "# Overview\n").expect("write overview");
}

/// Run `stackpack <args>` in `dir`; (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run stackpack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The seed's "Release notes" section: the lines after `## Release notes`.
pub fn seed_release_notes() -> String {
    // `shared/` is beside the checkout (CI); a worktree under `wt/` has it one level higher.
    const SEED: &str = "shared/seed/000_7401d3584c4a93bf.txt";
    let seed = [repo().join("..").join(SEED), repo().join("../..").join(SEED)]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| repo().join("..").join(SEED));
    let text = std::fs::read_to_string(&seed).unwrap_or_else(|e| panic!("read {}: {e}", seed.display()));
    let mut lines = text.lines();
    for l in lines.by_ref() {
        if l.trim() == "## Release notes" {
            break;
        }
    }
    lines.collect::<Vec<_>>().join("\n")
}

/// Lines without trailing whitespace, without leading and trailing blank lines.
pub fn normalized(text: &str) -> Vec<String> {
    let lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    let start = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map(|i| i + 1)
        .unwrap_or(start);
    lines[start..end].to_vec()
}

/// `*.yaml` files in `dir`.
pub fn yaml_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A temporary directory with copies of the example pack `stackpack/` and of `changelog/`.
pub fn temp_real_example() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join("stackpack"), &tmp.path().join("stackpack"));
    copy_dir(&repo().join("changelog"), &tmp.path().join("changelog"));
    tmp
}

#[path = "../helpers/mod.rs"]
mod helpers;
pub use helpers::copy_dir;
