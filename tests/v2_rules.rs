//! Every StackPack 2.0 rule has a failing fixture: `tests/fixtures/v2/rules/<CODE>/` changes the
//! clean pack `tests/fixtures/v2/clean/` (files to add or replace under `files/`, string edits
//! in `edits.tsv` as `path<TAB>old<TAB>new` with `\n` escapes, paths to delete in `remove.txt`,
//! symlinks in `symlinks.tsv`, extra `lint` arguments in `args.txt`). `lint` must report the
//! code; the findings of that code are snapshotted.

mod helpers;

use helpers::{copy_dir, root, stackpack};
use std::path::Path;

fn fixtures() -> std::path::PathBuf {
    root().join("tests/fixtures/v2")
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n").replace("\\t", "\t")
}

/// Build the pack of rule `code` in `dir`; returns the extra lint arguments.
fn prepare(code: &str, dir: &Path) -> Vec<String> {
    let rule = fixtures().join("rules").join(code);
    assert!(
        rule.is_dir(),
        "{code} has no fixture under tests/fixtures/v2/rules/{code}"
    );
    copy_dir(&fixtures().join("clean"), dir);
    if rule.join("files").is_dir() {
        copy_dir(&rule.join("files"), dir);
    }
    if let Ok(edits) = std::fs::read_to_string(rule.join("edits.tsv")) {
        for line in edits.lines().filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split('\t').collect();
            assert_eq!(parts.len(), 3, "{code}: bad edit line {line:?}");
            let path = dir.join(parts[0]);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{code}: {}: {e}", parts[0]));
            let (old, new) = (unescape(parts[1]), unescape(parts[2]));
            assert!(text.contains(&old), "{code}: `{old}` not found in {}", parts[0]);
            std::fs::write(&path, text.replacen(&old, &new, 1)).unwrap_or_else(|e| panic!("{code}: {e}"));
        }
    }
    if let Ok(remove) = std::fs::read_to_string(rule.join("remove.txt")) {
        for p in remove.lines().filter(|l| !l.is_empty()) {
            std::fs::remove_file(dir.join(p)).unwrap_or_else(|e| panic!("{code}: remove {p}: {e}"));
        }
    }
    if let Ok(links) = std::fs::read_to_string(rule.join("symlinks.tsv")) {
        for line in links.lines().filter(|l| !l.is_empty()) {
            let (link, target) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{code}: bad symlink line"));
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, dir.join(link)).unwrap_or_else(|e| panic!("{code}: {e}"));
            #[cfg(not(unix))]
            let _ = (link, target);
        }
    }
    let clean = fixtures().join("clean");
    std::fs::read_to_string(rule.join("args.txt"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|a| a.replace("{clean}", &clean.to_string_lossy()))
        .collect()
}

/// The rendered findings of `code` (blocks of the human output).
fn blocks_of(stderr: &str, code: &str) -> String {
    let mut out = Vec::new();
    for block in stderr.split("\n\n") {
        let head = block.trim_start();
        if head.starts_with(&format!("error[{code}]"))
            || head.starts_with(&format!("warning[{code}]"))
            || head.starts_with(&format!("info[{code}]"))
        {
            out.push(head.trim_end().to_string());
        }
    }
    out.join("\n\n")
}

#[test]
fn every_rule_has_a_failing_fixture_and_a_snapshot() {
    let clean = stackpack(&fixtures().join("clean"), &["lint", "."]);
    assert_eq!(clean.code, 0, "the clean fixture has findings:\n{}", clean.stderr);
    assert!(
        clean.stderr.starts_with("ok: no findings in ") && clean.stderr.lines().count() == 1,
        "the clean fixture has findings:\n{}",
        clean.stderr
    );
    for rule in stackpack::v2::rules::RULES {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let dir = tmp.path().join("acme-queue");
        let extra = prepare(rule.code, &dir);
        let mut args = vec!["lint".to_string(), ".".to_string()];
        args.extend(extra);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = stackpack(&dir, &argv);
        let found = blocks_of(&run.stderr, rule.code);
        assert!(
            !found.is_empty(),
            "{} ({}) was not reported by its fixture:\n{}",
            rule.code,
            rule.name,
            run.stderr
        );
        let fixtures_path = fixtures().to_string_lossy().to_string();
        let found = found.replace(&fixtures_path, "<fixtures>");
        insta::assert_snapshot!(rule.code.to_lowercase(), found);
        if rule.severity == stackpack::diag::Severity::Error {
            assert_eq!(run.code, 1, "{}: an error must fail lint", rule.code);
        }
    }
}

#[test]
fn the_clean_fixture_has_every_node_type() {
    let run = stackpack(&fixtures().join("clean"), &["inspect", ".", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for t in [
        "Monitor",
        "ExternalMonitor",
        "ComponentPresentation",
        "OtelComponentMapping",
        "OtelRelationMapping",
        "MainMenuGroup",
        "Dashboard",
    ] {
        assert!(
            run.stdout.contains(&format!("\"type\": \"{t}\"")),
            "no {t} node in the clean fixture"
        );
    }
}

/// CEL texts are parsed once per run and remembered: the same broken expression in two
/// mappings is still reported at each of them.
#[test]
fn a_repeated_cel_expression_is_reported_where_it_is_written() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&fixtures().join("clean"), &dir);
    let file = dir.join("settings/mappings/components.sty");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let good = "condition: \"metric.name == 'acme_queue_messages'\"";
    assert_eq!(text.matches(good).count(), 2, "the fixture repeats the condition");
    let bad = "condition: \"metric.name == 'acme_queue_messages' &&\"";
    std::fs::write(&file, text.replace(good, bad)).unwrap_or_else(|e| panic!("{e}"));
    let run = stackpack(&dir, &["lint", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let lines: Vec<u64> = v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "SP2401")
        .filter_map(|d| d["line"].as_u64().or_else(|| d["span"]["line"].as_u64()))
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_ne!(lines[0], lines[1], "{}", run.stdout);
}
