//! Printing test results: human (like `cargo test`), JSON ([`super::runner::to_json`]) and
//! JUnit XML.

use super::groovy::Interpreter;
use super::runner::{Run, Status};
use crate::diag::render::{render, Format, RenderOptions};
use crate::diag::Diagnostics;
use crate::source::SourceMap;

/// The human report: one line per case, the failures with their findings and diffs, a summary.
pub fn human(run: &Run, sources: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    let files: std::collections::BTreeSet<&str> = run.cases.iter().map(|c| c.file.as_str()).collect();
    let groovy = match (&run.groovy, run.groovy_needed) {
        (_, false) => String::new(),
        (Interpreter::Found(p), true) => format!(" (groovy: {})", p.display()),
        (Interpreter::Missing(why), true) => format!(" (Groovy steps skipped: {why})"),
    };
    out.push_str(&format!(
        "\nrunning {} test{} from {} file{}{groovy}\n",
        run.cases.len(),
        if run.cases.len() == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    ));
    for c in &run.cases {
        let status = match c.status {
            Status::Passed => "ok".to_string(),
            Status::Failed => "FAILED".to_string(),
            Status::Skipped => format!("skipped ({})", c.reasons.join("; ")),
        };
        out.push_str(&format!("test {} :: {} ... {status}\n", c.file, c.case));
        for e in &c.explain {
            out.push_str(&format!("    {e}\n"));
        }
        for u in &c.updated {
            out.push_str(&format!("    updated {u}\n"));
        }
    }
    let failed: Vec<_> = run.cases.iter().filter(|c| c.status == Status::Failed).collect();
    if !run.file_diags.is_empty() {
        out.push_str("\nproblems in the test files:\n\n");
        out.push_str(&render(
            Format::Human,
            &run.file_diags,
            sources,
            RenderOptions {
                color,
                quiet: true,
                files: 0,
            },
        ));
    }
    if !failed.is_empty() {
        out.push_str("\nfailures:\n");
        for c in &failed {
            out.push_str(&format!(
                "\n---- {} :: {} ({}: {}) ----\n",
                c.file, c.case, c.template, c.template_file
            ));
            for n in &c.notes {
                out.push_str(&format!("note: {n}\n"));
            }
            for r in &c.reasons {
                out.push_str(&format!("{r}\n"));
            }
            if !c.diags.is_empty() {
                let mut d = Diagnostics::new();
                d.extend(c.diags.iter().cloned());
                out.push('\n');
                out.push_str(&render(
                    Format::Human,
                    &d,
                    sources,
                    RenderOptions {
                        color,
                        quiet: true,
                        files: 0,
                    },
                ));
            }
            for diff in &c.diffs {
                out.push('\n');
                out.push_str(diff);
            }
        }
        out.push_str("\nfailures:\n");
        for c in &failed {
            out.push_str(&format!("    {} :: {}\n", c.file, c.case));
        }
    }
    let verdict = if run.failed() { "FAILED" } else { "ok" };
    out.push_str(&format!(
        "\ntest result: {verdict}. {} passed, {} failed, {} skipped\n",
        run.count(Status::Passed),
        run.count(Status::Failed),
        run.count(Status::Skipped)
    ));
    out
}

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => o.push('?'),
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: one `<testsuite>` per test file, one `<testcase>` per case.
pub fn junit(run: &Run, sources: &SourceMap) -> String {
    let mut by_file: std::collections::BTreeMap<&str, Vec<_>> = std::collections::BTreeMap::new();
    for c in &run.cases {
        by_file.entry(c.file.as_str()).or_default().push(c);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"stackpack test\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
        run.cases.len(),
        run.count(Status::Failed),
        run.count(Status::Skipped)
    ));
    for (file, cases) in by_file {
        let failures = cases.iter().filter(|c| c.status == Status::Failed).count();
        let skipped = cases.iter().filter(|c| c.status == Status::Skipped).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">\n",
            xml(file),
            cases.len()
        ));
        for c in cases {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
                xml(file),
                xml(&c.case),
                xml(&c.template_file)
            ));
            match c.status {
                Status::Passed => out.push_str("/>\n"),
                Status::Skipped => out.push_str(&format!(
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    xml(&c.reasons.join("; "))
                )),
                Status::Failed => {
                    let mut d = Diagnostics::new();
                    d.extend(c.diags.iter().cloned());
                    let mut body = c.reasons.join("\n");
                    body.push('\n');
                    body.push_str(&render(Format::Human, &d, sources, RenderOptions::default()));
                    for diff in &c.diffs {
                        body.push_str(diff);
                    }
                    out.push_str(&format!(
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                        xml(c
                            .reasons
                            .first()
                            .map(String::as_str)
                            .or_else(|| c.diags.first().map(|d| d.message.as_str()))
                            .unwrap_or("failed")),
                        xml(&body)
                    ));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    if run.file_diags.has_errors() {
        out.push_str("  <testsuite name=\"test files\" tests=\"1\" failures=\"1\" skipped=\"0\">\n");
        out.push_str(&format!(
            "    <testcase classname=\"tests\" name=\"test files are valid\"><failure message=\"invalid test files\">{}</failure></testcase>\n",
            xml(&render(Format::Human, &run.file_diags, sources, RenderOptions::default()))
        ));
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
