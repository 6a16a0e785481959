//! Reading a changelog directory into the typed [`Changelog`], with located diagnostics.

use super::rules;
use super::seam::PackSeam;
use super::{ChangeKind, Changelog, Entry, Fragment, Release, VersionBump};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::paths::normalize;
use crate::load::rules as load_rules;
use crate::load::tree::{Fields, Kind, Map, Value};
use crate::model::version::parse_stackstate;
use crate::source::{FileId, SourceMap, Span, Spanned};
use semver::Version;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The optional settings file at the top of the changelog directory.
pub const SETTINGS_FILE: &str = "changelog.yaml";
pub const RELEASES_DIR: &str = "releases";
pub const UNRELEASED_DIR: &str = "unreleased";

/// Where the changelog of a pack lives, once its path is validated.
#[derive(Debug, Clone)]
pub struct Location {
    /// Pack root joined with the validated relative path.
    pub dir: PathBuf,
    /// The relative path, normalised (`changelog`, `../changelog`).
    pub rel: String,
    /// Whether the manifest names the directory (a missing default directory is not an error).
    pub explicit: bool,
}

/// Validate the manifest's `changelog` path: relative, `/`-separated, and at most one `..` at
/// the start (a directory beside the pack, as in the example repository). Reports SP600.
pub fn locate(pack: &dyn PackSeam, diags: &mut Diagnostics) -> Option<Location> {
    let root = pack.root();
    let dir = pack.changelog_dir();
    let raw = &dir.path;
    let explicit = dir.explicit;
    let (up, rest) = match raw.value.strip_prefix("../") {
        Some(rest) => (true, rest),
        None => (false, raw.value.as_str()),
    };
    let rel = match normalize(rest) {
        Ok(n) => {
            if up {
                format!("../{n}")
            } else {
                n
            }
        }
        Err(p) => {
            diags.push(
                Diagnostic::new(
                    &rules::CHANGELOG_PATH,
                    raw.span,
                    format!("changelog path `{}` is not allowed: {}", raw.value, p.message()),
                )
                .label("not a usable changelog directory")
                .help("name a directory inside the pack (`changelog`) or beside it (`../changelog`)"),
            );
            return None;
        }
    };
    Some(Location {
        dir: root.join(&rel),
        rel,
        explicit,
    })
}

/// Load the changelog of `pack`, registering its files in the pack's source map. `None` when
/// the pack has no changelog directory (or its path is refused, which is reported).
pub fn load_for(pack: &mut dyn PackSeam, diags: &mut Diagnostics) -> Option<Changelog> {
    load(pack, diags)
}

