//! The commands that write the changelog: `changelog add` (a fragment) and `release` (fragments
//! folded into a release file, manifest version updated). Every write is atomic: files are
//! written as staged files beside their destination and renamed; `release` goes through a
//! journal ([`super::journal`]), so the tree holds all of the changes or none, even after a kill.

use super::check::MissingBump;
use super::load::{RELEASES_DIR, UNRELEASED_DIR};
use super::seam::PackSeam;
use super::{date, Bump, ChangeKind, Changelog, Entry, VersionBump};
use semver::Version;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a fragment says.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub kind: ChangeKind,
    /// `None` only for version bumps (the text is generated).
    pub text: Option<String>,
    pub items: Vec<String>,
    pub bump: Option<BumpSpec>,
}

/// A version bump to announce.
#[derive(Debug, Clone, PartialEq)]
pub enum BumpSpec {
    Dependency {
        name: String,
        from: Option<Version>,
        to: Version,
    },
    StackStateMin {
        from: Option<Version>,
        to: Version,
    },
}

impl From<&MissingBump> for BumpSpec {
    fn from(m: &MissingBump) -> BumpSpec {
        match &m.dependency {
            Some(d) => BumpSpec::Dependency {
                name: d.clone(),
                from: Some(m.from.clone()),
                to: m.to.clone(),
            },
            None => BumpSpec::StackStateMin {
                from: Some(m.from.clone()),
                to: m.to.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct EntryOut {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bump: Option<BumpOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct BumpOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    dependency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stackstate_min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReleaseOut {
    version: String,
    date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_stackstate_version: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    dependencies: BTreeMap<String, String>,
    entries: Vec<EntryOut>,
}

fn bump_out(b: &BumpSpec) -> BumpOut {
    match b {
        BumpSpec::Dependency { name, from, to } => BumpOut {
            dependency: Some(name.clone()),
            stackstate_min: None,
            from: from.as_ref().map(Version::to_string),
            to: Some(to.to_string()),
        },
        BumpSpec::StackStateMin { from, to } => BumpOut {
            dependency: None,
            stackstate_min: Some(to.to_string()),
            from: from.as_ref().map(Version::to_string),
            to: None,
        },
    }
}

fn spec_of(b: &VersionBump) -> BumpSpec {
    match b {
        VersionBump::Dependency { name, from, to } => BumpSpec::Dependency {
            name: name.value.clone(),
            from: from.as_ref().map(|f| f.value.clone()),
            to: to.value.clone(),
        },
        VersionBump::StackStateMin { from, to } => BumpSpec::StackStateMin {
            from: from.as_ref().map(|f| f.value.clone()),
            to: to.value.clone(),
        },
    }
}

/// An entry as it is written back into a release file (a generated bump text is not repeated).
fn entry_out(e: &Entry) -> EntryOut {
    let generated = e.bump.as_ref().map(VersionBump::text);
    EntryOut {
        kind: e.kind.value.key(),
        text: if generated.as_deref() == Some(e.text.value.as_str()) {
            None
        } else {
            Some(e.text.value.clone())
        },
        items: e.items.iter().map(|i| i.value.clone()).collect(),
        bump: e.bump.as_ref().map(|b| bump_out(&spec_of(b))),
    }
}

fn new_entry_out(e: &NewEntry) -> EntryOut {
    EntryOut {
        kind: e.kind.key(),
        text: e.text.clone(),
        items: e.items.clone(),
        bump: e.bump.as_ref().map(bump_out),
    }
}

/// Failures of the writing commands.
#[derive(Debug)]
pub enum WriteError {
    /// The input does not allow the operation (exit code 1).
    Refused(String),
    /// A file could not be written (exit code 2); the tree was restored.
    Io(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Refused(m) | WriteError::Io(m) => f.write_str(m),
        }
    }
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> WriteError {
    WriteError::Io(format!("cannot {what} `{}`: {e}", path.display()))
}

/// `feature-add-swarm-services` from a kind and a text: a readable, file-name-safe slug.
pub fn slug(kind: ChangeKind, text: &str) -> String {
    let mut out = String::from(kind.key());
    let words = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(6);
    for word in words {
        if out.len() + word.len() > 60 {
            break;
        }
        out.push('-');
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// Write `text` to a new file `dir/<stem>.yaml` (`<stem>-2.yaml`, … when taken), atomically.
fn write_new_file(dir: &Path, stem: &str, text: &str) -> Result<PathBuf, WriteError> {
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{stem}.yaml")
        } else {
            format!("{stem}-{n}.yaml")
        };
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        // Staged under a name `recover` knows, then linked into place without clobbering: a
        // kill leaves either no fragment or the whole fragment (plus a staged file the next
        // command removes).
        let staged = dir.join(format!(
            "{}{}-{name_n}",
            super::journal::STAGED_PREFIX,
            std::process::id(),
            name_n = n
        ));
        super::journal::write_synced(&staged, text.as_bytes()).map_err(|e| {
            let _ = std::fs::remove_file(&staged);
            io("write", &staged, e)
        })?;
        let linked = std::fs::hard_link(&staged, &path);
        let _ = std::fs::remove_file(&staged);
        match linked {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io("write", &path, e)),
        }
    }
    Err(WriteError::Io(format!(
        "no free file name for `{stem}` in `{}`",
        dir.display()
    )))
}

/// The text of a fragment file.
pub fn fragment_text(entry: &NewEntry) -> String {
    let text = serde_yaml::to_string(&new_entry_out(entry)).unwrap_or_default();
    crate::fmt::canonical_yaml(crate::fmt::Role::Fragment, text)
}

/// Create an unreleased fragment in `changelog_dir/unreleased/`. The file name starts with the
/// UTC date and time (fragments fold in creation order) and never replaces an existing file.
pub fn add_fragment(changelog_dir: &Path, entry: &NewEntry) -> Result<PathBuf, WriteError> {
    if entry.text.is_none() && entry.bump.is_none() {
        return Err(WriteError::Refused("an entry needs a text or a version bump".into()));
    }
    let text_for_slug = match (&entry.text, &entry.bump) {
        (Some(t), _) => t.clone(),
        (None, Some(BumpSpec::Dependency { name, to, .. })) => format!("bump {name} {to}"),
        (None, Some(BumpSpec::StackStateMin { to, .. })) => format!("bump stackstate min {to}"),
        (None, None) => String::new(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let day = date::from_days(now.div_euclid(86_400));
    let secs = now.rem_euclid(86_400);
    let stem = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}-{}",
        day.year,
        day.month,
        day.day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        slug(entry.kind, &text_for_slug)
    );
    write_new_file(&changelog_dir.join(UNRELEASED_DIR), &stem, &fragment_text(entry))
}

/// How `release` chooses the version.
#[derive(Debug, Clone, Default)]
pub struct ReleaseOptions {
    /// `None`: from the fragments' kinds.
    pub bump: Option<Bump>,
    /// `None`: today (UTC; `SOURCE_DATE_EPOCH` when set).
    pub date: Option<date::Date>,
}

/// What `release` did.
#[derive(Debug, Clone)]
pub struct Released {
    pub version: Version,
    pub date: String,
    pub release_file: PathBuf,
    pub removed: Vec<PathBuf>,
}

/// The version `release` will produce.
pub fn release_version(pack: &dyn PackSeam, cl: &Changelog, opts: &ReleaseOptions) -> Result<Version, WriteError> {
    let needed = super::bump_for(cl.fragments.iter().map(|f| &f.entry.kind.value));
    if let Some(b) = opts.bump {
        if b < needed {
            let kind = cl
                .fragments
                .iter()
                .map(|f| f.entry.kind.value)
                .max_by_key(|k| k.bump())
                .unwrap_or(ChangeKind::Bugfix);
            return Err(WriteError::Refused(format!(
                "`--bump {}` is too small: the unreleased `{}` change needs a {} bump",
                bump_name(b),
                kind.key(),
                bump_name(needed)
            )));
        }
    }
    let current = pack.version();
    let next = cl.next_version(&current.value, opts.bump);
    let m = &current.value;
    let m_release = Version::new(m.major, m.minor, m.patch);
    // A manifest already set ahead (by hand, or as a snapshot of the next version) is kept when
    // the version is chosen automatically and it is larger.
    if opts.bump.is_none() && cl.newest().is_some_and(|(_, nv)| m > nv) && m_release > next {
        return Ok(m_release);
    }
    Ok(next)
}

pub fn bump_name(b: Bump) -> &'static str {
    match b {
        Bump::Major => "major",
        Bump::Minor => "minor",
        Bump::Patch => "patch",
    }
}

/// The manifest text with `version` set to `version`, everything else (comments, layout)
/// unchanged.
pub fn set_manifest_version(text: &str, version: &Version) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let item = doc
        .get_mut("version")
        .and_then(|i| i.as_value_mut())
        .ok_or_else(|| "the manifest has no `version` value".to_string())?;
    let decor = item.decor().clone();
    let mut new = toml_edit::Value::from(version.to_string());
    *new.decor_mut() = decor;
    *item = new;
    Ok(doc.to_string())
}

/// What `release` will write, decided and checked but not applied (`release --dry-run` prints
/// it).
#[derive(Debug, Clone)]
pub struct Plan {
    pub version: Version,
    pub date: String,
    pub release_file: PathBuf,
    /// The YAML of the new release file.
    pub release_text: String,
    pub manifest_path: PathBuf,
    pub new_manifest: String,
    /// Fragments folded into the release (deleted by it).
    pub removed: Vec<PathBuf>,
}

/// Decide the release: the version, the release file, the manifest edit, and check that the
/// history it leaves is one `lint` accepts (SP6xx). Writes nothing.
pub fn plan(pack: &dyn PackSeam, cl: &Changelog, opts: &ReleaseOptions) -> Result<Plan, WriteError> {
    if cl.fragments.is_empty() {
        return Err(WriteError::Refused(format!(
            "nothing to release: `{}` has no fragments; add one with `stackpack changelog add`",
            cl.dir.join(UNRELEASED_DIR).display()
        )));
    }
    let version = release_version(pack, cl, opts)?;
    if cl.releases.iter().any(|r| r.version.as_ref() == Some(&version)) {
        return Err(WriteError::Refused(format!("version {version} is already released")));
    }
    let day = opts.date.unwrap_or_else(date::today);
    if let Some((newest, nv)) = cl.newest() {
        if newest.date_valid && day.to_string() < newest.date.value {
            return Err(WriteError::Refused(format!(
                "date {day} is before the date of the newest release {nv} ({})",
                newest.date.value
            )));
        }
    }
    let mut fragments: Vec<&super::Fragment> = cl.fragments.iter().collect();
    fragments.sort_by_key(|f| f.entry.kind.value); // stable: file-name order within a kind
    let out = ReleaseOut {
        version: version.to_string(),
        date: day.to_string(),
        min_stackstate_version: pack.min_stackstate().map(|v| v.value.to_string()),
        dependencies: pack
            .dependencies()
            .iter()
            .map(|d| (d.name.value.clone(), d.version.value.to_string()))
            .collect(),
        entries: fragments.iter().map(|f| entry_out(&f.entry)).collect(),
    };
    let release_text = serde_yaml::to_string(&out).map_err(|e| WriteError::Io(e.to_string()))?;
    let release_text = crate::fmt::canonical_yaml(crate::fmt::Role::Release, release_text);

    let manifest_path = pack.root().join(pack.manifest_file());
    let old_manifest =
        crate::load::safe::read_regular_to_string(&manifest_path).map_err(|e| io("read", &manifest_path, e))?;
    let new_manifest = pack
        .with_version(&old_manifest, &version)
        .map_err(|e| WriteError::Refused(format!("cannot update `{}`: {e}", manifest_path.display())))?;
    let release_file = cl.dir.join(RELEASES_DIR).join(format!("{version}.yaml"));
    future_history_is_clean(pack, cl, &version, &release_file, &release_text)?;
    Ok(Plan {
        version,
        date: day.to_string(),
        release_file,
        release_text,
        manifest_path,
        new_manifest,
        removed: fragments.iter().map(|f| f.path.clone()).collect(),
    })
}

/// The pack as it will be after the release: the same facts with the new version.
struct Released1<'a> {
    inner: &'a dyn PackSeam,
    version: Version,
    sources: crate::source::SourceMap,
}

impl PackSeam for Released1<'_> {
    fn root(&self) -> &Path {
        self.inner.root()
    }
    fn canonical_root(&self) -> &Path {
        self.inner.canonical_root()
    }
    fn manifest_file(&self) -> &str {
        self.inner.manifest_file()
    }
    fn display_name(&self) -> &str {
        self.inner.display_name()
    }
    fn version(&self) -> crate::source::Spanned<Version> {
        let mut v = self.inner.version();
        v.value = self.version.clone();
        v
    }
    fn changelog_dir(&self) -> super::ChangelogDir {
        self.inner.changelog_dir()
    }
    fn with_version(&self, text: &str, version: &Version) -> Result<String, String> {
        self.inner.with_version(text, version)
    }
    fn sources_mut(&mut self) -> &mut crate::source::SourceMap {
        &mut self.sources
    }
    fn min_stackstate(&self) -> Option<crate::source::Spanned<Version>> {
        self.inner.min_stackstate()
    }
    fn dependencies(&self) -> Vec<super::DependencyFact> {
        self.inner.dependencies()
    }
}

