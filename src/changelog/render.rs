//! Release notes rendered from the changelog through Handlebars templates.
//!
//! The templates are embedded (`templates/release-notes-docs.md.hbs`, `templates/RELEASE.md.hbs`)
//! and can be overridden by a directory holding files of the same names (`--templates DIR`).
//! Both receive the same data, which is also what `--format json` prints:
//!
//! ```json
//! { "title": "Agent V2 StackPack",
//!   "releases": [ { "version": "4.3.1", "date": "2021-04-02", "unreleased": false,
//!                   "min_stackstate_version": "4.3.0", "dependencies": {"common": "2.5.0"},
//!                   "entries": [ {"kind": "feature", "label": "Features", "heading": "Features",
//!                                 "text": "…", "items": ["…"]} ],
//!                   "groups":  [ {"kind": "feature", "heading": "Features", "entries": [ … ]} ] } ] }
//! ```

use super::seam::PackSeam;
use super::{rules, ChangeKind, Changelog, Entry, Release};
use crate::diag::{Diagnostic, Diagnostics};
use semver::Version;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// File name of the docs-page template.
pub const DOCS_TEMPLATE: &str = "release-notes-docs.md.hbs";
/// File name of the archive's `RELEASE.md` template.
pub const MARKDOWN_TEMPLATE: &str = "RELEASE.md.hbs";

const DOCS_BUILTIN: &str = include_str!("../../templates/release-notes-docs.md.hbs");
const MARKDOWN_BUILTIN: &str = include_str!("../../templates/RELEASE.md.hbs");

/// Output formats of `release-notes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The documentation page's "Release notes" section.
    Docs,
    /// The `RELEASE.md` that goes into the archive.
    Markdown,
    /// The data the templates receive.
    Json,
}

