//! `stackpack fmt`: canonical (layout and key order), comment-preserving, idempotent,
//! meaning-preserving (the archive of a formatted pack is byte-identical), `--check` lists
//! files and exits 1.

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
        let role = stackpack::fmt::role_of(&f);
        let Ok(once) = stackpack::fmt::format_source(kind, role, &text) else {
            continue;
        };
        formatted += 1;
        let twice = stackpack::fmt::format_source(kind, role, &once);
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

#[test]
fn keys_are_put_in_the_documented_order_with_their_comments() {
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("p");
    std::fs::create_dir_all(pack.join("nodes")).expect("mkdir");
    std::fs::create_dir_all(pack.join("changelog/unreleased")).expect("mkdir");
    let manifest = "# The manifest.\nversion = \"0.1.0\"\nname = \"p\" # the URN segment\n\n[pages]\ninstalled = \"resources/installed.md\"\n# shown on the pack page\noverview = \"resources/overview.md\"\n\n[dependencies]\ncommon = \"2.5.0\"\n";
    let nodes = "# Types of the pack.\nrelation-types:\n  - id: runs\ncomponent-types:\n  - icon: icons/host.png # a PNG\n    # the external type name\n    name: host\n    x-custom: kept last\n    id: host\n";
    let fragment = "text: First release.\nkind: feature\n";
    std::fs::write(pack.join("stackpack.toml"), manifest).expect("write");
    std::fs::write(pack.join("nodes/types.yaml"), nodes).expect("write");
    std::fs::write(pack.join("changelog/unreleased/a.yaml"), fragment).expect("write");

    let check = stackpack(&pack, &["fmt", "--check"]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    for f in ["stackpack.toml", "nodes/types.yaml", "changelog/unreleased/a.yaml"] {
        assert!(
            check.stdout.contains(&format!("would reformat {f}")),
            "{f}: {}",
            check.stdout
        );
    }
    assert_eq!(
        std::fs::read_to_string(pack.join("nodes/types.yaml")).ok().as_deref(),
        Some(nodes)
    );

    let r = stackpack(&pack, &["fmt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let read = |p: &str| std::fs::read_to_string(pack.join(p)).unwrap_or_default();
    assert_eq!(
        read("stackpack.toml"),
        "# The manifest.\nname = \"p\" # the URN segment\nversion = \"0.1.0\"\n\n[dependencies]\ncommon = \"2.5.0\"\n\n[pages]\n# shown on the pack page\noverview = \"resources/overview.md\"\ninstalled = \"resources/installed.md\"\n"
    );
    assert_eq!(
        read("nodes/types.yaml"),
        "# Types of the pack.\ncomponent-types:\n  - id: host\n    # the external type name\n    name: host\n    icon: icons/host.png # a PNG\n    x-custom: kept last\nrelation-types:\n  - id: runs\n"
    );
    assert_eq!(
        read("changelog/unreleased/a.yaml"),
        "kind: feature\ntext: First release.\n"
    );
    let again = stackpack(&pack, &["fmt", "--check"]);
    assert_eq!(again.code, 0, "idempotent: {}{}", again.stdout, again.stderr);
}

#[test]
fn a_v2_pack_is_formatted_in_its_schema_order() {
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("v2");
    copy_dir(&root().join("tests/fixtures/v2/clean"), &pack);
    let monitor = pack.join("settings/monitors/queue-backlog.sty");
    let text = std::fs::read_to_string(&monitor).expect("read");
    // Move `identifier` below `status`: the schema order puts it second.
    let moved = text.replacen(
        "    identifier: urn:stackpack:acme-queue:monitor:queue-backlog\n",
        "",
        1,
    );
    let moved = moved.replacen(
        "    status: ENABLED\n",
        "    status: ENABLED\n    identifier: urn:stackpack:acme-queue:monitor:queue-backlog\n",
        1,
    );
    assert_ne!(moved, text, "fixture has the lines this test moves");
    std::fs::write(&monitor, &moved).expect("write");
    let r = stackpack(&pack, &["fmt"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = std::fs::read_to_string(&monitor).expect("read");
    let pos = |s: &str| out.find(s).unwrap_or(usize::MAX);
    assert!(
        pos("identifier: urn:stackpack:acme-queue:monitor:queue-backlog") < pos("name: Queue backlog"),
        "{out}"
    );
    assert!(
        out.contains("remediationHint: !include hints/queue-backlog.md.hbs"),
        "tags kept: {out}"
    );
    assert_eq!(stackpack(&pack, &["fmt", "--check"]).code, 0, "idempotent");
    let lint = stackpack(&pack, &["lint"]);
    assert_eq!(
        lint.code, 0,
        "the formatted pack still lints clean: {}{}",
        lint.stdout, lint.stderr
    );
}

/// What `changelog add` and `release` write is already in `fmt`'s form, so a pack with
/// `fmt --check` in CI (or the pre-commit hook) stays green right after a release, for both
/// formats.
#[test]
fn changelog_add_and_release_write_fmt_clean_files() {
    for format in ["v1", "v2"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = stackpack(tmp.path(), &["new", "p", "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let pack = tmp.path().join("p");
        for args in [
            &[
                "changelog",
                "add",
                "--kind",
                "feature",
                "Report: the 'desired' replicas",
            ][..],
            &["changelog", "add", "--kind", "bugfix", "Second change"][..],
            &["release", "--date", "2026-01-02"][..],
            &["changelog", "add", "--kind", "security", "A third"][..],
        ] {
            let r = stackpack(&pack, args);
            assert_eq!(r.code, 0, "{format} {args:?}: {}", r.stderr);
            let check = stackpack(&pack, &["fmt", "--check"]);
            assert_eq!(
                check.code, 0,
                "{format}: after {args:?}: {}{}",
                check.stdout, check.stderr
            );
        }
        let releases = std::fs::read_dir(pack.join("changelog/releases"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(releases, 1, "{format}: the release was written");
    }
}

/// `import` writes its sources in `fmt`'s layout: `fmt --check` accepts them as written, and
/// `fmt` leaves every file and so the archive byte-identical.
#[test]
fn imported_sources_are_in_fmt_layout() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = root().join("tests/fixtures/classic/splunk-like");
    let r = stackpack(tmp.path(), &["import", &src.to_string_lossy(), "--out", "p"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("stackpack fmt"), "{}", r.stderr);
    let pack = tmp.path().join("p");
    let check = stackpack(&pack, &["fmt", "--check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    let before = stackpack(&pack, &["build", "--out", "../before"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    assert_eq!(stackpack(&pack, &["fmt"]).code, 0);
    let after = stackpack(&pack, &["build", "--out", "../after"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    let archive = |dir: &str| {
        let d = std::fs::read_dir(tmp.path().join(dir)).expect("out dir");
        let p = d
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "sts"));
        std::fs::read(p.expect("an archive")).expect("read")
    };
    assert!(archive("before") == archive("after"), "fmt changed the archive");
}