/// Refuse a release whose resulting history `lint` would reject (for example SP609 after
/// `changelog add --bump stackstate-min=…` without the manifest edit): run the changelog checks
/// on the changelog as it will be, and compare with the findings it has now.
fn future_history_is_clean(
    pack: &dyn PackSeam,
    cl: &Changelog,
    version: &Version,
    release_file: &Path,
    release_text: &str,
) -> Result<(), WriteError> {
    let mut after = Released1 {
        inner: pack,
        version: version.clone(),
        sources: crate::source::SourceMap::new(),
    };
    let rel = format!("{RELEASES_DIR}/{version}.yaml");
    let id = after
        .sources
        .add(release_file.display().to_string(), None, release_text);
    let mut d = crate::diag::Diagnostics::new();
    let doc = crate::load::yaml::parse(id, after.sources.file(id), &mut d)
        .and_then(|docs| docs.into_iter().next())
        .ok_or_else(|| WriteError::Io("the new release file does not parse".into()))?;
    let release = super::load::lower_release(id, &rel, &doc, &mut d)
        .ok_or_else(|| WriteError::Io("the new release file does not load".into()))?;
    let mut future = cl.clone();
    future.fragments.clear();
    future.releases.insert(0, release);
    let found = super::check(&after, Some(&future));
    let problems: Vec<String> = found
        .iter()
        .chain(d.iter())
        .filter(|x| x.severity == crate::diag::Severity::Error)
        .map(|x| format!("{}: {}", x.code, x.message))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(WriteError::Refused(format!(
        "releasing {version} would write a history that `stackpack lint` rejects:\n  {}\nfix the manifest or the fragments first (nothing was changed)",
        problems.join("\n  ")
    )))
}

