//! Every emitted `.stj` is valid JSON once its import-time expressions are rendered the way
//! StackState renders them (`crate::template::render_import`), and the sync templates inside it
//! are valid Handlebars.

#[path = "build_common/mod.rs"]
mod common;

use common::compile_dir;
use stackpack::compile::{CompileOptions, Compiled};
use stackpack::template::{render_import, scan, Encoding, MapContext};
use std::collections::{HashMap, HashSet};

fn include(c: &Compiled, path: &str, enc: Encoding) -> Result<String, String> {
    let rel = path.strip_prefix("./").unwrap_or(path);
    let data = c
        .get(&format!("provisioning/{rel}"))
        .ok_or_else(|| format!("include target `{path}` is not in the archive"))?;
    Ok(match enc {
        Encoding::Base64 => format!("data:image/png;base64,<{} bytes>", data.len()),
        _ => String::from_utf8_lossy(data).into_owned(),
    })
}

/// Render and parse every `.stj`; return the identifiers of all nodes (instance id substituted).
fn check_all(c: &Compiled, pack: &str, steps: &[(&str, &str)]) -> Vec<String> {
    let shared_urns: HashSet<String> = HashSet::new();
    let mut identifiers = Vec::new();
    let mut stj: Vec<&str> = c.paths().filter(|p| p.ends_with(".stj")).collect();
    // The shared file first: the instance file may `get` what it created.
    stj.sort_by_key(|p| p.contains("instance"));
    let mut created = shared_urns;
    for path in stj {
        let instance = path.contains("instance");
        let mut args = HashMap::new();
        if instance {
            args.insert("topicName".to_string(), "sts_topo_test_url".to_string());
            args.insert("instanceId".to_string(), "17".to_string());
            args.insert("instanceName".to_string(), "test-instance".to_string());
            for (k, v) in steps {
                args.insert(k.to_string(), v.to_string());
            }
        }
        let files = |p: &str, e: Encoding| include(c, p, e);
        let known_now = created.clone();
        let known = move |urn: &str| urn.starts_with("urn:stackpack:common:") || known_now.contains(urn);
        let ctx = MapContext {
            args,
            files: &files,
            known: &known,
        };
        let text = String::from_utf8_lossy(c.get(path).unwrap_or_default()).into_owned();
        let rendered = match render_import(&text, &ctx) {
            Ok(r) => r,
            Err(e) => panic!("{path} does not render at {:?}: {}", &text[e.range.clone()], e.message),
        };
        if instance {
            assert!(rendered.missing_vars.is_empty(), "{path}: {:?}", rendered.missing_vars);
        }
        let json: serde_json::Value = match serde_json::from_str(&rendered.text) {
            Ok(j) => j,
            Err(e) => panic!("{path} is not JSON after rendering: {e}\n{}", rendered.text),
        };
        assert_eq!(json["version"], "0.1");
        let nodes = json["nodes"].as_array().cloned().unwrap_or_default();
        assert!(!nodes.is_empty(), "{path} has no nodes");
        let mut ids = HashSet::new();
        for n in &nodes {
            let id = n["id"].as_i64().unwrap_or(0);
            assert!(id < 0, "{path}: node id {id}");
            assert!(ids.insert(id), "{path}: duplicate id {id}");
            let ident = n["identifier"].as_str().unwrap_or_default().to_string();
            let prefix = if instance {
                format!("urn:stackpack:{pack}:instance:17:")
            } else {
                format!("urn:stackpack:{pack}:shared:")
            };
            assert!(ident.starts_with(&prefix), "{path}: {ident}");
            if let Some(t) = n["handlebarsTemplate"].as_str() {
                if let Err(e) = scan(t, &[]) {
                    panic!("{path}: sync template of {ident} is not Handlebars: {}", e.message);
                }
                assert!(!t.contains("\\{{"), "{path}: escapes left after import in {ident}");
            }
            if !instance {
                created.insert(ident.clone());
            }
            identifiers.push(ident);
        }
    }
    identifiers
}

#[test]
fn acme_stj_renders_to_json() {
    let c = compile_dir("tests/fixtures/build/acme", &CompileOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let ids = check_all(&c, "acme", &[("acme_url", "https://acme"), ("acme_token", "t")]);
    assert_eq!(ids.len(), 19);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate identifiers");
}

#[test]
fn legacy_stj_renders_to_json() {
    let c = compile_dir("tests/fixtures/build/legacy", &CompileOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let ids = check_all(&c, "legacy", &[]);
    assert_eq!(ids.len(), 6);
}

#[test]
fn example_stj_renders_to_json() {
    let c = compile_dir("stackpack", &CompileOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let ids = check_all(&c, "stackstate-agent-v2", &[]);
    assert!(ids.len() > 50, "{}", ids.len());
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate identifiers");
}