/// Which releases to render.
#[derive(Debug, Clone, Default)]
pub struct Select {
    /// Only releases newer than this version.
    pub since: Option<Version>,
    /// Only this release.
    pub version: Option<Version>,
    /// Put the unreleased fragments first, as the upcoming version dated `unreleased`.
    pub unreleased: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notes {
    pub title: String,
    pub releases: Vec<ReleaseData>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReleaseData {
    pub version: String,
    pub date: String,
    pub unreleased: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_stackstate_version: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dependencies: BTreeMap<String, String>,
    pub entries: Vec<EntryData>,
    pub groups: Vec<GroupData>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntryData {
    pub kind: &'static str,
    pub label: String,
    pub heading: String,
    pub text: String,
    pub items: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bump: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupData {
    pub kind: &'static str,
    pub heading: String,
    pub entries: Vec<EntryData>,
}

fn entry_data(cl: &Changelog, release: Option<&Release>, e: &Entry) -> EntryData {
    let kind = e.kind.value;
    EntryData {
        kind: kind.key(),
        label: cl.label(release, kind),
        heading: cl.heading(kind),
        text: e.text.value.clone(),
        items: e.items.iter().map(|i| i.value.clone()).collect(),
        bump: e.bump.as_ref().map(|b| match b {
            super::VersionBump::Dependency { name, from, to } => serde_json::json!({
                "dependency": name.value,
                "from": from.as_ref().map(|f| f.value.to_string()),
                "to": to.value.to_string(),
            }),
            super::VersionBump::StackStateMin { from, to } => serde_json::json!({
                "stackstate_min": to.value.to_string(),
                "from": from.as_ref().map(|f| f.value.to_string()),
            }),
        }),
    }
}

fn groups(entries: &[EntryData]) -> Vec<GroupData> {
    ChangeKind::ALL
        .iter()
        .filter_map(|k| {
            let es: Vec<EntryData> = entries.iter().filter(|e| e.kind == k.key()).cloned().collect();
            let heading = es.first()?.heading.clone();
            Some(GroupData {
                kind: k.key(),
                heading,
                entries: es,
            })
        })
        .collect()
}

/// The title of the notes: the changelog's `title`, else the manifest display name.
pub fn title(pack: &dyn PackSeam, cl: &Changelog) -> String {
    match &cl.title {
        Some(t) => t.value.clone(),
        None => pack.display_name().to_string(),
    }
}

/// The data the templates render (and `--format json` prints).
pub fn notes(pack: &dyn PackSeam, cl: &Changelog, select: &Select) -> Notes {
    let mut releases = Vec::new();
    if select.unreleased && !cl.fragments.is_empty() && select.version.is_none() {
        let next = cl.next_version(&pack.version().value, None);
        let entries: Vec<EntryData> = cl.fragments.iter().map(|f| entry_data(cl, None, &f.entry)).collect();
        releases.push(ReleaseData {
            version: next.to_string(),
            date: "unreleased".to_string(),
            unreleased: true,
            min_stackstate_version: pack.min_stackstate().map(|v| v.value.to_string()),
            dependencies: pack
                .dependencies()
                .iter()
                .map(|d| (d.name.value.clone(), d.version.value.to_string()))
                .collect(),
            groups: groups(&entries),
            entries,
        });
    }
    for r in &cl.releases {
        let Some(v) = &r.version else { continue };
        if select.version.as_ref().is_some_and(|want| want != v) {
            continue;
        }
        if select.since.as_ref().is_some_and(|since| v <= since) {
            continue;
        }
        let entries: Vec<EntryData> = r.entries.iter().map(|e| entry_data(cl, Some(r), e)).collect();
        releases.push(ReleaseData {
            version: v.to_string(),
            date: r.date.value.clone(),
            unreleased: false,
            min_stackstate_version: r.min_stackstate.as_ref().map(|m| m.value.to_string()),
            dependencies: r
                .dependencies
                .iter()
                .map(|(n, v)| (n.value.clone(), v.value.to_string()))
                .collect(),
            groups: groups(&entries),
            entries,
        });
    }
    Notes {
        title: title(pack, cl),
        releases,
    }
}

/// Render `notes` in `format`, with the templates of `templates` when given (files missing from
/// that directory fall back to the built-in ones).
pub fn render(notes: &Notes, format: Format, templates: Option<&Path>) -> Result<String, Diagnostics> {
    render_one(notes, format, templates).map_err(|d| {
        let mut diags = Diagnostics::new();
        diags.push(d);
        diags
    })
}

#[allow(clippy::result_large_err)] // one finding, built once: its size does not matter
fn render_one(notes: &Notes, format: Format, templates: Option<&Path>) -> Result<String, Diagnostic> {
    let (name, builtin) = match format {
        Format::Json => {
            return serde_json::to_string_pretty(notes)
                .map(|s| s + "\n")
                .map_err(|e| Diagnostic::at_path(&rules::TEMPLATE_ERROR, "<json>", e.to_string()));
        }
        Format::Docs => (DOCS_TEMPLATE, DOCS_BUILTIN),
        Format::Markdown => (MARKDOWN_TEMPLATE, MARKDOWN_BUILTIN),
    };
    let (shown, text) = match templates.map(|d| d.join(name)).filter(|p| p.is_file()) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(t) => (path.display().to_string(), t),
            Err(e) => {
                return Err(Diagnostic::at_path(
                    &rules::TEMPLATE_ERROR,
                    path.display().to_string(),
                    format!("cannot read template: {e}"),
                ))
            }
        },
        None => (format!("<built-in {name}>"), builtin.to_string()),
    };
    let mut hb = handlebars::Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    if let Err(e) = hb.register_template_string(name, &text) {
        return Err(
            Diagnostic::at_path(&rules::TEMPLATE_ERROR, shown, format!("template does not parse: {e}"))
                .help("fix the Handlebars syntax (every `{{#block}}` needs its `{{/block}}`)"),
        );
    }
    hb.render(name, notes).map_err(|e| {
        Diagnostic::at_path(&rules::TEMPLATE_ERROR, shown, format!("template fails to render: {e}"))
            .help("see `docs/changelog.md` for the data the templates receive")
    })
}

/// The archive's `RELEASE.md` for `pack`: all releases, rendered with the markdown template.
/// `Ok(None)` when the pack has no changelog; `Err` when a template fails. `build` calls this
/// after [`super::load()`] registered the changelog's files (`None` changelog: no `RELEASE.md`).
pub fn release_md(
    pack: &dyn PackSeam,
    changelog: Option<&Changelog>,
    templates: Option<&Path>,
) -> Result<Option<String>, Diagnostics> {
    let Some(cl) = changelog else {
        return Ok(None);
    };
    let n = notes(pack, cl, &Select::default());
    render(&n, Format::Markdown, templates).map(Some)
}
