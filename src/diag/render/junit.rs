//! `--format junit`: JUnit XML, for CI systems that show test reports. One `testsuite`
//! (`stackpack lint`); every checked file is a test case that passes when it has no finding,
//! and every finding is a test case of its file (`classname`) that fails for errors and
//! warnings (`<failure type="SP203">`) and passes with the text in `system-out` for infos.

use super::region;
use crate::diag::{Diagnostics, Severity};
use crate::source::SourceMap;
use std::collections::BTreeSet;
use std::fmt::Write;

/// XML-escape text; characters XML 1.0 cannot hold are written as `\u{…}`.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

pub fn render(diags: &Diagnostics, sources: &SourceMap) -> String {
    let mut cases = String::new();
    let mut with_findings = BTreeSet::new();
    let mut failures = 0usize;
    let mut tests = 0usize;
    for d in diags {
        let file = d.file(sources).unwrap_or("(pack)");
        with_findings.insert(file.to_string());
        let at = match region(d, sources) {
            Some((l, c, _, _)) => format!("{file}:{l}:{c}"),
            None => file.to_string(),
        };
        let mut text = format!("{}[{}]: {}\n  --> {at}", d.severity, d.code, d.message);
        if let Some(h) = &d.help {
            let _ = write!(text, "\n  = help: {h}");
        }
        for n in &d.notes {
            let _ = write!(text, "\n  = note: {n}");
        }
        tests += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\">",
            xml(file),
            xml(&format!("{} {at}: {}", d.code, d.message))
        );
        if d.severity == Severity::Info {
            let _ = writeln!(cases, "<system-out>{}</system-out></testcase>", xml(&text));
        } else {
            failures += 1;
            let _ = writeln!(
                cases,
                "<failure type=\"{}\" message=\"{}\">{}</failure></testcase>",
                d.code,
                xml(&d.message),
                xml(&text)
            );
        }
    }
    let mut clean = String::new();
    let files: BTreeSet<&str> = sources.files().map(|(_, f)| f.display.as_str()).collect();
    for f in files.iter().filter(|f| !with_findings.contains(**f)) {
        tests += 1;
        let _ = writeln!(clean, "    <testcase classname=\"{}\" name=\"no findings\"/>", xml(f));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"stackpack\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n  <testsuite name=\"stackpack lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{clean}{cases}  </testsuite>\n</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(xml("a<b & \"c\"\u{1b}"), "a&lt;b &amp; &quot;c&quot;\\u{1b}");
    }
}
