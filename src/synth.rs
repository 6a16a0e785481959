//! Synthetic packs for benchmarks and robustness tests: a generator of large, valid declarative
//! packs with N nodes and M bytes of resources (half incompressible, half compressible text).
//!
//! The generated pack is deterministic for a given [`SynthSpec`] (its own PRNG, no clock).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct SynthSpec {
    /// Approximate number of nodes (rounded up to whole groups of [`NODES_PER_GROUP`]).
    pub nodes: usize,
    /// Bytes of resources besides the pages: half random (incompressible), half Markdown text.
    pub resource_bytes: usize,
    pub seed: u64,
}

/// Each group declares a component type, a relation type, a component mapping function, a
/// component template, a check function, a data source, a sync, a view and an environment.
pub const NODES_PER_GROUP: usize = 9;

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct SynthStats {
    pub nodes: usize,
    pub files: usize,
    pub bytes: u64,
}

/// A 1×1 transparent PNG.
pub const TINY_PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// `n` bytes of text that deflates well but not trivially: words in a pseudo-random order, a
/// line break now and then (test data for the archive writer and reader).
pub fn prose(n: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&[u8]; 8] = [
        b"topology ",
        b"health ",
        b"stream ",
        b"metric ",
        b"sync\n",
        b"view ",
        b"agent ",
        b"check ",
    ];
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        out.extend_from_slice(WORDS[rng.below(WORDS.len())]);
    }
    out.truncate(n);
    out
}

/// A small deterministic PRNG (xorshift64*): generated packs and mutation tests must not depend
/// on the clock or an external crate's stream.
pub struct Rng(u64);

impl Rng {
    /// Any seed works (zero is replaced, xorshift would stay at zero).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }
    pub fn next_u64(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

struct Writer<'a> {
    root: &'a Path,
    stats: SynthStats,
}

impl Writer<'_> {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
        self.stats.files += 1;
        self.stats.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// Write a synthetic pack into `dir` (created if needed; should be empty).
pub fn generate(dir: &Path, spec: &SynthSpec) -> io::Result<SynthStats> {
    std::fs::create_dir_all(dir)?;
    let groups = spec.nodes.div_ceil(NODES_PER_GROUP).max(1);
    let mut w = Writer {
        root: dir,
        stats: SynthStats::default(),
    };
    let mut rng = Rng::new(spec.seed | 1);
    let name = format!("synth-{}", spec.nodes);

    let manifest = format!(
        r#"name = "{name}"
display-name = "Synthetic {nodes}"
version = "1.0.0"
min-stackstate-version = "4.3.0"
categories = ["Benchmark"]
logo = "resources/logo.png"

[dependencies]
common = "2.5.0"

[pages]
overview = "resources/overview.md"
detailed-overview = "resources/detailed-overview.md"
not-installed = "resources/overview.md"
provisioning = "resources/provisioning.md"
waiting-for-data = "resources/waiting.md"
installed = "resources/installed.md"
deprovisioning = "resources/provisioning.md"
error = "resources/error.md"
"#,
        nodes = spec.nodes
    );
    w.write("stackpack.toml", manifest.as_bytes())?;
    w.write("resources/logo.png", &TINY_PNG)?;
    for page in [
        "overview",
        "detailed-overview",
        "provisioning",
        "waiting",
        "installed",
        "error",
    ] {
        w.write(
            &format!("resources/{page}.md"),
            format!("# {page}\n\nSynthetic page.\n").as_bytes(),
        )?;
    }

    // Shared id extractors.
    w.write(
        "scripts/component-id.groovy",
        b"return Sts.createId(topologyElement.externalId, new HashSet(), topologyElement.type.name)\n",
    )?;
    w.write(
        "scripts/relation-id.groovy",
        b"return Sts.createId(topologyElement.externalId, new HashSet(), topologyElement.type.name)\n",
    )?;
    let mut shared = String::from(
        "id-extractors:\n  - id: component-id\n    name: Component id extractor\n    script: scripts/component-id.groovy\n  - id: relation-id\n    name: Relation id extractor\n    script: scripts/relation-id.groovy\n",
    );
    shared.push_str("relation-templates:\n  - id: relation\n    name: Relation template\n    template: templates/relation.json.hbs\n");
    w.write("nodes/shared.yaml", shared.as_bytes())?;
    w.write(
        "templates/relation.json.hbs",
        br#"{
  "_type": "Relation",
  "name": "{{ element.sourceId }} -> {{ element.targetId }}",
  "type": {{ get (identifier "urn:stackpack:common" "RelationType" element.type.name) }},
  "dependencyDirection": "ONE_WAY",
  "source": {{ element.sourceId }},
  "target": {{ element.targetId }}
}
"#,
    )?;
    let mut nodes = 3;

