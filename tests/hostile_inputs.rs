//! Hostile pack trees (issue 11): links out of the pack, FIFOs and devices where files are
//! read, directory loops, budgets. Each case must end within seconds, under a 2 GiB address
//! space, with a coded finding, and print no byte from outside the pack.

mod helpers;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "HOSTILE_SECRET_VALUE_7f3a";

struct Out {
    code: i32,
    all: String,
    took: Duration,
}

/// Run the binary in `dir` under `ulimit -v 2 GiB`, killed (and the test failed) after 20 s.
fn run(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 2097152; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_stackpack"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1600000000")
        .env(SECRET, SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take();
    let mut se = child.stderr.take();
    let t1 = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(o) = so.as_mut() {
            let _ = std::io::Read::read_to_end(o, &mut s);
        }
        s
    });
    let t2 = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(o) = se.as_mut() {
            let _ = std::io::Read::read_to_end(o, &mut s);
        }
        s
    });
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`stackpack {}` hung (killed after 20 s)", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let mut all = String::from_utf8_lossy(&t1.join().unwrap_or_default()).into_owned();
    all.push_str(&String::from_utf8_lossy(&t2.join().unwrap_or_default()));
    Out {
        code: status.code().unwrap_or(-1),
        all,
        took,
    }
}

/// A copy of the example pack and its changelog in a temp dir: (guard, pack dir).
fn example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pack = tmp.path().join("stackpack");
    helpers::copy_dir(&helpers::root().join("stackpack"), &pack);
    helpers::copy_dir(&helpers::root().join("changelog"), &tmp.path().join("changelog"));
    (tmp, pack)
}

fn symlink(target: &str, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap_or_else(|e| panic!("symlink {}: {e}", at.display()));
}

fn mkfifo(at: &Path) {
    let c = std::ffi::CString::new(at.as_os_str().as_encoded_bytes()).unwrap_or_default();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", at.display());
}

fn assert_coded(o: &Out, what: &str, code: &str) {
    assert!(o.code == 1 || o.code == 2, "{what}: exit {}: {}", o.code, o.all);
    assert!(o.all.contains(code), "{what}: no {code} in {}", o.all);
    assert!(o.took < Duration::from_secs(10), "{what}: took {:?}", o.took);
    assert!(!o.all.contains(SECRET), "{what}: printed the environment");
}

#[test]
fn a_manifest_linked_to_the_environment_is_refused_and_never_printed() {
    let (tmp, pack) = example();
    std::fs::remove_file(pack.join("stackpack.toml")).unwrap_or_else(|e| panic!("{e}"));
    symlink("/proc/self/environ", &pack.join("stackpack.toml"));
    for args in [
        vec!["lint", "."],
        vec!["lint", ".", "--format", "json"],
        vec!["lint", ".", "--format", "sarif"],
        vec!["build", ".", "--out", "../out"],
        vec!["release-notes", "."],
        vec!["release", "."],
    ] {
        let o = run(&pack, &args);
        assert_coded(&o, &args.join(" "), "SP009");
    }
    assert!(!tmp.path().join("out").exists(), "built from a refused manifest");
}

#[test]
fn node_and_page_files_linked_out_of_the_pack_are_never_printed() {
    let (_tmp, pack) = example();
    let node = std::fs::read_dir(pack.join("nodes"))
        .ok()
        .and_then(|mut rd| rd.next())
        .and_then(Result::ok)
        .map(|e| e.path())
        .unwrap_or_else(|| panic!("no node file"));
    std::fs::remove_file(&node).unwrap_or_else(|e| panic!("{e}"));
    symlink("/proc/self/environ", &node);
    for f in ["human", "json", "sarif"] {
        let o = run(&pack, &["lint", ".", "--format", f]);
        assert_coded(&o, f, "SP009");
    }
}

#[test]
fn a_fifo_in_the_changelog_hangs_no_command() {
    let (tmp, pack) = example();
    mkfifo(
        &tmp.path()
            .join("changelog/unreleased/20990101-000000-feature-fifo.yaml"),
    );
    let before = snapshot(tmp.path());
    for args in [
        vec!["lint", "."],
        vec!["build", ".", "--out", "../out"],
        vec!["release-notes", "."],
        vec!["release", "."],
    ] {
        let o = run(&pack, &args);
        assert_coded(&o, &args.join(" "), "SP013");
    }
    assert_eq!(before, snapshot(tmp.path()), "a refused command changed files");
    // `changelog add` writes a new fragment; it must not block on the FIFO either.
    let o = run(&pack, &["changelog", "add", ".", "--kind", "bugfix", "Fix it"]);
    assert!(o.took < Duration::from_secs(10));
}

