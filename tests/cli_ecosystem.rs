//! Ecosystem files: the pre-commit hook definitions and the GitHub Action example run as
//! written on the example pack.

mod helpers;

use helpers::{copy_dir, root, stackpack};

fn repo_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(&root().join("stackpack"), &tmp.path().join("stackpack"));
    copy_dir(&root().join("changelog"), &tmp.path().join("changelog"));
    tmp
}

fn words(command: &str) -> Vec<String> {
    // The commands are plain words; a shell redirect ends them.
    command
        .split(['>', '|'])
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn pre_commit_hooks_run_on_the_files_of_a_commit() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("hooks file");
    let hooks: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).expect("hooks YAML");
    assert!(hooks.len() >= 2);
    let tmp = repo_copy();
    // What pre-commit passes: paths from the repository root.
    let files = [
        "stackpack/stackpack.toml",
        "stackpack/nodes/syncs.yaml",
        "changelog/releases/4.3.1.yaml",
    ];
    for hook in &hooks {
        assert_eq!(hook["language"], "rust");
        let entry = hook["entry"].as_str().expect("entry");
        let mut args = words(entry);
        assert_eq!(args.remove(0), "stackpack");
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        // The lint hook takes files inside packs; the formatter any YAML/TOML file.
        all.extend(
            files
                .iter()
                .filter(|f| args[0] != "lint" || f.starts_with("stackpack/")),
        );
        let r = stackpack(tmp.path(), &all);
        assert_eq!(r.code, 0, "{entry}: {}{}", r.stdout, r.stderr);
    }
}

#[test]
fn the_github_action_example_runs_on_the_example_pack() {
    let text = std::fs::read_to_string(root().join("docs/ci/github-action.yml")).expect("workflow");
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("workflow YAML");
    let steps = wf["jobs"]["pack"]["steps"].as_sequence().cloned().unwrap_or_default();
    let tmp = repo_copy();
    let mut ran = 0;
    for step in steps {
        let Some(run) = step["run"].as_str() else { continue };
        if !run.starts_with("stackpack ") {
            continue;
        }
        let mut args = words(run);
        args.remove(0);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = stackpack(tmp.path(), &args);
        assert_eq!(r.code, 0, "{run}: {}{}", r.stdout, r.stderr);
        ran += 1;
    }
    assert!(ran >= 4, "ran {ran} commands");
    assert!(tmp.path().join("dist/stackstate-agent-v2-4.3.1.sts").is_file());
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The README's MSRV is `Cargo.toml`'s `rust-version`, and no dependency declares a newer one.
#[test]
fn declared_msrv_covers_every_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .output();
    let Ok(out) = out.map_err(|e| eprintln!("skipped: cannot run cargo metadata: {e}")) else {
        return;
    };
    if !out.status.success() {
        eprintln!(
            "skipped: cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let packages = v["packages"].as_array().cloned().unwrap_or_default();
    let ours = packages
        .iter()
        .find(|p| p["name"] == "stackpack")
        .expect("stackpack package");
    let msrv = ours["rust_version"].as_str().expect("rust-version is set");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    assert!(
        readme.contains(&format!("MSRV: Rust {msrv}")),
        "README names the MSRV {msrv}"
    );
    let resolved: std::collections::HashSet<&str> = v["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    for p in &packages {
        let (Some(rv), Some(id)) = (p["rust_version"].as_str(), p["id"].as_str()) else {
            continue;
        };
        if resolved.contains(id) {
            assert!(
                version_parts(rv) <= version_parts(msrv),
                "{} {} needs Rust {rv}, newer than the declared {msrv}",
                p["name"],
                p["version"]
            );
        }
    }
}
