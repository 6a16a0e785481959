//! `stackpack build` end to end: archive contents, exit codes, nothing written on errors or
//! failures, and byte-for-byte reproducibility.

mod helpers;

#[path = "build_common/mod.rs"]
mod common;

use common::fixture;
use helpers::copy_dir;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stackpack"));
    c.env_remove("SOURCE_DATE_EPOCH").env("NO_COLOR", "1");
    c
}

fn build(dir: &Path, out: &Path) -> Output {
    bin()
        .arg("build")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run stackpack: {e}"))
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn entries(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
    let mut z = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("not a zip: {e}"));
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap_or_else(|e| panic!("{e}"));
        let name = f.name().map(|n| n.to_string()).unwrap_or_default();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap_or_else(|e| panic!("{e}"));
        out.push((name, data));
    }
    out
}

fn files_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<String> = rd
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

#[test]
fn builds_acme_and_prints_the_archive_path() {
    let out = tmp();
    let o = build(&fixture("acme"), &out.path().join("new/dir"));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let expected = out.path().join("new/dir/acme-1.2.0.sts");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        expected.display().to_string()
    );
    let names: Vec<String> = entries(&expected).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        vec![
            "provisioning/AcmeProvision.groovy",
            "provisioning/icons/acme-host.png",
            "provisioning/lib/AcmeHelper.groovy",
            "provisioning/scripts/component-id-extractor.groovy",
            "provisioning/scripts/error-rate.groovy",
            "provisioning/scripts/host-mapping.groovy",
            "provisioning/scripts/relation-id-extractor.groovy",
            "provisioning/scripts/relation-mapping.groovy",
            "provisioning/templates/acme-instance.stj",
            "provisioning/templates/acme.stj",
            "provisioning/templates/component.json.handlebars",
            "provisioning/templates/relation.json.handlebars",
            "resources/configuration.md",
            "resources/detailed-overview.md",
            "resources/empty.md",
            "resources/error.md",
            "resources/installed.md",
            "resources/logo.png",
            "resources/overview.md",
            "resources/upgrade.md",
            "resources/waitingfordata.md",
            "stackpack.conf",
        ]
    );
    // Only the archive is left in the output directory (no temporary file).
    assert_eq!(files_in(&out.path().join("new/dir")), vec!["acme-1.2.0.sts"]);
    // Binary resources are copied byte for byte.
    let logo = std::fs::read(fixture("acme/resources/logo.png")).unwrap_or_default();
    let got = entries(&expected)
        .into_iter()
        .find(|(n, _)| n == "resources/logo.png")
        .map(|(_, d)| d);
    assert_eq!(got, Some(logo));
}

