//! `stackpack lint` on classic packs: the corpus lints without errors; broken variants of it
//! (copied to a temp dir and broken there) each give a coded, located error and exit code 1.

mod classic_common;

use classic_common::*;
use std::path::Path;

#[test]
fn corpus_packs_lint_without_errors() {
    if !corpus_available() {
        eprintln!("corpus not available; skipped");
        return;
    }
    for pack in ["sap", "splunk", "autosync"] {
        let dir = corpus(pack);
        let (code, diags) = lint_json(&dir, ".");
        let errors: Vec<_> = diags.iter().filter(|d| d["severity"] == "error").collect();
        assert!(errors.is_empty(), "{pack}: {errors:#?}");
        assert_eq!(code, 0, "{pack}");
    }
}

#[test]
fn corpus_quirks_are_warnings() {
    if !corpus_available() {
        return;
    }
    let (_, diags) = lint_json(&corpus("autosync"), ".");
    let ws: Vec<_> = diags
        .iter()
        .filter(|d| d["code"] == "SP718")
        .map(|d| {
            (
                d["file"].as_str().unwrap_or(""),
                d["line"].as_u64(),
                d["severity"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        ws,
        vec![
            (
                "provisioning/templates/integrationType-integrationUrl-component-template.json.handlebars",
                Some(18),
                Some("warning")
            ),
            (
                "provisioning/templates/integrationType-integrationUrl-relation-template.json.handlebars",
                Some(18),
                Some("warning")
            ),
        ]
    );
}

/// Break a copy of a corpus pack, lint it, and check the expected code with its location.
/// Returns the human rendering (paths relative to the temp dir) for snapshots.
fn broken(pack: &str, code: &str, file: &str, line: Option<u64>, breakit: impl FnOnce(&Path)) -> String {
    let (tmp, dir) = corpus_copy(pack);
    breakit(&dir);
    let (exit, diags) = lint_json(tmp.path(), pack);
    assert_eq!(exit, 1, "{code}: {diags:#?}");
    let hit = diags
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("{code} not reported: {diags:#?}"));
    assert_eq!(hit["severity"], "error", "{hit:#?}");
    assert_eq!(
        hit["file"].as_str(),
        Some(format!("{pack}/{file}").as_str()),
        "{hit:#?}"
    );
    if let Some(line) = line {
        assert_eq!(hit["line"].as_u64(), Some(line), "{hit:#?}");
    }
    let human = stackpack(&["lint", pack], tmp.path());
    assert_eq!(human.code, 1);
    assert!(!human.stderr.contains("panicked"));
    // Only the finding under test, so snapshots stay focused.
    human
        .stderr
        .split("\n\n")
        .filter(|b| b.contains(&format!("[{code}]")))
        .collect::<Vec<_>>()
        .join("\n\n")
}

const SAP_STJ: &str = "provisioning/templates/sap.stj";

#[test]
fn dangling_id_reference() {
    if !corpus_available() {
        return;
    }
    let out = broken(
        "autosync",
        "SP720",
        "provisioning/templates/autosync-instance-template.stj",
        Some(44),
        |d| {
            edit(
                &d.join("provisioning/templates/autosync-instance-template.stj"),
                "\"templateFunction\": -5",
                "\"templateFunction\": -55",
            );
        },
    );
    insta::assert_snapshot!("sp720_dangling_id", out);
}

#[test]
fn missing_include() {
    if !corpus_available() {
        return;
    }
    let out = broken("sap", "SP723", SAP_STJ, Some(22), |d| {
        edit(
            &d.join(SAP_STJ),
            "./scripts/SAP health state check.groovy",
            "./scripts/SAP health check.groovy",
        );
    });
    insta::assert_snapshot!("sp723_missing_include", out);
}

#[test]
fn include_escaping_provisioning() {
    if !corpus_available() {
        return;
    }
    let out = broken("sap", "SP724", SAP_STJ, Some(59), |d| {
        edit(&d.join(SAP_STJ), "./icons/SAP Host.png", "../resources/logo.png");
    });
    insta::assert_snapshot!("sp724_include_escapes", out);
}

#[test]
fn duplicate_id() {
    if !corpus_available() {
        return;
    }
    let out = broken("sap", "SP719", SAP_STJ, Some(53), |d| {
        edit(&d.join(SAP_STJ), "\"id\": -904", "\"id\": -903");
    });
    insta::assert_snapshot!("sp719_duplicate_id", out);
}

#[test]
fn duplicate_identifier() {
    if !corpus_available() {
        return;
    }
    broken("sap", "SP721", SAP_STJ, Some(54), |d| {
        edit(
            &d.join(SAP_STJ),
            "\"urn:stackpack:sap:shared:component-type:sap-database-component\"",
            "\"urn:stackpack:sap:shared:component-type:sap-database\"",
        );
    });
}

#[test]
fn truncated_json() {
    if !corpus_available() {
        return;
    }
    let rel = "provisioning/templates/sap-instance-template.stj";
    let out = broken("sap", "SP714", rel, None, |d| {
        let p = d.join(rel);
        let text = std::fs::read_to_string(&p).expect("read");
        let cut = text.find("\"_type\": \"Sync\"").expect("sync node");
        std::fs::write(&p, &text[..cut]).expect("write");
    });
    insta::assert_snapshot!("sp714_truncated_json", out);
}

#[test]
fn unknown_type() {
    if !corpus_available() {
        return;
    }
    let out = broken("sap", "SP717", SAP_STJ, Some(79), |d| {
        edit(&d.join(SAP_STJ), "\"_type\": \"Layer\"", "\"_type\": \"Layr\"");
    });
    insta::assert_snapshot!("sp717_unknown_type", out);
}

#[test]
fn unclosed_block_in_template() {
    if !corpus_available() {
        return;
    }
    let rel = "provisioning/templates/SAP generic relation template.json.handlebars";
    let out = broken("sap", "SP726", rel, Some(7), |d| {
        edit(
            &d.join(rel),
            "\\{{ element.data.description \\}}\",\\{{/if\\}}",
            "\\{{ element.data.description \\}}\",",
        );
    });
    insta::assert_snapshot!("sp726_unclosed_block", out);
}

#[test]
fn conf_without_name() {
    if !corpus_available() {
        return;
    }
    let out = broken("sap", "SP006", "stackpack.conf", Some(1), |d| {
        edit(&d.join("stackpack.conf"), "name = sap\n", "");
    });
    insta::assert_snapshot!("sp006_conf_without_name", out);
}

#[test]
fn conf_with_bad_version() {
    if !corpus_available() {
        return;
    }
    let out = broken("splunk", "SP703", "stackpack.conf", Some(78), |d| {
        let p = d.join("stackpack.conf");
        let mut text = std::fs::read_to_string(&p).expect("read");
        text.push_str("version = 1.2.x\n");
        std::fs::write(&p, text).expect("write");
    });
    insta::assert_snapshot!("sp703_bad_version", out);
}

#[test]
fn missing_logo() {
    if !corpus_available() {
        return;
    }
    let out = broken("sap", "SP705", "stackpack.conf", Some(5), |d| {
        std::fs::remove_file(d.join("resources/logo.png")).expect("rm");
    });
    insta::assert_snapshot!("sp705_missing_logo", out);
}

#[test]
fn missing_page() {
    if !corpus_available() {
        return;
    }
    broken("autosync", "SP705", "stackpack.conf", Some(16), |d| {
        std::fs::remove_file(d.join("resources/installed.md")).expect("rm");
    });
}

#[test]
fn dangling_get() {
    if !corpus_available() {
        return;
    }
    let rel = "provisioning/templates/splunk-topology-instance-template.stj";
    let out = broken("splunk", "SP722", rel, Some(60), |d| {
        edit(
            &d.join(rel),
            "shared:component-template-function:splunk-topology-component-template",
            "shared:component-template-function:splunk-topology-component-templat",
        );
    });
    insta::assert_snapshot!("sp722_dangling_get", out);
}

#[test]
fn missing_provision_class() {
    if !corpus_available() {
        return;
    }
    broken("autosync", "SP711", "stackpack.conf", Some(37), |d| {
        std::fs::rename(
            d.join("provisioning/AutoSyncProvision.groovy"),
            d.join("provisioning/AutosyncProvision.groovy"),
        )
        .expect("mv");
    });
}

/// Issue 11.6: the library never imports the CLI, and the compat stage does not import the check
/// stage (check → compat only).
#[test]
fn library_modules_keep_one_direction() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    for f in files {
        let rel = f.strip_prefix(&src).unwrap_or(&f).to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        if !(rel.starts_with("cli/") || rel == "main.rs") {
            assert!(!text.contains("crate::cli"), "{rel} imports the CLI");
        }
        if rel.starts_with("compat/") {
            assert!(!text.contains("crate::check::"), "{rel} imports the check stage");
        }
    }
}