/// Load the changelog the manifest of `pack` names. Its files are registered in the pack's
/// source map so that every finding is located. `None` when the pack has no changelog (or its
/// path is refused, which is reported).
pub fn load(pack: &mut dyn PackSeam, diags: &mut Diagnostics) -> Option<Changelog> {
    let loc = locate(pack, diags)?;
    let root = pack.root().to_path_buf();
    let root = root.as_path();
    let canonical_root = pack.canonical_root().to_path_buf();
    let canonical_root = canonical_root.as_path();
    let dir = pack.changelog_dir();
    let raw = &dir.path;
    let sources = pack.sources_mut();
    if !loc.dir.is_dir() {
        if loc.explicit {
            diags.push(
                Diagnostic::new(
                    &rules::CHANGELOG_PATH,
                    raw.span,
                    format!("changelog directory `{}` does not exist", loc.rel),
                )
                .label("no such directory")
                .help("create it with `stackpack changelog add`, or fix the path"),
            );
        }
        return None;
    }
    let canonical = match loc.dir.canonicalize() {
        Ok(c) => c,
        Err(e) => {
            diags.push(Diagnostic::new(
                &rules::CHANGELOG_PATH,
                raw.span,
                format!("cannot read changelog directory `{}`: {e}", loc.rel),
            ));
            return None;
        }
    };
    let base = if loc.rel.starts_with("../") {
        canonical_root.parent().unwrap_or(canonical_root)
    } else {
        canonical_root
    };
    if !canonical.starts_with(base) || canonical == base {
        diags.push(
            Diagnostic::new(
                &rules::CHANGELOG_PATH,
                raw.span,
                format!(
                    "changelog directory `{}` is a symlink to a place outside the pack",
                    loc.rel
                ),
            )
            .label("leads elsewhere")
            .help("keep the changelog inside the pack or in a directory beside it"),
        );
        return None;
    }

    let mut cl = Changelog {
        dir: loc.dir.clone(),
        title: None,
        labels: BTreeMap::new(),
        headings: BTreeMap::new(),
        releases: Vec::new(),
        fragments: Vec::new(),
    };
    let settings_path = loc.dir.join(SETTINGS_FILE);
    if settings_path.is_file() {
        if let Some((_, doc)) = read_yaml(root, &loc, &canonical, SETTINGS_FILE, sources, diags) {
            if let Some(mut f) = Fields::new(&doc, "the changelog settings", diags) {
                cl.title = f.opt_str("title", diags);
                if let Some((m, _)) = f.opt_map("labels", diags) {
                    cl.labels = kind_map(m, diags);
                }
                if let Some((m, _)) = f.opt_map("headings", diags) {
                    cl.headings = kind_map(m, diags);
                }
                f.finish(diags);
            }
        }
    }
    for rel in list_yaml(&loc.dir, RELEASES_DIR, diags) {
        if let Some((id, doc)) = read_yaml(root, &loc, &canonical, &rel, sources, diags) {
            if let Some(r) = lower_release(id, &rel, &doc, diags) {
                cl.releases.push(r);
            }
        }
    }
    for rel in list_yaml(&loc.dir, UNRELEASED_DIR, diags) {
        if let Some((id, doc)) = read_yaml(root, &loc, &canonical, &rel, sources, diags) {
            if let Some(entry) = lower_entry(&doc, "a changelog fragment", diags) {
                cl.fragments.push(Fragment {
                    file: id,
                    path: loc.dir.join(&rel),
                    rel_path: rel,
                    entry,
                });
            }
        }
    }
    // Newest first; unparsable versions last, in file order (sort is stable).
    cl.releases.sort_by(|a, b| match (&a.version, &b.version) {
        (Some(x), Some(y)) => y.cmp(x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    Some(cl)
}

/// `*.yaml`/`*.yml` files (not hidden) directly in `dir/sub`, as `sub/name`, sorted.
fn list_yaml(dir: &Path, sub: &str, diags: &mut Diagnostics) -> Vec<String> {
    let path = dir.join(sub);
    let Ok(rd) = std::fs::read_dir(&path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in rd.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            diags.push(Diagnostic::at_path(
                &load_rules::IO_ERROR,
                entry.path().to_string_lossy().to_string(),
                "file name is not valid UTF-8; rename it",
            ));
            continue;
        };
        if name.starts_with('.') || !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        out.push(format!("{sub}/{name}"));
    }
    out.sort();
    out
}

/// How a changelog file is shown: the pack directory as given, joined with the changelog path,
/// with `dir/..` pairs removed (`stackpack/../changelog/x` → `changelog/x`).
pub fn display(root: &Path, loc_rel: &str, rel: &str) -> String {
    let joined = crate::load::display_path(root, &format!("{loc_rel}/{rel}"));
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "." if !parts.is_empty() => {}
            ".." if parts.last().is_some_and(|p| *p != ".." && *p != "." && !p.is_empty()) => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn read_yaml(
    root: &Path,
    loc: &Location,
    canonical_dir: &Path,
    rel: &str,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Option<(FileId, Value)> {
    let path = loc.dir.join(rel);
    let shown = display(root, &loc.rel, rel);
    match path.canonicalize() {
        Ok(c) if c.starts_with(canonical_dir) => {}
        _ => {
            diags.push(
                Diagnostic::at_path(
                    &rules::CHANGELOG_PATH,
                    shown,
                    format!("`{rel}` is a symlink to a file outside the changelog directory"),
                )
                .help("copy the file into the changelog directory instead of linking to it"),
            );
            return None;
        }
    }
    let text = match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                diags.push(
                    Diagnostic::at_path(&load_rules::IO_ERROR, shown, format!("`{rel}` is not valid UTF-8 text"))
                        .help("save the file as UTF-8"),
                );
                return None;
            }
        },
        Err(e) => {
            diags.push(Diagnostic::at_path(
                &load_rules::IO_ERROR,
                shown,
                format!("cannot read `{rel}`: {e}"),
            ));
            return None;
        }
    };
    let id = sources.add(shown, Some(&path), text);
    let docs = crate::load::yaml::parse(id, sources.file(id), diags)?;
    let mut docs = docs.into_iter();
    match (docs.next(), docs.next()) {
        (Some(doc), None) => Some((id, doc)),
        (None, _) => {
            diags.push(
                Diagnostic::new(
                    &load_rules::MISSING_FIELD,
                    Span::file_start(id),
                    format!("`{rel}` is empty"),
                )
                .help("write the release or entry as a YAML mapping, or delete the file"),
            );
            None
        }
        (Some(_), Some(second)) => {
            diags.push(
                Diagnostic::new(
                    &load_rules::WRONG_TYPE,
                    second.span,
                    format!("`{rel}` holds more than one YAML document"),
                )
                .help("write one release (or one fragment) per file"),
            );
            None
        }
    }
}

/// Parse a kind key, reporting unknown ones with a suggestion.
fn parse_kind(raw: &Spanned<String>, diags: &mut Diagnostics) -> Option<ChangeKind> {
    if let Some(k) = ChangeKind::parse(&raw.value) {
        return Some(k);
    }
    let mut d = Diagnostic::new(
        &rules::UNKNOWN_CHANGE_KIND,
        raw.span,
        format!("unknown change kind `{}`", raw.value),
    )
    .label("not a change kind");
    d = match did_you_mean(&raw.value, ChangeKind::keys()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!(
            "use one of: {}",
            ChangeKind::keys().collect::<Vec<_>>().join(", ")
        )),
    };
    diags.push(d);
    None
}

