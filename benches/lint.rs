//! Lint benchmark: times the load, model and check stages (and rendering) of `stackpack lint`.
//!
//! `cargo bench --bench lint` runs on the lint fixture `valid` and on a generated pack with
//! thousands of nodes; `STACKPACK_BENCH_PACK=<dir>` benchmarks that pack instead (e.g. the
//! example `stackpack/`). A plain bench binary (no criterion): the stages are timed separately,
//! which criterion's closure-per-benchmark API would make awkward, and no new dependency is needed.

use stackpack::check::{self, CheckOptions};
use stackpack::diag::render::{render, Format, RenderOptions};
use stackpack::diag::Diagnostics;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Sample {
    load: Duration,
    model: Duration,
    check: Duration,
    render: Duration,
}

fn once(dir: &Path) -> (Sample, usize, usize) {
    let mut diags = Diagnostics::new();
    let t0 = Instant::now();
    let loaded = match stackpack::load::load(dir, &mut diags) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot load {}: {e}", dir.display());
            std::process::exit(2);
        }
    };
    let t1 = Instant::now();
    let pack = match stackpack::model::build(loaded, &mut diags) {
        Ok(p) => p,
        Err(_) => {
            eprintln!("{} has an unusable manifest", dir.display());
            std::process::exit(2);
        }
    };
    let t2 = Instant::now();
    diags.extend(check::run(&pack, &CheckOptions::default()));
    check::apply_allow(&pack, &mut diags);
    diags.sort(&pack.sources);
    let t3 = Instant::now();
    let out = render(Format::Human, &diags, &pack.sources, RenderOptions::default());
    let t4 = Instant::now();
    std::hint::black_box(out);
    (
        Sample {
            load: t1 - t0,
            model: t2 - t1,
            check: t3 - t2,
            render: t4 - t3,
        },
        pack.nodes.len(),
        diags.len(),
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn bench(label: &str, dir: &Path, runs: usize) {
    let _ = once(dir); // warm the file cache
    let mut samples = Vec::new();
    let mut nodes = 0;
    let mut findings = 0;
    for _ in 0..runs {
        let (s, n, f) = once(dir);
        nodes = n;
        findings = f;
        samples.push(s);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let load = median(samples.iter().map(|s| s.load).collect());
    let model = median(samples.iter().map(|s| s.model).collect());
    let chk = median(samples.iter().map(|s| s.check).collect());
    let rend = median(samples.iter().map(|s| s.render).collect());
    let total = median(samples.iter().map(|s| s.load + s.model + s.check + s.render).collect());
    println!(
        "{label:<28} {nodes:>6} nodes {findings:>5} findings | load {:>8.3} ms | model {:>8.3} ms | check {:>8.3} ms | render {:>8.3} ms | total {:>8.3} ms (median of {runs})",
        ms(load),
        ms(model),
        ms(chk),
        ms(rend),
        ms(total)
    );
}

/// A pack with `n` copies of the fixture kit: data source, id extractors, templates, check
/// function, sync and view per copy (9 nodes each), all cross-referenced.
fn generate(root: &Path, n: usize) -> PathBuf {
    let dir = root.join(format!("generated-{n}"));
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(p, text);
    };
    let states = [
        "not-installed",
        "provisioning",
        "waiting-for-data",
        "installed",
        "deprovisioning",
        "error",
    ];
    let mut manifest = String::from(
        "name = \"generated\"\ndisplay-name = \"Generated\"\nversion = \"1.0.0\"\n\n[dependencies]\ncommon = \"2.5.0\"\n\n[pages]\n",
    );
    for s in states {
        manifest.push_str(&format!("{s} = \"resources/{s}.md\"\n"));
        w(&format!("resources/{s}.md"), &format!("# {s}\n"));
    }
    w("stackpack.toml", &manifest);
    for i in 0..n {
        w(
            &format!("scripts/id-{i}.groovy"),
            "element = topologyElement.asReadonlyMap()\nreturn Sts.createId(element[\"externalId\"], new HashSet(), \"host\")\n",
        );
        w(
            &format!("scripts/check-{i}.groovy"),
            "if (value > 90) { return CRITICAL }\nreturn CLEAR\n",
        );
        w(
            &format!("templates/host-{i}.json.hbs"),
            &format!(
                "{{\n  \"_type\": \"Component\",\n  \"name\": \"{{{{ element.data.name }}}}\",\n  \"type\": {{{{ get \"component-type:host-{i}\" }}}},\n  \"layer\": {{{{ get \"urn:stackpack:common:layer:machines\" }}}},\n  \"checks\": [{{{{# if element.data.checks }}}}{{ \"_type\": \"Check\", \"function\": {{{{ get \"check-function:cpu-{i}\" }}}} }}{{{{/if}}}}]\n}}\n"
            ),
        );
        w(
            &format!("templates/relation-{i}.json.hbs"),
            &format!("{{ \"_type\": \"Relation\", \"source\": {{{{ element.sourceId }}}}, \"target\": {{{{ element.targetId }}}}, \"type\": {{{{ get \"relation-type:runs-on-{i}\" }}}} }}\n"),
        );
        let yaml = format!(
            "component-types:\n  - id: host-{i}\nrelation-types:\n  - id: runs-on-{i}\ndata-sources:\n  - id: agent-{i}\n    name: Agent {i}\n    topic: sts_topo_agent_{i}\n    integration-type: agent\nid-extractors:\n  - id: ids-{i}\n    name: Ids {i}\n    script: scripts/id-{i}.groovy\ncomponent-templates:\n  - id: host-{i}\n    name: Host {i}\n    template: templates/host-{i}.json.hbs\nrelation-templates:\n  - id: relation-{i}\n    name: Relation {i}\n    template: templates/relation-{i}.json.hbs\ncheck-functions:\n  - id: cpu-{i}\n    name: CPU {i}\n    script: scripts/check-{i}.groovy\n    parameters:\n      - {{ name: value, type: metric-stream }}\n    returns: [health-state]\nsyncs:\n  - id: agent-{i}\n    name: Sync {i}\n    data-source: agent-{i}\n    component-id-extractor: ids-{i}\n    relation-id-extractor: ids-{i}\n    default-component-action:\n      template: host-{i}\n    default-relation-action:\n      template: relation-{i}\nviews:\n  - id: hosts-{i}\n    name: Hosts {i}\n    query: 'type IN (\"host-{i}\") AND label IN (\"stackpack:generated\") OR withNeighborsOf(components = (name = \"x\"), levels = \"1\", direction = \"both\")'\n"
        );
        w(&format!("nodes/part-{i:05}.yaml"), &yaml);
    }
    dir
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments are ignored.
    if let Some(dir) = std::env::var_os("STACKPACK_BENCH_PACK") {
        bench(&PathBuf::from(&dir).display().to_string(), Path::new(&dir), 50);
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    bench("fixture valid", &root.join("tests/fixtures/lint/valid"), 200);
    let example = root.join("stackpack");
    if example.join("stackpack.toml").is_file() {
        bench("example stackpack/", &example, 100);
    }
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("no temp dir: {e}");
            return;
        }
    };
    for n in [100, 1000] {
        let dir = generate(tmp.path(), n);
        bench(&format!("generated ({n} kits)"), &dir, if n > 500 { 5 } else { 20 });
    }
}
