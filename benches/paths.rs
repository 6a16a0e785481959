//! Every input path, end to end (issue 15.3): the release `stackpack` binary run on generated
//! packs of 1 000 and 10 000 nodes in each of their forms — declarative sources, classic source
//! tree (one large `.stj`), `.sts` — for `lint`, `build`, `build --baseline`, `inspect`,
//! `import` and `diff`, and on the 10 000-node pack with 50 MB of resources for `build`; in the
//! same run, `jq -c .` of the same STJ (rendered to JSON as the import pass does) and
//! `zip -r -X -6` of the same tree, the references of the targets.
//!
//! Each process is measured by the kernel (`wait4`): CPU seconds (user + system: the machine is shared,
//! so wall time mostly measures the neighbours), wall seconds, and peak resident memory.
//! Best of `STACKPACK_BENCH_RUNS` runs (default 5) for times, median for memory. Prints a Markdown table (BENCHMARKS.md).
//!
//! StackPack 2.0 packs (`synth::v2`, 1 000 and 10 000 nodes) get their own rows ([`v2_rows`]):
//! lint and build of the sources, lint, inspect and diff of the `.sts`, against `jq -c .` of the
//! same nodes as JSON and `zip -r -X -6` of the same source tree.
//!
//! `cargo bench --bench paths`.

use stackpack::synth::{classic, v2, ClassicForms, SynthSpec, V2Forms};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_stackpack");

#[derive(Clone, Copy, Default)]
struct Sample {
    cpu: f64,
    wall: f64,
    mib: f64,
}

fn fail(what: &str) -> ! {
    eprintln!("benchmark failed: {what}");
    std::process::exit(2)
}

/// One run of `program args`, measured from the kernel's accounting of that child (`wait4`):
/// user + system CPU time in microseconds, wall time, peak resident size. `None` when the
/// program is missing or was killed.
fn run_once(program: &str, args: &[&str], cwd: &Path) -> Option<Sample> {
    // Peak memory comes from `/usr/bin/time` (`%M`): the rusage of a forked child also counts
    // the pages it shared with this process before `exec`. CPU time comes from `wait4` on
    // `time`, which includes the program it waited for.
    let mem_file = std::env::temp_dir().join(format!("stackpack-bench-mem-{}", std::process::id()));
    let started = std::time::Instant::now();
    let child = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&mem_file)
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let pid = libc::pid_t::try_from(child.id()).ok()?;
    let mut status = 0;
    // SAFETY: `rusage` is plain data; `wait4` fills it for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    if rc != pid || libc::WIFSIGNALED(status) || libc::WEXITSTATUS(status) > 2 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let kib: f64 = std::fs::read_to_string(&mem_file)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))?;
    let _ = std::fs::remove_file(&mem_file);
    Some(Sample {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        mib: kib / 1024.0,
    })
}

fn runs() -> usize {
    std::env::var("STACKPACK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

/// Best (times) and median (memory) over runs; `before` runs before every run (outside timing).
fn measure(program: &str, args: &[&str], cwd: &Path, before: &dyn Fn()) -> Option<Sample> {
    let mut s = Vec::new();
    for _ in 0..runs() {
        before();
        s.push(run_once(program, args, cwd)?);
    }
    let med = |f: &dyn Fn(&Sample) -> f64| {
        let mut v: Vec<f64> = s.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    // Best of N for times (the run least disturbed by the other processes on the machine),
    // median for memory.
    let best = |f: &dyn Fn(&Sample) -> f64| s.iter().map(f).fold(f64::INFINITY, f64::min);
    Some(Sample {
        cpu: best(&|x| x.cpu),
        wall: best(&|x| x.wall),
        mib: med(&|x| x.mib),
    })
}

/// The pack's `.stj`, rendered at import time (sample arguments, every `get` resolved), as JSON
/// text that `jq` can read: the same bytes the import pass turns the STJ into.
fn rendered_stj(tree: &Path, out: &Path) -> PathBuf {
    let templates = tree.join("provisioning/templates");
    let stj = std::fs::read_dir(&templates)
        .ok()
        .and_then(|r| {
            r.flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "stj"))
        })
        .unwrap_or_else(|| fail("no .stj in the classic tree"));
    let text = std::fs::read_to_string(&stj).unwrap_or_else(|e| fail(&e.to_string()));
    let prov = tree.join("provisioning");
    let files = |p: &str, e: stackpack::template::Encoding| -> Result<String, String> {
        let path = prov.join(p.trim_start_matches("./"));
        match e {
            stackpack::template::Encoding::Base64 => Ok("data:image/png;base64,AA==".into()),
            _ => std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display())),
        }
    };
    let any = |_: &str| true;
    let ctx = stackpack::template::MapContext {
        args: [("instanceId", "1"), ("instanceName", "bench"), ("topicName", "bench")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        files: &files,
        known: &any,
    };
    let r = stackpack::template::render_import(&text, &ctx).unwrap_or_else(|e| fail(&e.message));
    let path = out.join("rendered.json");
    std::fs::write(&path, r.text).unwrap_or_else(|e| fail(&e.to_string()));
    path
}

