//! `stackpack fmt`: canonical, comment-preserving, idempotent, meaning-preserving (the archive
//! of a formatted pack is byte-identical), `--check` lists files and exits 1.

mod helpers;

use helpers::{copy_dir, root, stackpack};
use std::path::Path;

fn example_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(&root().join("stackpack"), &tmp.path().join("stackpack"));
    copy_dir(&root().join("changelog"), &tmp.path().join("changelog"));
    tmp
}

#[test]
fn the_example_pack_is_fmt_clean() {
    let tmp = example_copy();
    let r = stackpack(&tmp.path().join("stackpack"), &["fmt", "--check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("0 of "), "{}", r.stderr);
}

#[test]
fn messy_sources_are_formatted_idempotently_with_the_same_archive() {
    let tmp = example_copy();
    let pack = tmp.path().join("stackpack");
    let before = stackpack(&pack, &["build", "--out", "../before"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    // Mess up the layout without changing the data.
    let types = pack.join("nodes/component-types.yaml");
    let text = std::fs::read_to_string(&types).expect("read");
    let messy = text
        .split('\n')
        .map(|l| {
            if l.trim().is_empty() || l.starts_with('#') {
                l.to_string()
            } else {
                format!("{l}   ")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace("icon: ", "icon:      ")
        + "\n\n\n";
    std::fs::write(&types, &messy).expect("write");
    let manifest = pack.join("stackpack.toml");
    let m = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(&manifest, m.replace(" = ", "=").replace("version=", "version   =")).expect("write");

    let check = stackpack(&pack, &["fmt", "--check"]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("would reformat nodes/component-types.yaml"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("would reformat stackpack.toml"),
        "{}",
        check.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&types).ok().as_deref(),
        Some(messy.as_str()),
        "--check writes nothing"
    );

    let r = stackpack(&pack, &["fmt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let formatted = std::fs::read_to_string(&types).expect("read");
    assert_eq!(
        formatted, text,
        "the canonical form of the example's file is the file itself"
    );
    let m2 = std::fs::read_to_string(&manifest).expect("read");
    assert!(m2.contains("# The StackState Agent V2 StackPack"), "comments are kept");
    assert_eq!(stackpack(&pack, &["fmt", "--check"]).code, 0, "idempotent");

    let after = stackpack(&pack, &["build", "--out", "../after"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    let a = std::fs::read(tmp.path().join("before/stackstate-agent-v2-4.3.1.sts")).expect("before");
    let b = std::fs::read(tmp.path().join("after/stackstate-agent-v2-4.3.1.sts")).expect("after");
    assert!(a == b, "formatting does not change the archive");
}

fn yaml_and_toml(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_and_toml(&p, out);
        } else if stackpack::fmt::kind_of(&p).is_some() {
            out.push(p);
        }
    }
}

#[test]
fn formatting_every_fixture_is_idempotent_and_keeps_its_data() {
    let mut files = Vec::new();
    yaml_and_toml(&root().join("tests/fixtures"), &mut files);
    yaml_and_toml(&root().join("stackpack"), &mut files);
    assert!(files.len() > 20, "fixtures found");
    let mut formatted = 0;
    for f in files {
        let Some(kind) = stackpack::fmt::kind_of(&f) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        // Files that do not parse (syntax fixtures) are refused, never rewritten.
        let Ok(once) = stackpack::fmt::format_text(kind, &text) else {
            continue;
        };
        formatted += 1;
        let twice = stackpack::fmt::format_text(kind, &once);
        assert_eq!(twice.as_ref(), Ok(&once), "not idempotent: {}", f.display());
        for line in text.lines().map(str::trim).filter(|l| l.starts_with('#')) {
            assert!(
                once.contains(line.trim_end()),
                "comment `{line}` kept in {}",
                f.display()
            );
        }
    }
    assert!(formatted > 20);
}

#[test]
fn broken_files_are_left_alone_and_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("bad.yaml"), "a: [\n").expect("write");
    std::fs::write(tmp.path().join("ok.yml"), "a:   1\n").expect("write");
    let r = stackpack(tmp.path(), &["fmt", "bad.yaml", "ok.yml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("bad.yaml") && r.stderr.contains("does not parse"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("bad.yaml")).ok().as_deref(),
        Some("a: [\n")
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("ok.yml")).ok().as_deref(),
        Some("a: 1\n")
    );
    let r = stackpack(tmp.path(), &["fmt", "README.md"]);
    assert_eq!(r.code, 2);
}
