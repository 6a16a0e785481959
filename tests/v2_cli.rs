//! StackPack 2.0 from the command line: build (entry set, byte reproducibility, refusals),
//! inspect, diff and the version verdict, release (version edit keeping comments, changelog),
//! release notes; and the published 2.0 packs when `STACKPACK_V2_CORPUS` names a directory of
//! them (e.g. a checkout of StackVista/contrib-stackpacks' `stackpacks/`).

mod helpers;

use helpers::{copy_dir, root, stackpack};
use std::path::{Path, PathBuf};
use std::process::Command;

fn clean() -> PathBuf {
    root().join("tests/fixtures/v2/clean")
}

/// A copy of the clean pack in a temporary directory, under its own name.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&clean(), &dir);
    (tmp, dir)
}

fn entries(archive: &Path) -> Vec<String> {
    let f = std::fs::File::open(archive).unwrap_or_else(|e| panic!("open {}: {e}", archive.display()));
    let z = zip::ZipArchive::new(f).unwrap_or_else(|e| panic!("zip: {e}"));
    z.file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.contains(old), "`{old}` not in {}", path.display());
    std::fs::write(path, text.replacen(old, new, 1)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn build_ships_exactly_the_sts_entry_set() {
    let (tmp, dir) = copy();
    std::fs::write(dir.join("notes.txt"), "not shipped").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("stackpack-targets.toml"), "[server]\nmin = \"2.5.0\"\n").unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("out");
    let run = stackpack(&dir, &["build", ".", "--out", &out.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let archive = out.join("acme-queue-1.2.0.sts");
    assert_eq!(run.stdout.trim(), archive.to_string_lossy());
    let names = entries(&archive);
    let expected: Vec<String> = [
        "README.md",
        "icons/acme.svg",
        "icons/queue.svg",
        "includes/hints/queue-backlog.md.hbs",
        "resources/configuration.md",
        "resources/detailed-overview.md",
        "resources/error.md",
        "resources/installed.md",
        "resources/logo.svg",
        "resources/overview.md",
        "resources/provisioning.md",
        "settings/dashboard.sty",
        "settings/main-menu.sty",
        "settings/mappings/components.sty",
        "settings/monitors/queue-backlog.sty",
        "settings/presentations/common.sty",
        "settings/presentations/queues.sty",
        "stackpack.yaml",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(names, expected);
    // The archive is a 2.0 pack too: it lints, inspects and diffs.
    let run = stackpack(tmp.path(), &["lint", &archive.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = stackpack(tmp.path(), &["inspect", &archive.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("urn:stackpack:acme-queue:monitor:queue-backlog Monitor (settings/monitors/queue-backlog.sty)"),
        "{}",
        run.stdout
    );
    let run = stackpack(
        tmp.path(),
        &["diff", &archive.to_string_lossy(), &dir.to_string_lossy()],
    );
    assert!(run.stdout.contains("no node changed"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn build_is_byte_reproducible_across_mtimes_and_umask() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, a) = copy();
    let b = tmp.path().join("other/acme-queue");
    copy_dir(&clean(), &b);
    // Other modes and modification times on the second copy.
    for entry in [
        "stackpack.yaml",
        "settings/monitors/queue-backlog.sty",
        "resources/logo.svg",
    ] {
        let p = b.join(entry);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap_or_else(|e| panic!("{e}"));
        let f = std::fs::File::options()
            .append(true)
            .open(&p)
            .unwrap_or_else(|e| panic!("{e}"));
        f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let build = |dir: &Path, out: &Path, umask: &str| {
        let st = Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" build . --out \"$1\"",))
            .arg(env!("CARGO_BIN_EXE_stackpack"))
            .arg(out)
            .current_dir(dir)
            .env("SOURCE_DATE_EPOCH", "1600000000")
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
        std::fs::read(out.join("acme-queue-1.2.0.sts")).unwrap_or_else(|e| panic!("{e}"))
    };
    let one = build(&a, &tmp.path().join("out1"), "022");
    let two = build(&b, &tmp.path().join("out2"), "077");
    assert!(one == two, "two builds of the same pack differ");
    // A different SOURCE_DATE_EPOCH changes the bytes (the time is really written).
    let three = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(["build", ".", "--out", &tmp.path().join("out3").to_string_lossy()])
        .current_dir(&a)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(three.status.success());
    let three = std::fs::read(tmp.path().join("out3/acme-queue-1.2.0.sts")).unwrap_or_default();
    assert!(three != one);
}

#[test]
fn build_writes_nothing_when_lint_finds_errors_or_junk() {
    let (tmp, dir) = copy();
    let out = tmp.path().join("out");
    std::fs::write(dir.join("resources/acme-queue-1.1.0.sts"), b"PK").unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["build", ".", "--out", &out.to_string_lossy()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("SP2901") && run.stderr.contains("not building"),
        "{}",
        run.stderr
    );
    assert!(!out.exists() || std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0) == 0);
    std::fs::remove_file(dir.join("resources/acme-queue-1.1.0.sts")).unwrap_or_else(|e| panic!("{e}"));
    edit(
        &dir.join("settings/monitors/queue-backlog.sty"),
        "comparator: GT",
        "comparator: GREATER",
    );
    let run = stackpack(&dir, &["build", ".", "--out", &out.to_string_lossy()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!out.join("acme-queue-1.2.0.sts").exists());
}

/// Issue 13.5 for 2.0 packs: `diff X X` needs no release and exits 0, like v1.
#[test]
fn diff_of_identical_packs_exits_zero() {
    let (_tmp, dir) = copy();
    let run = stackpack(&dir, &["diff", &clean().to_string_lossy(), "."]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("nothing changed"), "{}", run.stdout);
    assert!(!run.stdout.contains("too small"), "{}", run.stdout);
}

#[test]
fn diff_gives_the_semver_verdict() {
    let (_tmp, dir) = copy();
    // A changed threshold: major for a monitor; the version says patch.
    edit(
        &dir.join("settings/monitors/queue-backlog.sty"),
        "threshold: 1000",
        "threshold: 2000",
    );
    edit(&dir.join("stackpack.yaml"), "version: \"1.2.0\"", "version: \"1.2.1\"");
    let run = stackpack(&dir, &["diff", &clean().to_string_lossy(), "."]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let out = run.stdout.replace(&clean().to_string_lossy().to_string(), "<clean>");
    insta::assert_snapshot!("v2_diff_changed_monitor", out);
    // A renamed monitor (new last segment): major, and the note about override annotations.
    let (_tmp2, dir2) = copy();
    edit(
        &dir2.join("settings/monitors/queue-backlog.sty"),
        "monitor:queue-backlog",
        "monitor:queue-size",
    );
    edit(&dir2.join("stackpack.yaml"), "version: \"1.2.0\"", "version: \"2.0.0\"");
    let run = stackpack(&dir2, &["diff", &clean().to_string_lossy(), ".", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("\"change\": \"rekeyed\"")
            && run.stdout.contains("override annotations name it by `queue-backlog`"),
        "{}",
        run.stdout
    );
    // An added dashboard: minor is enough.
    let (_tmp3, dir3) = copy();
    edit(&dir3.join("settings/main-menu.sty"), "    items: []\n", "    items: []\n  - _type: MainMenuGroup\n    identifier: urn:stackpack:acme-queue:main-menu-group:more\n    name: More\n    defaultOpen: false\n    items: []\n");
    edit(&dir3.join("stackpack.yaml"), "version: \"1.2.0\"", "version: \"1.3.0\"");
    let run = stackpack(&dir3, &["diff", &clean().to_string_lossy(), "."]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("required bump: minor"), "{}", run.stdout);
    // A presentation's column retitled: what users see changes, nothing refers to it: minor,
    // not major (published packs ship such changes as patch releases of 0.x versions).
    let (_tmp4, dir4) = copy();
    edit(
        &dir4.join("settings/presentations/queues.sty"),
        "          - columnId: acme_broker\n            title: Broker",
        "          - columnId: acme_broker\n            title: Message broker",
    );
    edit(&dir4.join("stackpack.yaml"), "version: \"1.2.0\"", "version: \"1.3.0\"");
    let run = stackpack(&dir4, &["diff", &clean().to_string_lossy(), "."]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("required bump: minor (a changed presentation changes what users see"),
        "{}",
        run.stdout
    );
    // --baseline on lint: the same verdict as a finding.
    let run = stackpack(&dir, &["lint", ".", "--baseline", &clean().to_string_lossy()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("SP2505") && run.stderr.contains("release 2.0.0 or later"),
        "{}",
        run.stderr
    );
}

#[test]
fn release_bumps_the_version_keeping_the_file() {
    let (_tmp, dir) = copy();
    let before = std::fs::read_to_string(dir.join("stackpack.yaml")).unwrap_or_default();
    let run = stackpack(&dir, &["release", "."]);
    assert_eq!(run.code, 1, "without a changelog, auto needs --bump: {}", run.stderr);
    let run = stackpack(&dir, &["release", ".", "--bump", "minor"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("released 1.3.0 (was 1.2.0)"), "{}", run.stdout);
    let after = std::fs::read_to_string(dir.join("stackpack.yaml")).unwrap_or_default();
    assert_eq!(after, before.replace("version: \"1.2.0\"", "version: \"1.3.0\""));
}

#[test]
fn release_folds_the_changelog_and_release_notes_render() {
    let (_tmp, dir) = copy();
    std::fs::create_dir_all(dir.join("changelog/releases")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.join("changelog/unreleased")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("changelog/releases/1.2.0.yaml"),
        "version: 1.2.0\ndate: 2026-11-02\nentries:\n  - kind: feature\n    text: Queue backlog monitor.\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("changelog/unreleased/dashboard.yaml"),
        "kind: feature\ntext: A dashboard of every queue.\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["lint", "."]);
    assert_eq!(
        run.code, 0,
        "the changelog is part of the pack, not a stray entry: {}",
        run.stderr
    );
    let run = stackpack(&dir, &["release", ".", "--date", "2026-12-01"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("released 1.3.0 (2026-12-01)"), "{}", run.stdout);
    let yaml = std::fs::read_to_string(dir.join("stackpack.yaml")).unwrap_or_default();
    assert!(
        yaml.contains("version: \"1.3.0\"") && yaml.starts_with("# Acme queue service"),
        "{yaml}"
    );
    assert!(dir.join("changelog/releases/1.3.0.yaml").is_file());
    let run = stackpack(&dir, &["release-notes", ".", "--format", "markdown"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("v2_release_notes", run.stdout);
}

#[test]
fn published_packs_lint_without_errors_and_build() {
    let Some(corpus) = std::env::var_os("STACKPACK_V2_CORPUS").map(PathBuf::from) else {
        eprintln!("STACKPACK_V2_CORPUS is not set: skipping the published 2.0 packs");
        return;
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    for e in std::fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("{}: {e}", corpus.display()))
        .flatten()
    {
        let p = e.path();
        if !p.join("stackpack.yaml").is_file() {
            continue;
        }
        n += 1;
        let run = stackpack(&p, &["lint", "."]);
        assert_eq!(run.code, 0, "{}: {}", p.display(), run.stderr);
        let out = tmp.path().join(e.file_name());
        let run = stackpack(&p, &["build", ".", "--out", &out.to_string_lossy()]);
        assert_eq!(run.code, 0, "{}: {}", p.display(), run.stderr);
    }
    assert!(n > 0, "no 2.0 pack in {}", corpus.display());
}

#[test]
fn the_old_dialect_is_recognised_and_told_to_migrate() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("old");
    std::fs::create_dir_all(dir.join("provisioning")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.join("resources")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("stackpack.conf"), "schemaVersion = \"2.0\"\nname = \"old\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("provisioning/stackpack.sty"),
        "nodes:\n{{ include \"./monitors.sty\" \"yaml\" }}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The pages the conf names (as the 2025 template has them) and a README.
    for page in ["overview.md", "installed.md"] {
        std::fs::write(dir.join("resources").join(page), "# page\n").unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(dir.join("README.md"), "").unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["lint", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // One mistake, one finding: the dialect, with how to migrate; not also "no stackpack.yaml",
    // "no settings", a second SP2013 for provisioning/ and every page an orphan.
    assert!(
        run.stderr.contains(
            "error[SP2013]: this pack is written in the old 2.0 dialect (`provisioning` and `stackpack.conf`)"
        ) && run.stderr.contains("help: migrate it: stackpack.conf → stackpack.yaml"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 error, 0 warnings"), "{}", run.stderr);
}

#[test]
fn a_misspelt_template_label_gets_a_suggestion() {
    let (_tmp, dir) = copy();
    edit(
        &dir.join("settings/monitors/queue-backlog.sty"),
        "      urnTemplate: urn:acme:broker/${broker}:queue/${queue}",
        "      urnTemplate: urn:acme:broker/${broker}:queue/${queu}",
    );
    let run = stackpack(&dir, &["lint", "."]);
    assert!(
        run.stderr.contains("`${queu}` is not a label the query keeps")
            && run.stderr.contains("help: did you mean `${queue}`?"),
        "{}",
        run.stderr
    );
    // The same in a remediation hint (`{{ labels.x }}`), located in the include file; as
    // notification-operator's hints read `notification_name`, which its `by (…)` drops.
    let (_tmp, dir) = copy();
    edit(
        &dir.join("includes/hints/queue-backlog.md.hbs"),
        "{{labels.broker}}",
        "{{labels.brokr}} in {{ labels.region }}",
    );
    let run = stackpack(&dir, &["lint", "."]);
    assert!(
        run.stderr
            .contains("warning[SP2305]: `{{ labels.brokr }}` is not a label the monitor's query keeps (broker, queue)")
            && run.stderr.contains("--> includes/hints/queue-backlog.md.hbs:1:")
            && run.stderr.contains("help: did you mean `{{ labels.broker }}`?")
            && run.stderr.contains("`{{ labels.region }}` is not a label")
            && run
                .stderr
                .contains("add `region` to the query's `by (…)`, or remove it from the hint"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("0 errors, 2 warnings"), "{}", run.stderr);
}

#[test]
fn import_of_a_2_0_pack_or_archive_says_what_it_is() {
    // Not "the classic pack has errors" after a dozen SP710/SP731/SP701 findings.
    let (tmp, dir) = copy();
    let build = stackpack(&dir, &["build", ".", "--out", "../dist"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let archive = PathBuf::from(build.stdout.trim());
    let archive = if archive.is_absolute() {
        archive
    } else {
        dir.join(archive)
    };
    for src in [dir.clone(), archive] {
        let out = tmp.path().join("imported");
        let run = stackpack(
            tmp.path(),
            &["import", &src.to_string_lossy(), "--out", &out.to_string_lossy()],
        );
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("is a StackPack 2.0 pack: `import` converts classic 1.0 packs"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("SP710"), "{}", run.stderr);
        assert!(!out.exists());
    }
}

#[test]
fn build_honours_deny_warnings_json_out_file_and_quiet() {
    let (tmp, dir) = copy();
    let out = tmp.path().join("out");
    // A warning (SP2102, an unknown field): built by default, refused with --deny warnings.
    edit(
        &dir.join("settings/monitors/queue-backlog.sty"),
        "    intervalSeconds: 60",
        "    intervalSecond: 60\n    intervalSeconds: 60",
    );
    let denied = stackpack(
        &dir,
        &["build", ".", "--out", &out.to_string_lossy(), "--deny", "warnings"],
    );
    assert_eq!(denied.code, 1, "{}{}", denied.stdout, denied.stderr);
    assert!(
        denied.stderr.contains("SP2102") && denied.stderr.contains("--deny warnings"),
        "{}",
        denied.stderr
    );
    assert!(!out.exists(), "nothing written under --deny warnings");
    let built = stackpack(&dir, &["build", ".", "--out", &out.to_string_lossy()]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    assert!(
        built.stderr.contains("SP2102"),
        "warnings still shown: {}",
        built.stderr
    );
    let archive = out.join("acme-queue-1.2.0.sts");
    assert_eq!(built.stdout.trim(), archive.display().to_string());

    // --format json: the findings with the archive's path; the path also on stderr.
    let json = stackpack(
        &dir,
        &["build", ".", "--out", &out.to_string_lossy(), "--format", "json"],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    assert_eq!(v["archive"], archive.display().to_string());
    assert_eq!(v["schema_version"], 1);
    assert!(json.stdout.contains("SP2102"), "{}", json.stdout);
    assert!(json.stderr.contains("acme-queue-1.2.0.sts"), "{}", json.stderr);
    let denied_json = stackpack(&dir, &["build", ".", "--format", "json", "--deny", "warnings"]);
    assert_eq!(denied_json.code, 1);
    let v: serde_json::Value = serde_json::from_str(&denied_json.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(v.get("archive").is_none(), "{v}");

    // --out FILE.sts writes exactly that file.
    let file = tmp.path().join("named/pack.sts");
    let named = stackpack(&dir, &["build", ".", "--out", &file.to_string_lossy()]);
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert!(file.is_file());
    // -q and -v work as for 1.x packs.
    let quiet = stackpack(&dir, &["-q", "build", ".", "--out", &out.to_string_lossy()]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stdout.trim(), archive.display().to_string());
    // --templates has nothing to replace in a 2.0 archive: refused, not ignored.
    let templates = stackpack(
        &dir,
        &["build", ".", "--templates", ".", "--out", &out.to_string_lossy()],
    );
    assert_eq!(templates.code, 2, "{}", templates.stderr);
    assert!(templates.stderr.contains("--templates"), "{}", templates.stderr);
    let verbose = stackpack(&dir, &["-v", "build", ".", "--out", &out.to_string_lossy()]);
    assert!(
        verbose.stderr.contains("building StackPack 2.0 pack"),
        "{}",
        verbose.stderr
    );
}

/// An included file is part of the node that includes it: editing the remediation hint changes
/// the monitor in `diff`, though no `.sty` changed.
#[test]
fn diff_sees_an_edited_include() {
    let (_tmp, dir) = copy();
    let hint = dir.join("includes/hints/queue-backlog.md.hbs");
    let mut text = std::fs::read_to_string(&hint).unwrap_or_else(|e| panic!("{e}"));
    text.push_str("\nAlso check the consumers' logs.\n");
    std::fs::write(&hint, text).unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["diff", &clean().to_string_lossy(), ".", "--format", "json"]);
    assert!(
        run.stdout.contains("monitor:queue-backlog") && run.stdout.contains("remediationHint"),
        "{}",
        run.stdout
    );
    let same = stackpack(&dir, &["diff", ".", "."]);
    assert_eq!(same.code, 0, "{}", same.stdout);
}