struct Row {
    path: String,
    small: Option<Sample>,
    large: Option<Sample>,
    reference: &'static str,
    ref_large: Option<Sample>,
}

fn fmt(s: Option<Sample>) -> String {
    match s {
        Some(s) => format!("{:.3} ({:.2}, {:.0})", s.cpu, s.wall, s.mib),
        None => "–".into(),
    }
}

/// CPU ratio (and wall ratio: on an idle machine the parallel deflate shows there).
fn ratio(a: Option<Sample>, b: Option<Sample>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.cpu > 0.0 && b.wall > 0.0 => {
            format!("{:.2} (wall {:.2})", a.cpu / b.cpu, a.wall / b.wall)
        }
        _ => "–".into(),
    }
}

/// Rows of the StackPack 2.0 format, with their own references (`jq -c .` of the same nodes as
/// JSON, `zip -r -X -6` of the same source tree), measured by the same [`measure`].
/// A reference row: its name and its samples at 1 000 and 10 000 nodes.
type RefRow = (String, [Option<Sample>; 2]);
/// A 2.0 case: row name, reference ("jq" or "zip"), arguments for a pack and its size index.
type V2Case<'a> = (&'a str, &'static str, &'a dyn Fn(&V2Forms, usize) -> Vec<String>);

fn v2_rows(packs: &[V2Forms; 2], work: &Path) -> (Vec<Row>, [RefRow; 2]) {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let nothing = || {};
    let jq: [Option<Sample>; 2] = [0, 1].map(|i| {
        let mut args = vec!["-c".to_string(), ".".to_string()];
        args.extend(packs[i].json.iter().map(|p| s(p)));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        measure("jq", &a, work, &nothing)
    });
    let zip: [Option<Sample>; 2] = [0, 1].map(|i| {
        let target = work.join(format!("ref-v2-{i}.zip"));
        let t2 = target.clone();
        measure(
            "zip",
            &["-q", "-r", "-X", "-6", &s(&target), "."],
            &packs[i].source,
            &move || {
                let _ = std::fs::remove_file(&t2);
            },
        )
    });
    let mut rows = Vec::new();
    let cases: [V2Case; 5] = [
        ("2.0 sources: lint", "jq", &|f, _| vec!["lint".into(), s(&f.source)]),
        ("2.0 sources: build", "zip", &|f, i| {
            vec![
                "build".into(),
                s(&f.source),
                "--out".into(),
                s(&work.join(format!("v2-out-{i}"))),
            ]
        }),
        (".sts 2.0: lint", "jq", &|f, _| vec!["lint".into(), s(&f.sts)]),
        (".sts 2.0: inspect", "jq", &|f, _| vec!["inspect".into(), s(&f.sts)]),
        (".sts 2.0: diff (same archive twice)", "jq", &|f, _| {
            vec!["diff".into(), s(&f.sts), s(&f.sts)]
        }),
    ];
    for (name, reference, args) in cases {
        let mut out = [None, None];
        for (i, f) in packs.iter().enumerate() {
            let a = args(f, i);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            out[i] = measure(BIN, &a, work, &nothing);
        }
        rows.push(Row {
            path: name.into(),
            small: out[0],
            large: out[1],
            reference,
            ref_large: if reference == "jq" { jq[1] } else { zip[1] },
        });
    }
    (
        rows,
        [
            ("`jq -c .` of the 2.0 nodes as JSON".into(), jq),
            ("`zip -r -X -6` of the 2.0 sources".into(), zip),
        ],
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| fail(&e.to_string()));
    let w = work.path();
    let gen = |n: usize, mb: usize| {
        let spec = SynthSpec {
            nodes: n,
            resource_bytes: mb << 20,
            seed: 42,
        };
        classic(&w.join(format!("{n}-{mb}")), &spec).unwrap_or_else(|e| fail(&e.to_string()))
    };
    let forms = [gen(1_000, 0), gen(10_000, 0)];
    let big = gen(10_000, 50);
    let jq_input: Vec<PathBuf> = forms
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let d = w.join(format!("jq-{i}"));
            let _ = std::fs::create_dir_all(&d);
            rendered_stj(&f.tree, &d)
        })
        .collect();

    let s = |p: &Path| p.to_string_lossy().into_owned();
    let nothing = || {};
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |name: &str,
                   reference: &'static str,
                   args: &dyn Fn(&ClassicForms, usize) -> Vec<String>,
                   before: &dyn Fn(usize),
                   refs: &[Option<Sample>; 2]| {
        let mut out = [None, None];
        for (i, f) in forms.iter().enumerate() {
            let a = args(f, i);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            out[i] = measure(BIN, &a, w, &|| before(i));
        }
        rows.push(Row {
            path: name.into(),
            small: out[0],
            large: out[1],
            reference,
            ref_large: refs[1],
        });
    };

    // References, in the same run.
    let jq: [Option<Sample>; 2] = [0, 1].map(|i| measure("jq", &["-c", ".", &s(&jq_input[i])], w, &nothing));
    let zip_of = |dir: &Path, tag: &str| {
        let target = w.join(format!("ref-{tag}.zip"));
        let t2 = target.clone();
        measure("zip", &["-q", "-r", "-X", "-6", &s(&target), "."], dir, &move || {
            let _ = std::fs::remove_file(&t2);
        })
    };
    let zip_tree: [Option<Sample>; 2] = [zip_of(&forms[0].tree, "t0"), zip_of(&forms[1].tree, "t1")];
    let zip_big = zip_of(&big.declarative, "big");
    // `cp -r` of the same tree: reading every file and creating each again, the floor of any
    // import (which must also check and convert): with `zip`'s 0.15-0.2 s at 10 000 nodes it
    // shows how much of `zip`'s time is the files themselves.
    let cp_count = std::cell::Cell::new(0usize);
    let cp_of = |dir: &Path, tag: &str| {
        let target = w.join(format!("cp-{tag}"));
        let (t2, w2) = (target.clone(), w.to_path_buf());
        let c = &cp_count;
        measure("cp", &["-r", ".", &s(&target)], dir, &move || {
            // Moved aside, not deleted (see `clear_imp` below).
            c.set(c.get() + 1);
            let _ = std::fs::rename(&t2, w2.join(format!("cp-trash-{}", c.get())));
        })
    };
    let cp_tree: [Option<Sample>; 2] = [cp_of(&forms[0].tree, "t0"), cp_of(&forms[1].tree, "t1")];

    let out_dir = |i: usize| w.join(format!("out-{i}"));
    let imp_dir = |i: usize| w.join(format!("imported-{i}"));
    // The previous run's output is moved aside, not deleted: creating thousands of files right
    // after deleting thousands makes ext4's inode allocator skip the recently freed inodes
    // (`recently_deleted`), which charged several seconds of kernel time to import that a user
    // importing once never sees. Everything is deleted with the work directory at the end.
    let trash = std::cell::Cell::new(0usize);
    let clear_imp = |i: usize| {
        trash.set(trash.get() + 1);
        let _ = std::fs::rename(imp_dir(i), w.join(format!("trash-{}", trash.get())));
    };
    let none = |_: usize| {};
    add(
        "declarative: lint",
        "jq",
        &|f, _| vec!["lint".into(), s(&f.declarative)],
        &none,
        &jq,
    );
    add(
        "declarative: build",
        "zip",
        &|f, i| vec!["build".into(), s(&f.declarative), "--out".into(), s(&out_dir(i))],
        &none,
        &zip_tree,
    );
    add(
        "declarative: build --baseline .sts",
        "zip",
        &|f, i| {
            vec![
                "build".into(),
                s(&f.declarative),
                "--out".into(),
                s(&out_dir(i)),
                "--baseline".into(),
                s(&f.sts),
            ]
        },
        &none,
        &zip_tree,
    );
    add(
        "classic tree: lint",
        "jq",
        &|f, _| vec!["lint".into(), s(&f.tree)],
        &none,
        &jq,
    );
    add(
        "classic tree: import",
        "zip",
        &|f, i| {
            vec![
                "import".into(),
                s(&f.tree),
                "--out".into(),
                s(&imp_dir(i)),
                "--version".into(),
                "1.0.0".into(),
            ]
        },
        &clear_imp,
        &zip_tree,
    );
    // What import checks once more before it finishes: its own output, as a pack (the last
    // import's output is still in place).
    add(
        "imported sources: lint",
        "jq",
        &|_, i| vec!["lint".into(), s(&imp_dir(i))],
        &none,
        &jq,
    );
    add(".sts: lint", "jq", &|f, _| vec!["lint".into(), s(&f.sts)], &none, &jq);
    add(
        ".sts: inspect",
        "jq",
        &|f, _| vec!["inspect".into(), s(&f.sts)],
        &none,
        &jq,
    );
    add(
        ".sts: import",
        "zip",
        &|f, i| {
            vec![
                "import".into(),
                s(&f.sts),
                "--out".into(),
                s(&imp_dir(i)),
                "--version".into(),
                "1.0.0".into(),
            ]
        },
        &clear_imp,
        &zip_tree,
    );
    add(
        ".sts: diff (same archive twice)",
        "jq",
        &|f, _| vec!["diff".into(), s(&f.sts), s(&f.sts)],
        &none,
        &jq,
    );
    let v2_packs = [1_000, 10_000].map(|n| {
        let spec = SynthSpec {
            nodes: n,
            resource_bytes: 0,
            seed: 42,
        };
        v2(&w.join(format!("v2-{n}")), &spec).unwrap_or_else(|e| fail(&e.to_string()))
    });
    let (v2_rows, v2_refs) = v2_rows(&v2_packs, w);

    let big_out = w.join("out-big");
    let big_build = measure(
        BIN,
        &["build", &s(&big.declarative), "--out", &s(&big_out)],
        w,
        &nothing,
    );

    println!("| path | 1 000 nodes: CPU s (wall s, MiB) | 10 000 nodes: CPU s (wall s, MiB) | growth 1k → 10k | reference at 10 000 | ours / reference |");
    println!("|---|---|---|---|---|---|");
    for (name, r) in [
        ("`jq -c .` of the rendered STJ", &jq),
        ("`zip -r -X -6` of the classic tree", &zip_tree),
        ("`cp -r` of the classic tree", &cp_tree),
    ] {
        println!("| {name} | {} | {} | {} | | |", fmt(r[0]), fmt(r[1]), ratio(r[1], r[0]));
    }
    let print_rows = |rows: &[Row], jq_label: &str, zip_label: &str| {
        for r in rows {
            let reference = if r.reference == "jq" { jq_label } else { zip_label };
            println!(
                "| {} | {} | {} | {} | {reference} | {} |",
                r.path,
                fmt(r.small),
                fmt(r.large),
                ratio(r.large, r.small),
                ratio(r.large, r.ref_large)
            );
        }
    };
    print_rows(&rows, "`jq -c .`", "`zip -r -X -6`");
    for (name, r) in &v2_refs {
        println!("| {name} | {} | {} | {} | | |", fmt(r[0]), fmt(r[1]), ratio(r[1], r[0]));
    }
    print_rows(&v2_rows, "`jq -c .` (2.0 JSON)", "`zip -r -X -6` (2.0 sources)");
    println!(
        "| 10 000 nodes + 50 MB: build | | {} | | `zip -r -X -6` of the sources: {} | {} |",
        fmt(big_build),
        fmt(zip_big),
        ratio(big_build, zip_big)
    );
    // Import against its floor — what it must do at least: check the pack (its lint) and create
    // every file (`cp -r`) — and against the sum of its parts run one by one (plus the check of
    // its output as a pack, which it also does), measured in the same run.
    let row = |name: &str| rows.iter().find(|r| r.path == name).and_then(|r| r.large);
    let sum = |parts: &[Option<Sample>]| -> Option<Sample> {
        parts.iter().try_fold(Sample::default(), |acc, p| {
            p.map(|p| Sample {
                cpu: acc.cpu + p.cpu,
                wall: acc.wall + p.wall,
                mib: acc.mib.max(p.mib),
            })
        })
    };
    for (import, lint) in [
        ("classic tree: import", "classic tree: lint"),
        (".sts: import", ".sts: lint"),
    ] {
        let floor = sum(&[row(lint), cp_tree[1]]);
        let parts = sum(&[row(lint), cp_tree[1], row("imported sources: lint")]);
        println!(
            "\n{import} at 10 000 nodes / ({lint} + `cp -r` of the tree): {} (floor {})",
            ratio(row(import), floor),
            fmt(floor)
        );
        println!(
            "{import} at 10 000 nodes / ({lint} + `cp -r` + imported sources: lint): {} (parts {})",
            ratio(row(import), parts),
            fmt(parts)
        );
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let sts_big = std::fs::read_dir(&big_out).ok().and_then(|r| {
        r.flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "sts"))
    });
    println!(
        "\narchive sizes (MiB), 10 000 nodes + 50 MB: ours {:.2}, zip {:.2}",
        sts_big.map_or(0, |p| size(&p)) as f64 / 1048576.0,
        size(&w.join("ref-big.zip")) as f64 / 1048576.0
    );
    println!(
        "STJ: {} bytes (1 000 nodes), {} bytes (10 000 nodes)",
        size(&jq_input[0]),
        size(&jq_input[1])
    );
    println!(
        "2.0 packs: {} and {} nodes, .sts {} and {} bytes",
        v2_packs[0].stats.nodes,
        v2_packs[1].stats.nodes,
        size(&v2_packs[0].sts),
        size(&v2_packs[1].sts)
    );
}
