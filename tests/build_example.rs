//! Building the example pack (`stackpack/`, the StackState Agent V2 StackPack 4.3.1).

#[path = "build_common/mod.rs"]
mod common;

use std::collections::HashSet;
use std::io::Read;
use std::process::Command;

fn archive_entries(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut z = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("not a zip: {e}"));
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap_or_else(|e| panic!("{e}"));
            let name = f.name().map(|n| n.to_string()).unwrap_or_default();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap_or_else(|e| panic!("{e}"));
            (name, data)
        })
        .collect()
}

#[test]
fn cli_builds_the_agent_v2_archive() {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "stackpack", "--out"])
        .arg(out.path())
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let path = out.path().join("stackstate-agent-v2-4.3.1.sts");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), path.display().to_string());
    let entries = archive_entries(&path);
    let get = |name: &str| {
        entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .unwrap_or_else(|| panic!("no {name} in the archive"))
    };

    let conf = get("stackpack.conf");
    assert!(conf.contains("\nname = \"stackstate-agent-v2\"\n"), "{conf}");
    assert!(conf.contains("\nversion = \"4.3.1\"\n"), "{conf}");
    assert!(conf.contains("\nlogoUrl = \"logo.png\"\n"), "{conf}");
    let class = conf
        .lines()
        .find_map(|l| l.strip_prefix("provision = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no provision key"));
    let script = get(&format!("provisioning/{class}.groovy"));
    assert!(script.contains(&format!("class {class} extends ProvisioningScript")));
    assert!(script.contains("onDataReceived('sts_topo_process_agents'"));

    assert!(!get("resources/overview.md").is_empty());
    // Release notes rendered from ../changelog, named by the conf.
    assert!(get("resources/RELEASE.md").contains("## 4.3.1 (2021-04-02)"));
    assert!(conf.contains("\nreleaseNotes = \"RELEASE.md\"\n"), "{conf}");
    assert!(entries
        .iter()
        .any(|(n, d)| n == "resources/logo.png" && d.starts_with(b"\x89PNG")));

    let stj: Vec<&(String, Vec<u8>)> = entries.iter().filter(|(n, _)| n.ends_with(".stj")).collect();
    assert!(!stj.is_empty());
    let mut types = HashSet::new();
    let mut identifiers = Vec::new();
    for (_, data) in &stj {
        let text = String::from_utf8_lossy(data);
        for line in text.lines() {
            // Top-level nodes sit at six spaces of indentation.
            if let Some(t) = line.strip_prefix("      \"_type\": \"") {
                types.insert(t.trim_end_matches(['"', ',']).to_string());
            }
            if let Some(i) = line.strip_prefix("      \"identifier\": \"") {
                identifiers.push(i.trim_end_matches(['"', ',']).to_string());
            }
        }
    }
    for kind in [
        "ComponentType",
        "RelationType",
        "IdExtractorFunction",
        "ComponentMappingFunction",
        "ComponentTemplateFunction",
        "RelationTemplateFunction",
        "CheckFunction",
        "DataSource",
        "Sync",
        "QueryView",
    ] {
        assert!(types.contains(kind), "no {kind} in the STJ: {types:?}");
    }
    let unique: HashSet<&String> = identifiers.iter().collect();
    assert_eq!(unique.len(), identifiers.len(), "duplicate identifiers");
    assert!(identifiers.contains(&"urn:stackpack:stackstate-agent-v2:shared:sync:agent".to_string()));
}

#[test]
fn example_stj_snapshot() {
    let c = common::compile_dir("stackpack", &stackpack::compile::CompileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("example_entries", c.paths().collect::<Vec<_>>().join("\n"));
    insta::assert_snapshot!("example_conf", common::text(&c, "stackpack.conf"));
    insta::assert_snapshot!(
        "example_provisioning_script",
        common::text(&c, "provisioning/StackstateAgentV2Provision.groovy")
    );
    insta::assert_snapshot!(
        "example_stj",
        common::text(&c, "provisioning/templates/stackstate-agent-v2.stj")
    );
}