    // Node files of 100 groups each, like a real pack split by area.
    for file_start in (0..groups).step_by(100) {
        let mut y = String::new();
        let end = (file_start + 100).min(groups);
        let section = |y: &mut String, key: &str| {
            let _ = writeln!(y, "{key}:");
        };
        section(&mut y, "component-types");
        for g in file_start..end {
            let _ = writeln!(
                y,
                "  - id: type-{g}\n    icon: icons/type-{g}.png\n    description: Synthetic type {g}"
            );
        }
        section(&mut y, "relation-types");
        for g in file_start..end {
            let _ = writeln!(y, "  - id: rel-{g}");
        }
        section(&mut y, "environments");
        for g in file_start..end {
            let _ = writeln!(y, "  - id: env-{g}\n    name: Environment {g}");
        }
        section(&mut y, "component-mapping-functions");
        for g in file_start..end {
            let _ = writeln!(
                y,
                "  - id: map-{g}\n    name: Mapping {g}\n    script: scripts/map-{g}.groovy"
            );
        }
        section(&mut y, "check-functions");
        for g in file_start..end {
            let _ = writeln!(
                y,
                "  - id: check-{g}\n    name: Check {g}\n    script: scripts/check-{g}.groovy\n    returns: [health-state]\n    parameters:\n      - name: metrics\n        type: metric-stream"
            );
        }
        section(&mut y, "component-templates");
        for g in file_start..end {
            let _ = writeln!(
                y,
                "  - id: tpl-{g}\n    name: Template {g}\n    template: templates/tpl-{g}.json.hbs"
            );
        }
        section(&mut y, "data-sources");
        for g in file_start..end {
            let _ = writeln!(
                y,
                "  - id: ds-{g}\n    name: Data source {g}\n    topic: sts_topo_synth_{g}\n    integration-type: synth"
            );
        }
        section(&mut y, "syncs");
        for g in file_start..end {
            let _ = writeln!(
                y,
                "  - id: sync-{g}\n    name: Sync {g}\n    data-source: ds-{g}\n    component-id-extractor: component-id\n    relation-id-extractor: relation-id\n    default-component-action:\n      template: tpl-{g}\n      mapping: map-{g}\n    default-relation-action:\n      template: relation"
            );
        }
        section(&mut y, "views");
        for g in file_start..end {
            let _ = writeln!(
                y,
                "  - id: view-{g}\n    name: View {g}\n    query: 'type IN (\"type-{g}\") AND label IN (\"synth:{g}\")'\n    grouping:\n      auto: true"
            );
        }
        w.write(&format!("nodes/group-{file_start:05}.yaml"), y.as_bytes())?;
        for g in file_start..end {
            w.write(&format!("icons/type-{g}.png"), &TINY_PNG)?;
            w.write(
                &format!("scripts/map-{g}.groovy"),
                format!("element.data.put(\"group\", \"{g}\")\nreturn element\n").as_bytes(),
            )?;
            w.write(
                &format!("scripts/check-{g}.groovy"),
                format!("// check {g}\nif (metrics.isEmpty()) return UNKNOWN\nreturn metrics.last().point > {g} ? CRITICAL : CLEAR\n").as_bytes(),
            )?;
            let tpl = format!(
                r#"{{
  "_type": "Component",
  "name": "{{{{ element.data.name }}}}",
  "type": {{{{ get "component-type:type-{g}" }}}},
  "layer": {{{{ get "urn:stackpack:common:layer:uncategorized" }}}},
  "labels": [{{ "_type": "Label", "name": "synth:{g}" }}],
  "checks": [
    {{{{#if element.data.metric}}}}
    {{ "_type": "Check", "name": "Check {g}", "function": {{{{ get "check-function:check-{g}" }}}} }}
    {{{{/if}}}}
  ]
}}
"#
            );
            w.write(&format!("templates/tpl-{g}.json.hbs"), tpl.as_bytes())?;
        }
        nodes += (end - file_start) * NODES_PER_GROUP;
    }

    // Resources: half incompressible blobs (1 MiB each), half compressible Markdown.
    let random_bytes = spec.resource_bytes / 2;
    let mut written = 0;
    let mut n = 0;
    while written < random_bytes {
        let len = (random_bytes - written).min(1 << 20);
        let mut buf = vec![0u8; len];
        rng.fill(&mut buf);
        w.write(&format!("resources/data/blob-{n:04}.bin"), &buf)?;
        written += len;
        n += 1;
    }
    let text_bytes = spec.resource_bytes - random_bytes;
    let words = [
        "topology",
        "component",
        "relation",
        "health",
        "stream",
        "metric",
        "agent",
        "sync",
        "view",
        "check",
    ];
    let mut written = 0;
    let mut n = 0;
    while written < text_bytes {
        let target = (text_bytes - written).min(1 << 20);
        let mut page = String::with_capacity(target + 64);
        let _ = writeln!(page, "# Synthetic page {n}\n");
        while page.len() < target {
            let r = rng.next_u64();
            let _ = write!(page, "{} ", words[(r % words.len() as u64) as usize]);
            if r.is_multiple_of(13) {
                page.push('\n');
            }
        }
        page.truncate(target);
        w.write(&format!("resources/docs/page-{n:04}.md"), page.as_bytes())?;
        written += target;
        n += 1;
    }
    w.stats.nodes = nodes;
    Ok(w.stats)
}

/// Where [`classic`] put the three forms of one generated pack.
#[derive(Debug, Clone)]
pub struct ClassicForms {
    /// The declarative sources.
    pub declarative: std::path::PathBuf,
    /// The built `.sts`.
    pub sts: std::path::PathBuf,
    /// The `.sts` unpacked: a classic source tree (`stackpack.conf`, `provisioning/…`,
    /// `resources/…`) with one large `.stj`, as published classic packs are.
    pub tree: std::path::PathBuf,
}

/// Generate a pack (see [`generate`]) under `dir/declarative`, build it to `dir/sts/`, and
/// unpack that archive to the classic tree `dir/classic`: the inputs of every command path
/// (declarative, classic tree, `.sts`) at the same size.
pub fn classic(dir: &Path, spec: &SynthSpec) -> io::Result<ClassicForms> {
    let declarative = dir.join("declarative");
    generate(&declarative, spec)?;
    let mut diags = crate::diag::Diagnostics::new();
    let pack = match crate::model::load_pack(&declarative, &mut diags) {
        Ok(Ok(pack)) => pack,
        _ => return Err(io::Error::other("the generated pack does not load")),
    };
    let compiled = crate::compile::compile(&pack, &crate::compile::CompileOptions::default())
        .map_err(|_| io::Error::other("the generated pack does not compile"))?;
    let sts = crate::archive::write::write_sts(
        &dir.join("sts"),
        &compiled.file_name,
        &compiled.entries,
        crate::archive::write::DEFAULT_EPOCH,
    )
    .map_err(|e| io::Error::other(e.to_string()))?;
    let tree = dir.join("classic");
    for e in &compiled.entries {
        // Entry paths are generated here and relative (`provisioning/…`, `resources/…`).
        let path = tree.join(&e.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, e.data.to_vec()?)?;
    }
    Ok(ClassicForms { declarative, sts, tree })
}

/// Nodes of each group of a generated StackPack 2.0 pack: an OTel component mapping, an OTel
/// relation mapping, a monitor and an external monitor.
pub const V2_NODES_PER_GROUP: usize = 4;

/// Where [`v2`] put one generated StackPack 2.0 pack.
#[derive(Debug, Clone)]
pub struct V2Forms {
    /// The sources (`stackpack.yaml`, `settings/*.sty`, `resources/`).
    pub source: std::path::PathBuf,
    /// The built `.sts`.
    pub sts: std::path::PathBuf,
    /// The nodes of every `.sty` file as JSON, one file each: what `jq` parses as the
    /// reference of the benchmarks (the same data as the YAML the pack holds).
    pub json: Vec<std::path::PathBuf>,
    pub stats: SynthStats,
}

/// Generate a StackPack 2.0 pack of about `spec.nodes` nodes (whole groups of
/// [`V2_NODES_PER_GROUP`], settings files of 100 groups each) under `dir/source`, its nodes as
/// JSON under `dir/json`, and build it to `dir/sts/`. `spec.resource_bytes` is ignored.
pub fn v2(dir: &Path, spec: &SynthSpec) -> io::Result<V2Forms> {
    let source = dir.join("source");
    std::fs::create_dir_all(&source)?;
    let mut w = Writer {
        root: &source,
        stats: SynthStats::default(),
    };
    let name = format!("synth-v2-{}", spec.nodes);
    let manifest = format!(
        r#"# Generated by stackpack::synth::v2 for the benchmarks.
schemaVersion: "2.0"
name: "{name}"
displayName: "Synthetic 2.0, {nodes} nodes"
version: "1.0.0"
categories: [ "Benchmark" ]
logoUrl: !resource "logo.svg"
overviewUrl: !resource "overview.md"
detailedOverviewUrl: !resource "detailed-overview.md"
configurationUrls:
  NOT_INSTALLED: !resource "configuration.md"
  PROVISIONING: !resource "provisioning.md"
  WAITING_FOR_DATA: !resource "provisioning.md"
  INSTALLED: !resource "installed.md"
  DEPROVISIONING: !resource "configuration.md"
  ERROR: !resource "error.md"
provision:
  companionStackPacks: []
"#,
        nodes = spec.nodes
    );
    w.write("stackpack.yaml", manifest.as_bytes())?;
    w.write(
        "README.md",
        format!("# {name}\n\nA generated pack for the benchmarks.\n").as_bytes(),
    )?;
    w.write(
        "resources/logo.svg",
        br#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>
"#,
    )?;
    for page in [
        "overview",
        "detailed-overview",
        "configuration",
        "provisioning",
        "installed",
        "error",
    ] {
        w.write(
            &format!("resources/{page}.md"),
            format!("# {page}\n\nSynthetic page.\n").as_bytes(),
        )?;
    }
    let groups = spec.nodes.div_ceil(V2_NODES_PER_GROUP).max(1);
    let json_dir = dir.join("json");
    std::fs::create_dir_all(&json_dir)?;
    let mut json = Vec::new();
    let urn = |kind: &str, id: String| format!("urn:stackpack:{name}:{kind}:{id}");
    for file_start in (0..groups).step_by(100) {
        let end = (file_start + 100).min(groups);
        let mut nodes = Vec::new();
        for g in file_start..end {
            let component = serde_json::json!({
                "_type": "OtelComponentMapping",
                "identifier": urn("otel-component-mapping", format!("service-{g}")),
                "name": format!("Service {g}"),
                "description": format!("A service of group {g} seen in the metrics."),
                "input": {
                    "signal": ["METRICS"],
                    "resource": {
                        "condition": "'service.name' in resource.attributes",
                        "scope": {
                            "condition": format!("scope.name == 'synth-{g}'"),
                            "metric": {
                                "condition": format!("metric.name == 'synth_{g}_requests'"),
                                "datapoint": {
                                    "action": "'CREATE'",
                                    "condition": "'instance' in datapoint.attributes"
                                }
                            }
                        }
                    }
                },
                "vars": [
                    {"name": "service", "value": "resource.attributes['service.name']"},
                    {"name": "instance", "value": "datapoint.attributes['instance']"},
                    {"name": "identifier", "value": format!("'urn:synth:{g}:' + vars.service + '/' + vars.instance")}
                ],
                "output": {
                    "identifier": "vars.identifier",
                    "name": "vars.instance",
                    "typeName": format!("'synth service {g}'"),
                    "required": {
                        "version": "'1'",
                        "tags": [
                            {"source": format!("'{name}'"), "target": "stackpack"},
                            {"source": "vars.service", "target": "service"}
                        ]
                    }
                },
                "expireAfter": 900000,
                "rank": {"specificity": 100}
            });
            let relation = serde_json::json!({
                "_type": "OtelRelationMapping",
                "identifier": urn("otel-relation-mapping", format!("calls-{g}")),
                "name": format!("Calls {g}"),
                "description": format!("Links the services of group {g} to their instances."),
                "input": {
                    "signal": ["METRICS"],
                    "resource": {
                        "scope": {
                            "metric": {
                                "condition": format!("metric.name == 'synth_{g}_requests'"),
                                "datapoint": {"action": "'CREATE'"}
                            }
                        }
                    }
                },
                "vars": [{"name": "service", "value": "resource.attributes['service.name']"}],
                "output": {
                    "sourceId": format!("'urn:synth:{g}:' + vars.service"),
                    "targetId": format!("'urn:synth:{g}:' + vars.service + '/' + datapoint.attributes['instance']"),
                    "typeName": "'calls'",
                    "dependencyType": "'HIERARCHICAL'"
                },
                "expireAfter": 900000
            });
            let monitor = serde_json::json!({
                "_type": "Monitor",
                "identifier": urn("monitor", format!("errors-{g}")),
                "name": format!("Errors of group {g}"),
                "description": format!("Failed requests of the services of group {g}."),
                "function": "urn:stackpack:common:monitor-function:threshold",
                "arguments": {
                    "metric": {
                        "query": format!("sum by (service, instance) (rate(synth_{g}_requests{{status=\"error\"}}[5m]))"),
                        "unit": "short",
                        "aliasTemplate": "Errors of ${instance}"
                    },
                    "threshold": g % 100 + 1,
                    "comparator": "GT",
                    "failureState": "DEVIATING",
                    "urnTemplate": format!("urn:synth:{g}:${{service}}/${{instance}}"),
                    "titleTemplate": "Errors of ${instance}"
                },
                "intervalSeconds": 60,
                "status": "ENABLED",
                "tags": ["synthetic"],
                "remediationHint": format!("Look at the logs of the services of group {g}.")
            });
            let external = serde_json::json!({
                "_type": "ExternalMonitor",
                "identifier": urn("external-monitor", format!("alerts-{g}")),
                "name": format!("Alerts of group {g}"),
                "description": format!("Alerts the services of group {g} report themselves."),
                "tags": ["synthetic"],
                "remediationHint": "Check the service's own alert page."
            });
            nodes.extend([component, relation, monitor, external]);
        }
        w.stats.nodes += nodes.len();
        let doc = serde_json::json!({ "nodes": nodes });
        let yaml = serde_yaml::to_string(&doc).map_err(io::Error::other)?;
        w.write(&format!("settings/group-{file_start:05}.sty"), yaml.as_bytes())?;
        let path = json_dir.join(format!("group-{file_start:05}.json"));
        std::fs::write(&path, serde_json::to_vec(&doc).map_err(io::Error::other)?)?;
        json.push(path);
    }
    let stats = w.stats;
    let mut diags = crate::diag::Diagnostics::new();
    let pack = crate::v2::load::open(&source, &mut diags).map_err(|e| io::Error::other(e.0))?;
    let sts = crate::v2::build::write(&pack, &dir.join("sts"), None, crate::archive::write::DEFAULT_EPOCH)
        .map_err(io::Error::other)?;
    Ok(V2Forms {
        source,
        sts,
        json,
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;

    #[test]
    fn generated_pack_loads_with_all_its_nodes() {
        let dir = tempfile::tempdir();
        let Ok(dir) = dir else { return };
        let spec = SynthSpec {
            nodes: 100,
            resource_bytes: 64 * 1024,
            seed: 7,
        };
        let stats = generate(dir.path(), &spec);
        assert!(stats.is_ok());
        let stats = stats.unwrap_or_default();
        let mut diags = Diagnostics::new();
        let pack = crate::model::load_pack(dir.path(), &mut diags);
        let Ok(Ok(pack)) = pack else {
            panic!("synthetic pack did not load: {diags:?}");
        };
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(pack.nodes.len(), stats.nodes);
        assert!(stats.nodes >= 100);
        assert!(stats.bytes >= 64 * 1024);
    }

    #[test]
    fn classic_forms_of_one_pack() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let spec = SynthSpec {
            nodes: 20,
            resource_bytes: 0,
            seed: 3,
        };
        let forms = classic(dir.path(), &spec);
        let Ok(forms) = forms else { panic!("{forms:?}") };
        assert!(forms.sts.is_file());
        assert!(forms.tree.join("stackpack.conf").is_file());
        assert!(crate::classic::pack::is_classic(&forms.tree));
    }

    #[test]
    fn a_generated_v2_pack_is_clean_and_builds() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let spec = SynthSpec {
            nodes: 450,
            resource_bytes: 0,
            seed: 1,
        };
        let forms = v2(dir.path(), &spec).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(forms.stats.nodes, 452);
        assert!(forms.sts.is_file());
        assert_eq!(forms.json.len(), 2);
        let a = crate::v2::analyze(&forms.source, &Default::default()).unwrap_or_else(|e| panic!("{}", e.0));
        assert!(a.diags.is_empty(), "{:?}", a.diags);
        assert_eq!(a.pack.nodes().count(), 452);
    }

    #[test]
    fn generation_is_deterministic() {
        let (Ok(a), Ok(b)) = (tempfile::tempdir(), tempfile::tempdir()) else {
            return;
        };
        let spec = SynthSpec {
            nodes: 20,
            resource_bytes: 10_000,
            seed: 3,
        };
        assert!(generate(a.path(), &spec).is_ok() && generate(b.path(), &spec).is_ok());
        for rel in [
            "nodes/group-00000.yaml",
            "resources/data/blob-0000.bin",
            "resources/docs/page-0000.md",
        ] {
            let x = std::fs::read(a.path().join(rel)).unwrap_or_default();
            let y = std::fs::read(b.path().join(rel)).unwrap_or_else(|_| vec![1]);
            assert_eq!(x, y, "{rel}");
        }
    }
}
