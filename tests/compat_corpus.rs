//! The version rules on the real classic packs of `../shared/corpus/v1` (sap, splunk, autosync),
//! imported into declarative sources: at their declared minimum 4.3.0 nothing is an error (real
//! packs use `docsUrl` and `ArgumentDoubleVal` before their documented versions: warnings); at 4.0
//! their `common` 2.5.1 dependency is an error with its evidence.

mod helpers;

use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    helpers::corpus()
}

fn stackpack(dir: &Path, args: &[&str]) -> (i32, String) {
    let r = helpers::stackpack(dir, args);
    (r.code, r.stderr)
}

fn conf_dir(root: &Path) -> Option<PathBuf> {
    if root.join("stackpack.conf").is_file() {
        return Some(root.to_path_buf());
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root).ok()?.flatten().map(|e| e.path()).collect();
    dirs.sort();
    dirs.into_iter().filter(|p| p.is_dir()).find_map(|d| conf_dir(&d))
}

fn with_min(manifest: &Path, min: &str) {
    let text = std::fs::read_to_string(manifest).expect("manifest");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("min-stackstate-version"))
        .collect();
    let mut out = String::new();
    for l in kept {
        out.push_str(l);
        out.push('\n');
        if l.starts_with("version = ") {
            out.push_str(&format!("min-stackstate-version = \"{min}\"\n"));
        }
    }
    std::fs::write(manifest, out).expect("write");
}

#[test]
fn corpus_packs_at_4_3_and_4_0() {
    let Some(corpus) = corpus() else {
        eprintln!("skipping: ../shared/corpus not present");
        return;
    };
    for name in ["sap", "splunk", "autosync"] {
        let Some(src) = conf_dir(&corpus.join(name)) else {
            panic!("{name}: no stackpack.conf in the corpus")
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join(name);
        let src_s = src.to_string_lossy().to_string();
        let out_s = out.to_string_lossy().to_string();
        let (code, err) = stackpack(tmp.path(), &["import", &src_s, "--out", &out_s, "--version", "1.0.0"]);
        assert!(
            code == 0 && out.join("stackpack.toml").is_file(),
            "{name}: import failed: {err}"
        );
        with_min(&out.join("stackpack.toml"), "4.3.0");
        let (_, err) = stackpack(tmp.path(), &["lint", name]);
        let sp5_errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error[SP5")).collect();
        assert!(sp5_errors.is_empty(), "{name} at 4.3.0: {err}");
        with_min(&out.join("stackpack.toml"), "4.0.0");
        let (code, err) = stackpack(tmp.path(), &["lint", name]);
        assert_eq!(code, 1, "{name} at 4.0.0: {err}");
        assert!(
            err.contains("error[SP505]: common 2.5.1 needs StackState 4.3"),
            "{name}: {err}"
        );
        assert!(
            err.contains("evidence: 4.3:stackpacks/integrations/azure.md"),
            "{name}: {err}"
        );
    }
}
