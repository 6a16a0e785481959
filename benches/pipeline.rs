//! Pipeline benchmark: times every stage of `stackpack build` (load, model, check, compile,
//! archive) with the peak memory of each, on the example pack and on generated packs of 100,
//! 1 000 and 10 000 nodes and one with 50 MB of resources, and compares writing the archive with
//! `zip -r -X -6` of the same output tree (the practical floor) in the same run.
//!
//! `cargo bench --bench pipeline` prints a Markdown table (the numbers in BENCHMARKS.md).
//! `STACKPACK_BENCH_PACK=<dir>` benchmarks that pack only. A plain bench binary rather than
//! criterion: stages are timed separately inside one run, and peak memory is read per stage.

use stackpack::check::{self, CheckOptions};
use stackpack::compile::{self, CompileOptions};
use stackpack::diag::Diagnostics;
use stackpack::synth::{generate, SynthSpec};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const STAGES: [&str; 5] = ["load", "model", "check", "compile", "archive"];

/// Reset the peak-RSS counter (Linux: `echo 5 > /proc/self/clear_refs`). False when unsupported.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A `/proc/self/status` field in KiB (`VmHWM`: peak since the last reset; `VmRSS`: now).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| {
            v.trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

#[derive(Default, Clone)]
struct Run {
    times: [Duration; 5],
    peaks: [u64; 5],
    nodes: usize,
    archive_bytes: u64,
    entries: Vec<(String, Vec<u8>)>,
}

fn fail(what: &str) -> ! {
    eprintln!("benchmark failed: {what}");
    std::process::exit(2)
}

/// One full build of `dir` into `out`, stage by stage.
fn once(dir: &Path, out: &Path, keep_entries: bool) -> Run {
    let mut run = Run::default();
    let mut diags = Diagnostics::new();
    // Memory of a stage: how far the peak resident size rose above the resident size at the
    // stage's start (memory freed earlier stays resident, so an absolute peak would mostly
    // measure the previous stages).
    let stage = |i: usize, run: &mut Run, f: &mut dyn FnMut()| {
        reset_peak();
        let before = status_kib("VmRSS");
        let t = Instant::now();
        f();
        run.times[i] = t.elapsed();
        run.peaks[i] = status_kib("VmHWM").saturating_sub(before);
    };
    let mut loaded = None;
    stage(0, &mut run, &mut || {
        loaded = stackpack::load::load(dir, &mut diags).ok()
    });
    let mut loaded = Some(loaded.unwrap_or_else(|| fail("load")));
    let mut pack = None;
    stage(1, &mut run, &mut || {
        pack = loaded.take().and_then(|l| stackpack::model::build(l, &mut diags).ok());
    });
    let mut pack = pack.unwrap_or_else(|| fail("model"));
    let mut changelog = None;
    stage(2, &mut run, &mut || {
        let (cl, d) = stackpack::changelog::load_and_check(&mut pack);
        changelog = cl;
        diags.extend(d);
        diags.extend(check::run(&pack, &CheckOptions::default()));
    });
    if diags.has_errors() {
        fail(&format!("{} has errors", dir.display()));
    }
    let mut compiled = None;
    stage(3, &mut run, &mut || {
        let notes = stackpack::changelog::release_md(&pack, changelog.as_ref(), None)
            .ok()
            .flatten();
        let opts = CompileOptions {
            templates: None,
            release_notes: notes,
            timestamp: 315_532_800,
        };
        compiled = compile::compile(&pack, &opts).ok();
    });
    let compiled = compiled.unwrap_or_else(|| fail("compile"));
    let mut path = None;
    stage(4, &mut run, &mut || {
        path = stackpack::archive::write::write_sts(out, &compiled.file_name, &compiled.entries, 315_532_800).ok();
    });
    let path = path.unwrap_or_else(|| fail("archive"));
    run.archive_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    run.nodes = pack.nodes.len();
    if keep_entries {
        run.entries = compiled
            .entries
            .iter()
            .map(|e| (e.path.clone(), e.data.to_vec().unwrap_or_default()))
            .collect();
    }
    run
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Time `zip -r -X -6` over the compiled tree (median of `runs`). `None` without `zip`.
fn zip_floor(entries: &[(String, Vec<u8>)], work: &Path, runs: usize) -> Option<(Duration, u64)> {
    let tree = work.join("tree");
    for (path, data) in entries {
        let p = tree.join(path);
        std::fs::create_dir_all(p.parent()?).ok()?;
        std::fs::write(&p, data).ok()?;
    }
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let out = work.join("floor.zip");
        let _ = std::fs::remove_file(&out);
        let t = Instant::now();
        let status = Command::new("zip")
            .args(["-r", "-X", "-6", "-q"])
            .arg(&out)
            .args(["stackpack.conf", "provisioning", "resources"])
            .current_dir(&tree)
            .status()
            .ok()?;
        times.push(t.elapsed());
        if !status.success() {
            return None;
        }
        size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    }
    Some((median(times), size))
}