/// A mapping from kind keys to text (label or heading overrides).
fn kind_map(m: &Map, diags: &mut Diagnostics) -> BTreeMap<ChangeKind, String> {
    let mut out = BTreeMap::new();
    for (k, v) in &m.entries {
        let Some(kind) = parse_kind(k, diags) else { continue };
        match v.as_str() {
            Some(s) => {
                out.insert(kind, s.to_string());
            }
            None => diags.push(
                Diagnostic::new(
                    &load_rules::WRONG_TYPE,
                    v.span,
                    format!("the label of `{}` must be a string, found {}", k.value, v.type_name()),
                )
                .label("expected a string"),
            ),
        }
    }
    out
}

/// A version written in a changelog file: a string (a plain `4.3` would be a YAML number).
fn version_value(v: &Value, what: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    match &v.kind {
        Kind::Str(s) => Some(Spanned::new(s.clone(), v.span)),
        Kind::Int(_) | Kind::Float(_) => {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_VERSION,
                    v.span,
                    format!("{what} must be a MAJOR.MINOR.PATCH version, found {}", v.type_name()),
                )
                .label("YAML reads this as a number")
                .help("write all three parts, e.g. `4.3.0`"),
            );
            None
        }
        _ => {
            diags.push(
                Diagnostic::new(
                    &load_rules::WRONG_TYPE,
                    v.span,
                    format!("{what} must be a version string, found {}", v.type_name()),
                )
                .label("expected a version"),
            );
            None
        }
    }
}

fn semver_value(v: &Value, what: &str, diags: &mut Diagnostics) -> Option<Spanned<Version>> {
    let s = version_value(v, what, diags)?;
    match Version::parse(s.value.trim()) {
        Ok(parsed) => Some(Spanned::new(parsed, s.span)),
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_VERSION,
                    s.span,
                    format!("{what} `{}` is not semver: {e}", s.value),
                )
                .help("write MAJOR.MINOR.PATCH, e.g. `2.5.0`"),
            );
            None
        }
    }
}

fn stackstate_value(v: &Value, what: &str, diags: &mut Diagnostics) -> Option<Spanned<Version>> {
    let s = version_value(v, what, diags)?;
    match parse_stackstate(&s.value) {
        Ok(parsed) => Some(Spanned::new(parsed, s.span)),
        Err(e) => {
            diags.push(Diagnostic::new(&rules::INVALID_VERSION, s.span, e).help("e.g. `4.3.0`"));
            None
        }
    }
}