#[test]
fn a_fifo_or_device_among_the_pack_files_is_refused() {
    let (_tmp, pack) = example();
    let page = pack.join("resources/overview.md");
    std::fs::remove_file(&page).unwrap_or_else(|e| panic!("{e}"));
    mkfifo(&page);
    let o = run(&pack, &["lint", "."]);
    assert_coded(&o, "fifo page", "SP013");
    let o = run(&pack, &["build", ".", "--out", "../out"]);
    assert!(o.code != 0, "built with a FIFO page: {}", o.all);
    assert!(o.took < Duration::from_secs(10));
    std::fs::remove_file(&page).unwrap_or_else(|e| panic!("{e}"));
    symlink("/dev/zero", &page);
    let o = run(&pack, &["lint", "."]);
    assert_coded(&o, "/dev/zero page", "SP009");
}

#[test]
fn directory_link_loops_end_quickly_and_copy_nothing_twice() {
    let (tmp, pack) = example();
    symlink(".", &pack.join("resources/a"));
    symlink(".", &pack.join("resources/b"));
    symlink("..", &pack.join("resources/up"));
    let o = run(&pack, &["lint", "."]);
    assert_coded(&o, "lint", "SP012");
    let o = run(&pack, &["build", ".", "--out", "../out"]);
    assert_coded(&o, "build", "SP012");
    assert!(!tmp.path().join("out").exists() || dir_size(&tmp.path().join("out")) < 20 << 20);
}

#[test]
fn lint_of_the_file_system_root_looks_for_the_manifest_first() {
    let o = run(Path::new("/"), &["lint", "/"]);
    assert_eq!(o.code, 2, "{}", o.all);
    assert!(o.took < Duration::from_secs(2), "walked the file system: {:?}", o.took);
    assert!(o.all.contains("stackpack.toml"), "{}", o.all);
}

#[test]
fn the_alias_budget_is_per_run_not_per_file() {
    let (_tmp, pack) = example();
    // 300 files each just under the per-file budget of 100 000 alias values.
    let mut text = String::from("x-anchors:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (c, p) in [('b', 'a'), ('c', 'b'), ('d', 'c')] {
        text.push_str(&format!("  {c}: &{c} [{}]\n", vec![format!("*{p}"); 10].join(", ")));
    }
    text.push_str(&format!("  e: [{}]\n", ["*d"; 7].join(", ")));
    for i in 0..300 {
        std::fs::write(pack.join(format!("nodes/zz-{i:03}.yaml")), &text).unwrap_or_else(|e| panic!("{e}"));
    }
    let o = run(&pack, &["lint", "."]);
    assert_coded(&o, "300 alias files", "SP014");
    assert_eq!(o.all.matches("SP014").count(), 1, "reported once per run: {}", o.all);
}

#[test]
fn node_files_in_the_wrong_place_are_findings() {
    let (_tmp, pack) = example();
    std::fs::write(pack.join("views.yaml"), "views:\n  - id: extra\n    name: Extra\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(pack.join("node")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(pack.join("node/types.yml"), "component-types:\n  - id: x\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(pack.join("nodes/more.json"), "{\"layers\": []}\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(pack.join("nodes/MORE.YAML"), "layers: []\n").unwrap_or_else(|e| panic!("{e}"));
    let o = run(&pack, &["lint", ".", "--format", "json"]);
    for want in ["\"views.yaml\"", "node/types.yml", "nodes/more.json", "nodes/MORE.YAML"] {
        assert!(o.all.contains(want), "{want} not reported: {}", o.all);
    }
    assert_eq!(o.all.matches("\"SP016\"").count(), 2, "{}", o.all);
    assert_eq!(o.all.matches("\"SP017\"").count(), 2, "{}", o.all);
}

/// A whole pack copied inside another gives one SP016 at its manifest, not one per node file.
#[test]
fn a_pack_inside_the_pack_is_one_finding() {
    let (_tmp, pack) = example();
    helpers::copy_dir(&helpers::root().join("stackpack"), &pack.join("vendor/other"));
    let nodes = std::fs::read_dir(pack.join("vendor/other/nodes"))
        .map(|r| r.count())
        .unwrap_or(0);
    assert!(nodes > 1, "the example has several node files");
    let o = run(&pack, &["lint", ".", "--format", "json"]);
    assert_eq!(o.all.matches("\"SP016\"").count(), 1, "{}", o.all);
    assert!(o.all.contains("vendor/other/stackpack.toml"), "{}", o.all);
    assert!(o.all.contains(&format!("its {nodes} node files")), "{}", o.all);
    // A stray node file outside both packs is still its own finding.
    std::fs::write(pack.join("views.yaml"), "views:\n  - id: extra\n    name: Extra\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = run(&pack, &["lint", ".", "--format", "json"]);
    assert_eq!(o.all.matches("\"SP016\"").count(), 2, "{}", o.all);
}

/// Every file below `dir` with its content (symlinks as their target), for "nothing changed".
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            let rel = p.strip_prefix(dir).map(|r| r.display().to_string()).unwrap_or_default();
            if ft.is_symlink() {
                out.push((
                    rel,
                    std::fs::read_link(&p)
                        .map(|t| t.display().to_string().into_bytes())
                        .unwrap_or_default(),
                ));
            } else if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                out.push((rel, std::fs::read(&p).unwrap_or_default()));
            } else {
                out.push((rel, b"<special>".to_vec()));
            }
        }
    }
    out.sort();
    out
}

