//! Which SUSE Observability server versions a 2.0 pack targets.
//!
//! `stackpack.yaml` is read by the server, so the targets live beside it, in a side file of ours
//! that `build` never ships, `stackpack-targets.toml`:
//!
//! ```toml
//! [server]
//! min = "2.5.0"   # oldest server the pack must install on
//! max = "2.6.0"   # newest server it was tried with (optional)
//! ```
//!
//! `--stackstate-version X` (the flag `lint` and `build` share) checks against one server and
//! overrides both.

use super::load::Pack;
use super::rules;
use super::schema::Targets;
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::Span;
use semver::Version;

fn version(s: &str) -> Option<Version> {
    let s = s.trim();
    Version::parse(s)
        .ok()
        .or_else(|| Version::parse(&format!("{s}.0")).ok())
}

/// Read the side file (when present) and apply the command-line override.
pub fn read(pack: &Pack, cli: Option<&Version>, diags: &mut Diagnostics) -> Targets {
    let mut t = Targets::default();
    if let Some(id) = pack.targets_file {
        let text = pack.sources.file(id).text.clone();
        match toml_edit::Document::parse(text.to_string()) {
            Err(e) => {
                let at = e.span().map(|r| r.start).unwrap_or(0);
                diags.push(
                    Diagnostic::new(
                        &rules::TARGETS_FILE,
                        Span::new(id, at, at + 1),
                        format!("invalid TOML: {}", e.message()),
                    )
                    .help("write `[server]` with `min = \"2.5.0\"` (and optionally `max`)"),
                );
            }
            Ok(doc) => {
                for (k, item) in doc.iter() {
                    let span = item
                        .span()
                        .map(|r| Span::new(id, r.start, r.end))
                        .unwrap_or(Span::file_start(id));
                    if k != "server" {
                        diags.push(
                            Diagnostic::new(&rules::TARGETS_FILE, span, format!("unknown section `{k}`"))
                                .help("the file has one section, `[server]`"),
                        );
                        continue;
                    }
                    let Some(table) = item.as_table_like() else {
                        diags.push(
                            Diagnostic::new(&rules::TARGETS_FILE, span, "`server` must be a table")
                                .help("write `[server]`"),
                        );
                        continue;
                    };
                    for (key, v) in table.iter() {
                        let vspan = v.span().map(|r| Span::new(id, r.start, r.end)).unwrap_or(span);
                        let parsed = v.as_str().and_then(version);
                        match (key, parsed) {
                            ("min", Some(x)) => t.min = Some(x),
                            ("max", Some(x)) => t.max = Some(x),
                            ("min" | "max", None) => diags.push(
                                Diagnostic::new(
                                    &rules::TARGETS_FILE,
                                    vspan,
                                    format!("`{key}` must be a quoted server version such as \"2.5.0\""),
                                )
                                .help("write the SUSE Observability version as X.Y or X.Y.Z, quoted"),
                            ),
                            _ => diags.push(
                                Diagnostic::new(&rules::TARGETS_FILE, vspan, format!("unknown key `{key}`"))
                                    .help("`[server]` has `min` and `max`"),
                            ),
                        }
                    }
                }
                if let (Some(a), Some(b)) = (&t.min, &t.max) {
                    if a > b {
                        diags.push(
                            Diagnostic::new(
                                &rules::TARGETS_FILE,
                                Span::file_start(id),
                                format!("`min` ({a}) is above `max` ({b})"),
                            )
                            .help("swap the two versions"),
                        );
                    }
                }
            }
        }
    }
    if let Some(v) = cli {
        t.min = Some(v.clone());
        t.max = Some(v.clone());
    }
    t
}