fn bench(label: &str, dir: &Path, runs: usize) {
    let Ok(work) = tempfile::tempdir() else {
        fail("temp dir")
    };
    let first = once(dir, &work.path().join("out"), true); // also warms the file cache
    let mut all = Vec::new();
    for _ in 0..runs {
        all.push(once(dir, &work.path().join("out"), false));
    }
    let time = |i: usize| median(all.iter().map(|r| r.times[i]).collect());
    let peak = |i: usize| all.iter().map(|r| r.peaks[i]).max().unwrap_or(0);
    let lint = median(all.iter().map(|r| r.times[0] + r.times[1] + r.times[2]).collect());
    let total = median(all.iter().map(|r| r.times.iter().sum()).collect());
    let floor = zip_floor(&first.entries, work.path(), runs.clamp(3, 5));
    let mut row = format!("| {label} | {} |", first.nodes);
    for (i, _) in STAGES.iter().enumerate() {
        row.push_str(&format!(" {:.1} (+{:.1}) |", ms(time(i)), peak(i) as f64 / 1024.0));
    }
    row.push_str(&format!(" {:.1} | {:.1} |", ms(lint), ms(total)));
    match floor {
        Some((t, size)) => row.push_str(&format!(
            " {:.1} | {:.2} | {:.2} | {:.2} / {:.2} |",
            ms(t),
            time(4).as_secs_f64() / t.as_secs_f64(),
            total.as_secs_f64() / t.as_secs_f64(),
            first.archive_bytes as f64 / 1_048_576.0,
            size as f64 / 1_048_576.0
        )),
        None => row.push_str(" n/a | n/a | n/a | n/a |"),
    }
    println!("{row}");
}

fn main() {
    println!(
        "| pack | nodes | load ms (+MiB) | model ms (+MiB) | check ms (+MiB) | compile ms (+MiB) | archive ms (+MiB) | lint ms | build ms | zip -r -X -6 ms | archive / zip | build / zip | MiB ours / zip |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    if let Some(dir) = std::env::var_os("STACKPACK_BENCH_PACK") {
        let dir = PathBuf::from(dir);
        bench(&dir.display().to_string(), &dir, 10);
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    bench("example `stackpack/`", &root.join("stackpack"), 30);
    let Ok(tmp) = tempfile::tempdir() else { fail("temp dir") };
    for (label, nodes, mb, runs) in [
        ("synthetic 100 nodes", 100, 0, 20),
        ("synthetic 1 000 nodes", 1_000, 0, 10),
        ("synthetic 10 000 nodes", 10_000, 0, 5),
        ("synthetic 1 000 nodes + 50 MB", 1_000, 50, 5),
    ] {
        let dir = tmp.path().join(format!("p{nodes}-{mb}"));
        if generate(
            &dir,
            &SynthSpec {
                nodes,
                resource_bytes: mb << 20,
                seed: 42,
            },
        )
        .is_err()
        {
            fail("generate");
        }
        bench(label, &dir, runs);
    }
    if !reset_peak() {
        println!("\n(the peak could not be reset per stage: memory figures are upper bounds)");
    }
}