fn dir_size(dir: &Path) -> u64 {
    snapshot(dir).iter().map(|(_, b)| b.len() as u64).sum()
}

#[test]
fn import_removes_the_staging_directories_of_killed_runs_only() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new("true").spawn().unwrap_or_else(|e| panic!("{e}"));
    let dead = child.id();
    let _ = child.wait();
    let stale = tmp.path().join(format!(".stackpack-import-{dead}-abc123"));
    std::fs::create_dir_all(stale.join("nodes")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(stale.join("nodes/x.yaml"), vec![b'x'; 1 << 20]).unwrap_or_else(|e| panic!("{e}"));
    let live = tmp
        .path()
        .join(format!(".stackpack-import-{}-def456", std::process::id()));
    std::fs::create_dir_all(&live).unwrap_or_else(|e| panic!("{e}"));
    let src = helpers::root().join("tests/fixtures/classic/minimal");
    let o = run(
        tmp.path(),
        &[
            "import",
            &src.to_string_lossy(),
            "--out",
            "imported",
            "--version",
            "1.0.0",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.all);
    assert!(tmp.path().join("imported/stackpack.toml").is_file(), "{}", o.all);
    assert!(!stale.exists(), "the killed run's staging directory is still there");
    assert!(live.exists(), "a running import's staging directory was removed");
}

#[test]
fn a_logo_that_is_a_directory_fails_the_build() {
    let (tmp, pack) = example();
    let logo = pack.join("resources/logo.png");
    std::fs::remove_file(&logo).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&logo).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(logo.join("a.txt"), "x").unwrap_or_else(|e| panic!("{e}"));
    let o = run(&pack, &["build", ".", "--out", "../out"]);
    assert_coded(&o, "logo directory", "SP013");
    assert!(
        !tmp.path().join("out").exists(),
        "an archive without its logo was written"
    );
    // lint finds it too, at the manifest's `logo`, not only build's copy step.
    let o = run(&pack, &["lint", "."]);
    assert_coded(&o, "logo directory (lint)", "SP013");
    assert!(o.all.contains("stackpack.toml"), "{}", o.all);
}

#[test]
fn a_fifo_manifest_or_node_file_hangs_no_command() {
    let (_tmp, pack) = example();
    let m = pack.join("stackpack.toml");
    let saved = std::fs::read(&m).unwrap_or_default();
    std::fs::remove_file(&m).unwrap_or_else(|e| panic!("{e}"));
    mkfifo(&m);
    for args in [
        vec!["lint", "."],
        vec!["build", ".", "--out", "../out"],
        vec!["release", "."],
        vec!["release-notes", "."],
        vec!["changelog", "add", ".", "--kind", "bugfix", "x"],
    ] {
        let o = run(&pack, &args);
        assert_coded(&o, &format!("fifo manifest: {}", args.join(" ")), "SP013");
    }
    std::fs::remove_file(&m).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&m, saved).unwrap_or_else(|e| panic!("{e}"));
    let node = pack.join("nodes/views.yaml");
    std::fs::remove_file(&node).unwrap_or_else(|e| panic!("{e}"));
    mkfifo(&node);
    let o = run(&pack, &["lint", "."]);
    assert_coded(&o, "fifo node file", "SP013");
}