fn lower_release(file: FileId, rel: &str, doc: &Value, diags: &mut Diagnostics) -> Option<Release> {
    let mut f = Fields::new(doc, "a release", diags)?;
    let version_text = match f.raw("version") {
        Some(v) => version_value(v, "the release version", diags),
        None => {
            diags.push(
                Diagnostic::new(
                    &load_rules::MISSING_FIELD,
                    f.span,
                    "a release is missing required field `version`",
                )
                .help("add `version: <MAJOR.MINOR.PATCH>`"),
            );
            None
        }
    };
    let version = version_text
        .as_ref()
        .and_then(|v| match Version::parse(v.value.trim()) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                diags.push(
                    Diagnostic::new(
                        &rules::INVALID_VERSION,
                        v.span,
                        format!("release version `{}` is not semver: {e}", v.value),
                    )
                    .label("not MAJOR.MINOR.PATCH")
                    .help("write the full version, e.g. `4.3.1`"),
                );
                None
            }
        });
    // The file name is the version: `releases/4.3.1.yaml` holds 4.3.1.
    if let (Some(v), Some(vt)) = (&version, &version_text) {
        let stem = rel
            .rsplit('/')
            .next()
            .unwrap_or(rel)
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml");
        if stem != v.to_string() {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_VERSION,
                    vt.span,
                    format!("release file `{rel}` holds version {v}"),
                )
                .label("does not match the file name")
                .help(format!(
                    "rename the file to `releases/{v}.yaml`, or correct the version"
                )),
            );
        }
    }
    let date = f.raw("date").and_then(|v| match &v.kind {
        Kind::Str(s) => Some(Spanned::new(s.clone(), v.span)),
        _ => {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_DATE,
                    v.span,
                    format!("a release date must be a `YYYY-MM-DD` date, found {}", v.type_name()),
                )
                .label("not a date")
                .help("write e.g. `date: 2021-04-02`"),
            );
            None
        }
    });
    let date_valid = match &date {
        Some(d) => match super::date::parse(&d.value) {
            Ok(_) => true,
            Err(e) => {
                diags.push(
                    Diagnostic::new(&rules::INVALID_DATE, d.span, format!("invalid release date: {e}"))
                        .label("not a valid date")
                        .help("write the release day as YYYY-MM-DD, e.g. `2021-04-02`"),
                );
                false
            }
        },
        None => {
            if f.key_span("date").is_none() {
                diags.push(
                    Diagnostic::new(
                        &load_rules::MISSING_FIELD,
                        f.span,
                        "a release is missing required field `date`",
                    )
                    .help("add `date: <YYYY-MM-DD>`"),
                );
            }
            false
        }
    };
    let labels = match f.opt_map("labels", diags) {
        Some((m, _)) => kind_map(m, diags),
        None => BTreeMap::new(),
    };
    let min_stackstate = f
        .raw("min-stackstate-version")
        .and_then(|v| stackstate_value(v, "the minimum StackState version", diags));
    let mut dependencies = Vec::new();
    if let Some((m, _)) = f.opt_map("dependencies", diags) {
        for (k, v) in &m.entries {
            if let Some(ver) = semver_value(v, &format!("the version of dependency `{}`", k.value), diags) {
                dependencies.push((k.clone(), ver));
            }
        }
    }
    let mut entries = Vec::new();
    let mut written_entries = 0;
    match f.opt_seq("entries", diags) {
        Some(items) => {
            written_entries = items.len();
            for item in items {
                if let Some(e) = lower_entry(item, "a changelog entry", diags) {
                    entries.push(e);
                }
            }
        }
        None => {
            if f.key_span("entries").is_none() {
                diags.push(
                    Diagnostic::new(
                        &load_rules::MISSING_FIELD,
                        f.span,
                        "a release is missing required field `entries`",
                    )
                    .help("add `entries:` with one `- kind: …` item per change"),
                );
            }
        }
    }
    let span = f.span;
    f.finish(diags);
    Some(Release {
        file,
        rel_path: rel.to_string(),
        version_text: version_text.unwrap_or_else(|| Spanned::new(String::new(), span)),
        version,
        date: date.unwrap_or_else(|| Spanned::new(String::new(), span)),
        date_valid,
        labels,
        min_stackstate,
        dependencies,
        entries,
        written_entries,
        span,
    })
}

