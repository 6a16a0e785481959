//! The template module against the real published packs in `../shared/corpus/v1`: every `.stj`
//! and `.json.handlebars` scans, and every `.stj` renders at import time to valid JSON.

use stackpack::template::{render_import, scan, Encoding, MapContext};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/v1");
    p.is_dir().then_some(p)
}

fn files_with(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_with(&p, suffix, out);
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
}

#[test]
fn corpus_templates_scan_and_render_to_json() {
    let Some(corpus) = corpus() else {
        eprintln!("skipping: ../shared/corpus not present");
        return;
    };
    let mut templates = Vec::new();
    files_with(&corpus, ".json.handlebars", &mut templates);
    assert!(templates.len() >= 4, "expected the corpus' sync templates");
    for t in &templates {
        let text = std::fs::read_to_string(t).unwrap_or_default();
        let s = scan(&text, &["instanceName", "integrationType", "integrationUrl"]);
        assert!(s.is_ok(), "{}: {:?}", t.display(), s.err());
    }
    let mut stjs = Vec::new();
    files_with(&corpus, ".stj", &mut stjs);
    assert_eq!(stjs.len(), 6);
    for stj in &stjs {
        let provisioning = stj
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let files = |p: &str, e: Encoding| -> Result<String, String> {
            let path = provisioning.join(p);
            match e {
                Encoding::Base64 => std::fs::read(&path).map(|b| format!("data:image/png;base64,<{} bytes>", b.len())),
                _ => std::fs::read_to_string(&path),
            }
            .map_err(|err| format!("{}: {err}", path.display()))
        };
        let known = |_: &str| true;
        let args = [
            "topicName",
            "instanceId",
            "instanceName",
            "integrationType",
            "integrationUrl",
        ]
        .iter()
        .map(|k| (k.to_string(), format!("sample-{k}")))
        .collect();
        let ctx = MapContext {
            args,
            files: &files,
            known: &known,
        };
        let text = std::fs::read_to_string(stj).unwrap_or_default();
        let rendered = render_import(&text, &ctx);
        assert!(rendered.is_ok(), "{}: {:?}", stj.display(), rendered.err());
        let rendered = rendered.map(|r| r.text).unwrap_or_default();
        let json: Result<serde_json::Value, _> = serde_json::from_str(&rendered);
        assert!(json.is_ok(), "{}: {:?}", stj.display(), json.err());
        let nodes = json
            .ok()
            .and_then(|v| v.get("nodes").and_then(|n| n.as_array()).map(|a| a.len()));
        assert!(nodes.unwrap_or(0) > 0, "{} has no nodes", stj.display());
    }
}
