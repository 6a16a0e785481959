//! Per-location suppression: a YAML or TOML comment
//!
//! ```yaml
//! query: type IN ("docker-container")  # stackpack: allow SP403 the type comes from the docker pack
//! # stackpack: allow SP901,SP902 kept for the 5.0 migration
//! - id: legacy
//! ```
//!
//! suppresses the findings with those codes that start on its line (a trailing comment) or on
//! the next line that is neither blank nor a comment (a comment on its own line). The reason is
//! mandatory (SP903 otherwise), a directive that suppresses nothing is SP904, and a malformed
//! one, an unknown code or an error code is SP905: like the pack-wide `[lint] allow`, only
//! warnings and infos can be suppressed, since errors make the archive invalid.
//!
//! Findings without a location (a missing file) are suppressed with `[lint] allow` only.
//!
//! Inferred: a `#` starts a comment when it begins the line or follows a blank, which is the
//! YAML and TOML rule outside quoted strings; the directive text `# stackpack:` inside a quoted
//! value would be taken as a directive too (it would then most likely be SP904).

use super::rules::{INVALID_SUPPRESSION, SUPPRESSION_WITHOUT_REASON, UNUSED_SUPPRESSION};
use super::{registry, Diagnostic, Diagnostics, Severity};
use crate::source::{FileId, SourceMap, Span};
use std::collections::HashMap;

const MARKER: &str = "stackpack:";

/// One well-formed directive.
#[derive(Debug)]
struct Directive {
    file: FileId,
    /// 1-based line whose findings it suppresses.
    target: usize,
    codes: Vec<(String, Span)>,
    used: Vec<bool>,
}

fn is_commented_file(display: &str) -> bool {
    [".yaml", ".yml", ".toml"].iter().any(|e| display.ends_with(e))
}

/// Where a comment starts in `line`: a `#` at the start or after a blank.
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    (0..b.len()).find(|&i| b[i] == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t'))
}