/// One entry: `{kind, text, items}` or `{kind?, bump: {...}, text?, items?}`.
pub(crate) fn lower_entry(value: &Value, what: &str, diags: &mut Diagnostics) -> Option<Entry> {
    let mut f = Fields::new(value, what, diags)?;
    let kind_raw = f.opt_str("kind", diags);
    let text = f.opt_str("text", diags);
    let items = f.opt_str_list("items", diags);
    let bump = match f.opt_map("bump", diags) {
        Some((m, span)) => lower_bump(m, span, diags).map(Some),
        None => Some(None),
    };
    let span = f.span;
    let kind_missing = kind_raw.is_none() && f.key_span("kind").is_none();
    f.finish(diags);
    let bump = bump?;
    let kind = match (&kind_raw, &bump) {
        (Some(k), _) => Spanned::new(parse_kind(k, diags)?, k.span),
        // A version bump without a kind is an improvement, as in the real release notes.
        (None, Some(_)) => Spanned::new(ChangeKind::Improvement, span),
        (None, None) => {
            if kind_missing {
                diags.push(
                    Diagnostic::new(
                        &load_rules::MISSING_FIELD,
                        span,
                        format!("{what} is missing required field `kind`"),
                    )
                    .help(format!(
                        "add `kind: <{}>`",
                        ChangeKind::keys().collect::<Vec<_>>().join("|")
                    )),
                );
            }
            return None;
        }
    };
    let text = match (text, &bump) {
        (Some(t), _) => t,
        (None, Some(b)) => Spanned::new(b.text(), b.to().span),
        (None, None) => {
            diags.push(
                Diagnostic::new(
                    &load_rules::MISSING_FIELD,
                    span,
                    format!("{what} is missing required field `text`"),
                )
                .help("add `text: <what changed, for the reader of the release notes>`"),
            );
            return None;
        }
    };
    Some(Entry {
        kind,
        text,
        items,
        bump,
        span,
    })
}

/// `{dependency: common, from: 2.3.1, to: 2.5.0}` or `{stackstate-min: 4.3.0, from: 4.2.0}`.
fn lower_bump(m: &Map, span: Span, diags: &mut Diagnostics) -> Option<VersionBump> {
    let mut f = Fields::from_map(m, span, "a version bump");
    let dependency = f.opt_str("dependency", diags);
    let min = f.raw("stackstate-min");
    let from_raw = f.raw("from");
    let to_raw = f.raw("to");
    f.finish(diags);
    match (dependency, min) {
        (Some(name), None) => {
            let Some(to_raw) = to_raw else {
                diags.push(
                    Diagnostic::new(
                        &load_rules::MISSING_FIELD,
                        span,
                        "a dependency bump is missing field `to`",
                    )
                    .help("add `to: <new version>`, e.g. `to: 2.5.0`"),
                );
                return None;
            };
            let to = semver_value(to_raw, "the new dependency version", diags)?;
            let from = match from_raw {
                Some(v) => Some(semver_value(v, "the previous dependency version", diags)?),
                None => None,
            };
            Some(VersionBump::Dependency { name, from, to })
        }
        (None, Some(min)) => {
            if let Some(t) = to_raw {
                diags.push(
                    Diagnostic::new(
                        &load_rules::UNKNOWN_FIELD,
                        t.span,
                        "`to` is not used with `stackstate-min`",
                    )
                    .help("the new minimum is the value of `stackstate-min`"),
                );
            }
            let to = stackstate_value(min, "the new minimum StackState version", diags)?;
            let from = match from_raw {
                Some(v) => Some(stackstate_value(v, "the previous minimum StackState version", diags)?),
                None => None,
            };
            Some(VersionBump::StackStateMin { from, to })
        }
        (Some(d), Some(_)) => {
            diags.push(
                Diagnostic::new(
                    &load_rules::INVALID_VALUE,
                    d.span,
                    "a version bump names either a `dependency` or `stackstate-min`, not both",
                )
                .help("write one entry per bump"),
            );
            None
        }
        (None, None) => {
            diags.push(
                Diagnostic::new(
                    &load_rules::MISSING_FIELD,
                    span,
                    "a version bump needs `dependency` (with `from`/`to`) or `stackstate-min`",
                )
                .help("e.g. `bump: {dependency: common, from: 2.3.1, to: 2.5.0}` or `bump: {stackstate-min: 4.3.0}`"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_collapse_parent_segments() {
        assert_eq!(
            display(Path::new("stackpack"), "../changelog", "releases/4.3.1.yaml"),
            "changelog/releases/4.3.1.yaml"
        );
        assert_eq!(
            display(Path::new("."), "../changelog", "releases/4.3.1.yaml"),
            "../changelog/releases/4.3.1.yaml"
        );
        assert_eq!(
            display(Path::new("/tmp/p/"), "changelog", "unreleased/a.yaml"),
            "/tmp/p/changelog/unreleased/a.yaml"
        );
    }
}
