//! `stackpack release-notes`: the docs format reproduces the seed, the markdown format is the
//! archive's RELEASE.md, JSON carries the data.

mod changelog_common;
use changelog_common::*;

#[test]
fn docs_format_reproduces_the_seed_release_notes() {
    let expected = normalized(&seed_release_notes());
    assert!(expected.len() > 40, "seed section not found");
    // The example pack (`stackpack/`, manifest `changelog = "../changelog"`), exactly the
    // command of the issue.
    let (code, out, err) = run(&repo(), &["release-notes", "stackpack", "--format", "docs"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "unexpected findings: {err}");
    assert_eq!(normalized(&out), expected);
    // The same through the stand-in pack beside a copy of `changelog/`.
    let tmp = temp_example();
    let (code, out, err) = run(tmp.path(), &["release-notes", "pack", "--format", "docs"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "unexpected findings: {err}");
    let got = normalized(&out);
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "line {} differs", i + 1);
    }
    assert_eq!(got.len(), expected.len());
}

#[test]
fn markdown_format_is_the_archive_release_md() {
    let tmp = temp_example();
    let (code, out, err) = run(tmp.path(), &["release-notes", "pack", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("release_md", out);
}

#[test]
fn json_carries_the_data() {
    let tmp = temp_example();
    let (code, out, err) = run(tmp.path(), &["release-notes", "pack", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["title"], "Agent V2 StackPack");
    let releases = v["releases"].as_array().expect("releases");
    assert_eq!(releases.len(), 8);
    assert_eq!(releases[0]["version"], "4.3.1");
    assert_eq!(releases[0]["min_stackstate_version"], "4.3.0");
    assert_eq!(releases[0]["entries"][4]["bump"]["from"], "2.3.1");
    assert_eq!(releases[0]["entries"][4]["text"], "Common bumped from 2.3.1 to 2.5.0");
    assert_eq!(releases[7]["version"], "3.10.1");
}

#[test]
fn since_and_version_select_releases() {
    let tmp = temp_example();
    let (code, out, err) = run(tmp.path(), &["release-notes", "pack", "--since", "4.1.0"]);
    assert_eq!(code, 0, "{err}");
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with("**")).collect();
    assert_eq!(
        heads,
        [
            "**Agent V2 StackPack v4.3.1 \\(2021-04-02\\)**",
            "**Agent V2 StackPack v4.2.1 \\(2021-03-11\\)**",
            "**Agent V2 StackPack v4.2.0 \\(2021-02-26\\)**"
        ]
    );
    let (code, out, _) = run(tmp.path(), &["release-notes", "pack", "--version", "3.12.0"]);
    assert_eq!(code, 0);
    assert_eq!(
        normalized(&out),
        [
            "**Agent V2 StackPack v3.12.0 \\(2020-12-15\\)**",
            "",
            "* Feature: Split error types in traces into:",
            "  * 5xx errors - Use this in check function to determine critical status in the component.",
            "  * 4xx errors."
        ]
    );
    let (code, _, err) = run(tmp.path(), &["release-notes", "pack", "--version", "9.9.9"]);
    assert_eq!(code, 1);
    assert!(err.contains("no release 9.9.9"), "{err}");
}

#[test]
fn unreleased_fragments_render_as_the_next_version() {
    let tmp = temp_example();
    let (code, _, err) = run(
        tmp.path(),
        &[
            "changelog",
            "add",
            "pack",
            "--kind",
            "bugfix",
            "Fix escaping bugs in templates",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(tmp.path(), &["release-notes", "pack", "--unreleased"]);
    assert_eq!(code, 0, "{err}");
    let lines = normalized(&out);
    assert_eq!(lines[0], "**Agent V2 StackPack v4.3.2 \\(unreleased\\)**");
    assert_eq!(lines[2], "* Bugfix: Fix escaping bugs in templates");
    // Without the flag the fragment stays out.
    let (_, out, _) = run(tmp.path(), &["release-notes", "pack"]);
    assert!(!out.contains("unreleased"));
}

#[test]
fn templates_can_be_overridden() {
    let tmp = temp_example();
    let dir = tmp.path().join("tpl");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("release-notes-docs.md.hbs"),
        "{{#each releases}}{{version}};{{/each}}\n",
    )
    .expect("write");
    let (code, out, err) = run(tmp.path(), &["release-notes", "pack", "--templates", "tpl"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "4.3.1;4.2.1;4.2.0;4.1.0;4.0.0;3.12.0;3.11.0;3.10.1;\n");
    // Files missing from the directory fall back to the built-in template.
    let (code, out, _) = run(
        tmp.path(),
        &["release-notes", "pack", "--templates", "tpl", "--format", "markdown"],
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("# Agent V2 StackPack Release Notes\n"));
}

#[test]
fn errors_in_the_changelog_stop_the_rendering() {
    let tmp = temp_example();
    let f = tmp.path().join("changelog/releases/4.0.0.yaml");
    let text = std::fs::read_to_string(&f).expect("read");
    std::fs::write(&f, text.replace("kind: bugfix", "kind: bugfixx")).expect("write");
    let (code, out, err) = run(tmp.path(), &["release-notes", "pack"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("error[SP601]") && err.contains("changelog/releases/4.0.0.yaml:"),
        "{err}"
    );
}