/// Apply the suppression comments of every YAML/TOML file in `sources` to `diags`, adding
/// findings about the directives themselves.
pub fn apply(sources: &SourceMap, diags: &mut Diagnostics) {
    let mut directives: Vec<Directive> = Vec::new();
    let mut found = Diagnostics::new();
    for (id, file) in sources.files() {
        if !is_commented_file(&file.display) || !file.text.contains(MARKER) {
            continue;
        }
        let lines: Vec<&str> = file.text.split('\n').collect();
        let mut pending: Vec<usize> = Vec::new(); // directives waiting for their next code line
        let mut offset = 0usize;
        for (n, line) in lines.iter().enumerate() {
            let line_no = n + 1;
            let line_start = offset;
            offset += line.len() + 1;
            let trimmed = line.trim();
            let comment = comment_start(line);
            let own_line = comment == Some(line.len() - line.trim_start().len());
            if !trimmed.is_empty() && !own_line {
                for i in pending.drain(..) {
                    directives[i].target = line_no;
                }
            }
            let Some(c) = comment else { continue };
            let body = line[c + 1..].trim_start();
            let Some(rest) = body.strip_prefix(MARKER) else {
                continue;
            };
            // Byte offset in the file of a sub-slice of `line`.
            let at = |sub: &str| line_start + (sub.as_ptr() as usize - line.as_ptr() as usize);
            let body_at = at(body);
            let span = Span::new(id, body_at, line_start + line.trim_end().len());
            let rest = rest.trim_start();
            let Some(args) = rest
                .strip_prefix("allow")
                .filter(|a| a.is_empty() || a.starts_with([' ', '\t']))
            else {
                found.push(
                    Diagnostic::new(&INVALID_SUPPRESSION, span, "unknown `stackpack:` directive")
                        .help("write `# stackpack: allow SP403 <reason>`"),
                );
                continue;
            };
            let args = args.trim_start();
            let codes_end = args.find([' ', '\t']).unwrap_or(args.len());
            let (codes_text, reason) = args.split_at(codes_end);
            let reason = reason.trim().trim_start_matches("--").trim_start_matches(':').trim();
            let codes_at = at(args);
            let mut codes = Vec::new();
            let mut bad = false;
            let mut pos = 0usize;
            for code in codes_text.split(',') {
                let cspan = Span::new(id, codes_at + pos, codes_at + pos + code.len());
                pos += code.len() + 1;
                let code = code.trim();
                match registry::find(code) {
                    None => {
                        bad = true;
                        let mut d = Diagnostic::new(
                            &INVALID_SUPPRESSION,
                            cspan,
                            if code.is_empty() {
                                "`stackpack: allow` names no rule code".to_string()
                            } else {
                                format!("`{code}` is not a rule code")
                            },
                        );
                        if let Some(s) = super::did_you_mean(code, registry::all().iter().map(|r| r.code)) {
                            d = d.help(format!("did you mean `{s}`?"));
                        } else {
                            d = d.help("`stackpack rules` lists the codes");
                        }
                        found.push(d);
                    }
                    Some(r) if r.severity == Severity::Error => {
                        bad = true;
                        found.push(
                            Diagnostic::new(
                                &INVALID_SUPPRESSION,
                                cspan,
                                format!("{code} is an error and cannot be suppressed"),
                            )
                            .help("fix the finding: an error makes the archive invalid"),
                        );
                    }
                    Some(r) => codes.push((r.code.to_string(), cspan)),
                }
            }
            if bad {
                continue;
            }
            if reason.is_empty() {
                found.push(
                    Diagnostic::new(&SUPPRESSION_WITHOUT_REASON, span, "suppression without a reason")
                        .help("add why the finding does not apply: `# stackpack: allow SP403 the type comes from the docker pack`"),
                );
                continue;
            }
            let used = vec![false; codes.len()];
            directives.push(Directive {
                file: id,
                target: line_no,
                codes,
                used,
            });
            if own_line {
                pending.push(directives.len() - 1);
            }
        }
    }
    if !directives.is_empty() {
        let mut by_line: HashMap<(FileId, usize), Vec<usize>> = HashMap::new();
        for (i, d) in directives.iter().enumerate() {
            by_line.entry((d.file, d.target)).or_default().push(i);
        }
        diags.retain(|d| {
            if d.severity == Severity::Error {
                return true;
            }
            let Some(span) = d.span else { return true };
            let Some(file) = sources.get(span.file) else {
                return true;
            };
            let line = file.line_col(span.start as usize).line;
            let Some(idx) = by_line.get(&(span.file, line)) else {
                return true;
            };
            let mut keep = true;
            for &i in idx {
                if let Some(k) = directives[i].codes.iter().position(|(c, _)| c == d.code) {
                    directives[i].used[k] = true;
                    keep = false;
                }
            }
            keep
        });
        for d in &directives {
            for ((code, span), used) in d.codes.iter().zip(&d.used) {
                if !used {
                    found.push(
                        Diagnostic::new(
                            &UNUSED_SUPPRESSION,
                            *span,
                            format!("no {code} finding here to suppress"),
                        )
                        .help("remove it from the comment"),
                    );
                }
            }
        }
    }
    diags.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: crate::diag::Rule = crate::diag::Rule {
        code: "SP901",
        name: "x",
        severity: Severity::Warning,
        summary: "x",
        example: "",
    };

    fn run(text: &str, at: &[&str]) -> Vec<(String, usize)> {
        let mut sources = SourceMap::new();
        let id = sources.add("nodes/a.yaml", None, text);
        let mut diags = Diagnostics::new();
        for a in at {
            let s = text.find(a).unwrap_or(0);
            diags.push(Diagnostic::new(&W, Span::new(id, s, s + a.len()), "unused"));
        }
        apply(&sources, &mut diags);
        diags
            .iter()
            .map(|d| {
                let l = sources
                    .file(id)
                    .line_col(d.span.map(|s| s.start as usize).unwrap_or(0))
                    .line;
                (d.code.to_string(), l)
            })
            .collect()
    }

    #[test]
    fn trailing_and_own_line_comments_suppress() {
        let text = "a:\n  - id: one  # stackpack: allow SP901 kept for later\n  # stackpack: allow SP901 -- also kept\n\n  - id: two\n  - id: three\n";
        assert_eq!(run(text, &["one", "two", "three"]), vec![("SP901".to_string(), 6)]);
    }

    #[test]
    fn reasons_codes_and_use_are_checked() {
        assert_eq!(
            run("- id: a # stackpack: allow SP901\n", &["a"]),
            vec![("SP901".into(), 1), ("SP903".into(), 1)]
        );
        assert_eq!(run("- id: a # stackpack: allow SP9O1 why\n", &["a"])[1].0, "SP905");
        assert_eq!(run("- id: a # stackpack: allow SP002 why\n", &["a"])[1].0, "SP905");
        assert_eq!(run("- id: a # stackpack: ignore SP901 why\n", &["a"])[1].0, "SP905");
        assert_eq!(
            run("- id: a # stackpack: allow SP901 why\n", &[]),
            vec![("SP904".into(), 1)]
        );
        // `#` inside a word is not a comment.
        assert_eq!(
            run("- id: a#stackpack: allow SP901 why\n", &["a"]),
            vec![("SP901".into(), 1)]
        );
    }
}