#[test]
fn a_pack_with_errors_writes_nothing() {
    let out = tmp();
    let o = build(&fixture("broken"), out.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[SP010]"));
    assert!(o.stdout.is_empty());
    assert!(files_in(out.path()).is_empty());
    // A compile-stage error too.
    let o = build(&fixture("rules/sp851"), out.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[SP851]"));
    assert!(files_in(out.path()).is_empty());
}

#[test]
fn an_unwritable_output_directory_exits_2() {
    let out = tmp();
    let file = out.path().join("file");
    std::fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
    let o = build(&fixture("acme"), &file.join("sub"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    // Lint warnings (the fixture has an unused check function, SP901) may precede the error.
    assert!(
        err.lines()
            .any(|l| l.starts_with("error: cannot write to output directory")),
        "{err}"
    );
    assert_eq!(files_in(out.path()), vec!["file"]);
}

#[test]
fn a_missing_pack_directory_exits_2() {
    let out = tmp();
    let o = build(&out.path().join("nope"), out.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_classic_tree_or_archive_is_pointed_at_import() {
    // A classic 1.0 source tree (as published packs keep under src/main/stackpack): not "has no
    // stackpack.toml, run stackpack new", but the command that converts it.
    let t = tmp();
    let classic = t.path().join("classic");
    std::fs::create_dir_all(classic.join("provisioning")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(classic.join("stackpack.conf"), "name = \"demo\"\n").unwrap_or_else(|e| panic!("{e}"));
    let out = build(&classic, &t.path().join("dist"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is a classic StackPack 1.0 pack")
            && stderr.contains(&format!("stackpack import {} --out DIR", classic.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("stackpack new"), "{stderr}");
    // A built archive is not a pack directory either.
    let archive = t.path().join("demo-1.0.0.sts");
    std::fs::write(&archive, b"PK").unwrap_or_else(|e| panic!("{e}"));
    let out = build(&archive, &t.path().join("dist"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a file: `build` takes a pack directory"), "{stderr}");
    assert!(!t.path().join("dist").exists());
}

fn touch_and_chmod(dir: &Path, when: std::time::SystemTime) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")).flatten() {
        let p = e.path();
        if p.is_dir() {
            touch_and_chmod(&p, when);
        } else {
            let f = std::fs::OpenOptions::new()
                .append(true)
                .open(&p)
                .unwrap_or_else(|e| panic!("{e}"));
            f.set_modified(when).unwrap_or_else(|e| panic!("{e}"));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}

fn build_in(pack: &Path, out: &Path, env: &[(&str, &str)], umask: &str) -> PathBuf {
    // Through a shell, to change the umask of the build.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" build \"$1\" --out \"$2\""))
        .arg(env!("CARGO_BIN_EXE_stackpack"))
        .arg(pack)
        .arg(out)
        .env_remove("SOURCE_DATE_EPOCH")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

#[test]
fn builds_are_byte_identical() {
    let t = tmp();
    let (a, b) = (t.path().join("a/acme"), t.path().join("b/acme"));
    copy_dir(&fixture("acme"), &a);
    copy_dir(&fixture("acme"), &b);
    touch_and_chmod(
        &b,
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
    );
    let first = build_in(&a, &t.path().join("out1"), &[("TZ", "UTC"), ("LC_ALL", "C")], "022");
    let second = build_in(
        &b,
        &t.path().join("out2"),
        &[
            ("TZ", "Asia/Kathmandu"),
            ("LC_ALL", "de_DE.UTF-8"),
            ("LANG", "tr_TR.UTF-8"),
        ],
        "077",
    );
    let (x, y) = (
        std::fs::read(&first).unwrap_or_default(),
        std::fs::read(&second).unwrap_or_default(),
    );
    assert!(!x.is_empty());
    assert!(x == y, "two builds of the same sources differ");

    // SOURCE_DATE_EPOCH sets the entries' times and the STJ envelopes' timestamp.
    let third = build_in(
        &a,
        &t.path().join("out3"),
        &[("SOURCE_DATE_EPOCH", "1618185600")],
        "022",
    );
    let z = std::fs::read(&third).unwrap_or_default();
    assert_ne!(x, z);
    let stj = entries(&third)
        .into_iter()
        .find(|(n, _)| n == "provisioning/templates/acme.stj")
        .map(|(_, d)| String::from_utf8_lossy(&d).into_owned())
        .unwrap_or_default();
    assert!(stj.contains("\"timestamp\": \"2021-04-12T00:00:00Z\""));
    let file = std::fs::File::open(&third).unwrap_or_else(|e| panic!("{e}"));
    let mut zip = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{e}"));
    let f = zip.by_index(0).unwrap_or_else(|e| panic!("{e}"));
    let t = f.last_modified().map(|t| (t.year(), t.month(), t.day()));
    assert_eq!(t, Some((2021, 4, 12)));
}

#[test]
fn unzip_accepts_the_archive() {
    // The system's unzip, when present, is an independent reader of our hand-assembled zip.
    let Ok(probe) = Command::new("unzip").arg("-v").output() else {
        return;
    };
    if !probe.status.success() {
        return;
    }
    let out = tmp();
    let o = build(&fixture("acme"), out.path());
    assert_eq!(o.status.code(), Some(0));
    let t = Command::new("unzip")
        .arg("-t")
        .arg(out.path().join("acme-1.2.0.sts"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stdout));
    assert!(String::from_utf8_lossy(&t.stdout).contains("No errors detected"));
}

#[test]
fn templates_directory_overrides_one_generated_file() {
    let t = tmp();
    let tpl = t.path().join("tpl");
    std::fs::create_dir_all(&tpl).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        tpl.join("stackpack.conf.hbs"),
        "# house style\nname = {{quote name}}\nversion = {{quote version}}\nprovision = {{quote provision}}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = bin()
        .arg("build")
        .arg(fixture("acme"))
        .arg("--out")
        .arg(t.path().join("out"))
        .arg("--templates")
        .arg(&tpl)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let all = entries(&t.path().join("out/acme-1.2.0.sts"));
    let get = |n: &str| {
        all.iter()
            .find(|(p, _)| p == n)
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        get("stackpack.conf"),
        "# house style\nname = \"acme\"\nversion = \"1.2.0\"\nprovision = \"AcmeProvision\"\n"
    );
    // The provisioning script still comes from the built-in template.
    assert!(get("provisioning/AcmeProvision.groovy").contains("class AcmeProvision extends ProvisioningScript"));

    let o = bin()
        .arg("build")
        .arg(fixture("acme"))
        .arg("--out")
        .arg(t.path().join("out2"))
        .arg("--templates")
        .arg(t.path().join("missing"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    assert!(files_in(&t.path().join("out2")).is_empty());
}

#[test]
fn json_format_keeps_stdout_machine_readable() {
    let t = tmp();
    let o = bin()
        .arg("build")
        .arg(fixture("acme"))
        .arg("--out")
        .arg(t.path())
        .args(["--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0));
    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&o.stdout);
    assert!(parsed.is_ok(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stderr).contains("acme-1.2.0.sts"));
}

/// `build` checks the pack while it compiles and deflates (the archive is written to an unnamed
/// temporary file): a pack the checks refuse — an error, or a warning under `--deny warnings` —
/// publishes nothing and leaves no output directory behind, exactly as when the checks ran
/// first; without `--deny` the warning pack builds.
#[test]
fn refused_builds_publish_nothing() {
    let t = tmp();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    let error_pack = fixtures.join("SP202-duplicate-urn");
    let out = build(&error_pack, &t.path().join("dist-error"));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[SP202]"));
    assert!(
        !t.path().join("dist-error").exists(),
        "nothing written for a pack with errors"
    );

    let warning_pack = fixtures.join("SP220-layer-or-domain-without-order");
    let out = bin()
        .args(["build", &warning_pack.to_string_lossy(), "--deny", "warnings", "--out"])
        .arg(t.path().join("dist-deny"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not building: --deny warnings"), "{stderr}");
    assert!(
        !t.path().join("dist-deny").exists(),
        "nothing written under --deny warnings"
    );

    let out = build(&warning_pack, &t.path().join("dist-ok"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let written: Vec<_> = std::fs::read_dir(t.path().join("dist-ok"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(written.len() == 1 && written[0].ends_with(".sts"), "{written:?}");
}