/// Fold the fragments into `releases/<version>.yaml`, set the manifest version, delete the
/// fragments: all or nothing, through a journal (see [`super::journal`]): a kill at any point
/// leaves the old state, the new state, or a journal the next command completes.
pub fn release(pack: &dyn PackSeam, cl: &Changelog, opts: &ReleaseOptions) -> Result<Released, WriteError> {
    let p = plan(pack, cl, opts)?;
    let mut change = super::journal::Change::new(pack.root(), format!("release {}", p.version));
    let staged = (|| {
        change.create(&p.release_file, &p.release_text)?;
        change.replace(&p.manifest_path, &p.new_manifest)?;
        for f in &p.removed {
            change.remove(f)?;
        }
        Ok::<(), WriteError>(())
    })();
    if let Err(e) = staged {
        change.abandon_now();
        return Err(e);
    }
    change.commit()?;
    Ok(Released {
        version: p.version,
        date: p.date,
        release_file: p.release_file,
        removed: p.removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_edit_keeps_comments_and_layout() {
        let text = "# The Agent pack\nname = \"a\"   # id\nversion = \"4.3.1\"  # bumped by `stackpack release`\n\n[dependencies]\ncommon = \"2.5.0\"\n";
        let out = set_manifest_version(text, &Version::new(4, 4, 0)).unwrap_or_default();
        assert_eq!(out, text.replace("4.3.1", "4.4.0"));
    }

    #[test]
    fn slugs_are_short_and_safe() {
        assert_eq!(
            slug(
                ChangeKind::Feature,
                "Introduced swarm services as components/relations!"
            ),
            "feature-introduced-swarm-services-as-components-relations"
        );
        assert_eq!(slug(ChangeKind::Bugfix, "Ünïcode ✓"), "bugfix-n-code");
    }

    #[test]
    fn fragment_yaml_round_trips_through_the_loader() {
        let e = NewEntry {
            kind: ChangeKind::Improvement,
            text: None,
            items: vec![],
            bump: Some(BumpSpec::Dependency {
                name: "common".into(),
                from: Some(Version::new(2, 5, 0)),
                to: Version::new(2, 5, 1),
            }),
        };
        let text = fragment_text(&e);
        let mut sources = crate::source::SourceMap::new();
        let id = sources.add("f.yaml", None, text.as_str());
        let mut diags = crate::diag::Diagnostics::new();
        let docs = crate::load::yaml::parse(id, sources.file(id), &mut diags).unwrap_or_default();
        let entry = docs
            .first()
            .and_then(|d| super::super::load::lower_entry(d, "a fragment", &mut diags));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            entry.map(|e| e.text.value),
            Some("Common bumped from 2.5.0 to 2.5.1".to_string())
        );
    }
}
