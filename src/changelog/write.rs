//! The commands that write the changelog: `changelog add` (a fragment) and `release` (fragments
//! folded into a release file, manifest version updated). Every write is atomic: files are
//! written as temporary files beside their destination and renamed; `release` undoes the steps
//! already done when a later one fails, so the tree holds all of the changes or none.

use super::check::MissingBump;
use super::load::{RELEASES_DIR, UNRELEASED_DIR};
use super::seam::PackSeam;
use super::{date, Bump, ChangeKind, Changelog, Entry, VersionBump};
use semver::Version;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
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
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io("create a file in", dir, e))?;
        tmp.write_all(text.as_bytes()).map_err(|e| io("write", tmp.path(), e))?;
        match tmp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io("write", &path, e.error)),
        }
    }
    Err(WriteError::Io(format!(
        "no free file name for `{stem}` in `{}`",
        dir.display()
    )))
}

/// The text of a fragment file.
pub fn fragment_text(entry: &NewEntry) -> String {
    serde_yaml::to_string(&new_entry_out(entry)).unwrap_or_default()
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

/// Fold the fragments into `releases/<version>.yaml`, set the manifest version, delete the
/// fragments: all or nothing.
pub fn release(pack: &dyn PackSeam, cl: &Changelog, opts: &ReleaseOptions) -> Result<Released, WriteError> {
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

    let manifest_path = pack.root().join(pack.manifest_file());
    let old_manifest = std::fs::read_to_string(&manifest_path).map_err(|e| io("read", &manifest_path, e))?;
    let new_manifest = pack
        .with_version(&old_manifest, &version)
        .map_err(|e| WriteError::Refused(format!("cannot update `{}`: {e}", manifest_path.display())))?;

    // Stage everything first, then commit all or nothing.
    let release_path = cl.dir.join(RELEASES_DIR).join(format!("{version}.yaml"));
    let mut tx = Transaction::default();
    tx.create(&release_path, &release_text)?;
    tx.replace(&manifest_path, &new_manifest)?;
    for f in &fragments {
        tx.remove(&f.path)?;
    }
    tx.commit()?;
    Ok(Released {
        version,
        date: day.to_string(),
        release_file: release_path,
        removed: fragments.iter().map(|f| f.path.clone()).collect(),
    })
}

/// A set of file changes applied all together or not at all.
///
/// New contents are staged as temporary files beside their destinations (same file system, so
/// the final renames are atomic); files to be replaced or removed are read first so that
/// [`Transaction::commit`] can put them back when a later step fails.
#[derive(Default)]
pub struct Transaction {
    /// Directories created while staging (removed again on failure, deepest first).
    created_dirs: Vec<PathBuf>,
    creates: Vec<(tempfile::NamedTempFile, PathBuf)>,
    replaces: Vec<(tempfile::NamedTempFile, PathBuf, Vec<u8>)>,
    removes: Vec<(PathBuf, Vec<u8>)>,
}

impl Transaction {
    fn stage(&mut self, dest: &Path, text: &str) -> Result<tempfile::NamedTempFile, WriteError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        if !dir.is_dir() {
            let mut missing = Vec::new();
            let mut d = dir;
            while !d.as_os_str().is_empty() && !d.is_dir() {
                missing.push(d.to_path_buf());
                d = d.parent().unwrap_or(Path::new(""));
            }
            std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
            self.created_dirs.extend(missing);
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io("create a file in", dir, e))?;
        tmp.write_all(text.as_bytes()).map_err(|e| io("write", tmp.path(), e))?;
        tmp.as_file().sync_all().map_err(|e| io("write", tmp.path(), e))?;
        Ok(tmp)
    }

    /// Create `path` (which must not exist) with `text`.
    pub fn create(&mut self, path: &Path, text: &str) -> Result<(), WriteError> {
        if path.exists() {
            return Err(WriteError::Refused(format!("`{}` already exists", path.display())));
        }
        let tmp = self.stage(path, text)?;
        self.creates.push((tmp, path.to_path_buf()));
        Ok(())
    }

    /// Replace the content of the existing file `path` with `text`.
    pub fn replace(&mut self, path: &Path, text: &str) -> Result<(), WriteError> {
        let old = std::fs::read(path).map_err(|e| io("read", path, e))?;
        let tmp = self.stage(path, text)?;
        self.replaces.push((tmp, path.to_path_buf(), old));
        Ok(())
    }

    /// Remove the existing file `path`.
    pub fn remove(&mut self, path: &Path) -> Result<(), WriteError> {
        let old = std::fs::read(path).map_err(|e| io("read", path, e))?;
        self.removes.push((path.to_path_buf(), old));
        Ok(())
    }

    /// Apply every change: creations, replacements, removals. When one fails, the ones already
    /// applied are undone and the error is returned.
    pub fn commit(self) -> Result<(), WriteError> {
        let Transaction {
            created_dirs,
            creates,
            replaces,
            removes,
        } = self;
        let mut created: Vec<PathBuf> = Vec::new();
        let mut replaced: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        let mut removed: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        let result = (|| {
            for (tmp, path) in creates {
                tmp.persist_noclobber(&path).map_err(|e| io("write", &path, e.error))?;
                created.push(path);
            }
            for (tmp, path, old) in replaces {
                tmp.persist(&path).map_err(|e| io("write", &path, e.error))?;
                replaced.push((path, old));
            }
            for (path, old) in removes {
                std::fs::remove_file(&path).map_err(|e| io("remove", &path, e))?;
                removed.push((path, old));
            }
            Ok(())
        })();
        if result.is_err() {
            for (path, old) in removed.iter().chain(replaced.iter()) {
                let _ = restore(path, old);
            }
            for path in &created {
                let _ = std::fs::remove_file(path);
            }
            for dir in &created_dirs {
                let _ = std::fs::remove_dir(dir);
            }
        }
        result
    }
}

fn restore(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map(|_| ()).map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_step_undoes_the_whole_transaction() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = tmp.path();
        std::fs::write(d.join("manifest"), "old").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(d.join("fragment-a"), "a").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(d.join("fragment-b"), "b").unwrap_or_else(|e| panic!("{e}"));
        let mut tx = Transaction::default();
        let new_file = d.join("releases/1.1.0.yaml");
        assert!(tx.create(&new_file, "release").is_ok());
        assert!(tx.replace(&d.join("manifest"), "new").is_ok());
        assert!(tx.remove(&d.join("fragment-a")).is_ok());
        assert!(tx.remove(&d.join("fragment-b")).is_ok());
        // Someone deletes a fragment between staging and commit: the last step fails.
        std::fs::remove_file(d.join("fragment-b")).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(tx.commit(), Err(WriteError::Io(_))));
        assert!(!new_file.exists());
        assert!(!d.join("releases").exists(), "created directory left behind");
        assert_eq!(std::fs::read_to_string(d.join("manifest")).ok().as_deref(), Some("old"));
        assert_eq!(std::fs::read_to_string(d.join("fragment-a")).ok().as_deref(), Some("a"));
        // No temporary files left either.
        let names: Vec<String> = std::fs::read_dir(d)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let mut names = names;
        names.sort();
        assert_eq!(names, ["fragment-a", "manifest"]);
    }

    #[test]
    fn a_complete_transaction_applies_everything() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = tmp.path();
        std::fs::write(d.join("manifest"), "old").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(d.join("fragment"), "a").unwrap_or_else(|e| panic!("{e}"));
        let mut tx = Transaction::default();
        assert!(tx.create(&d.join("releases/1.1.0.yaml"), "release").is_ok());
        assert!(tx.replace(&d.join("manifest"), "new").is_ok());
        assert!(tx.remove(&d.join("fragment")).is_ok());
        assert!(tx.commit().is_ok());
        assert_eq!(
            std::fs::read_to_string(d.join("releases/1.1.0.yaml")).ok().as_deref(),
            Some("release")
        );
        assert_eq!(std::fs::read_to_string(d.join("manifest")).ok().as_deref(), Some("new"));
        assert!(!d.join("fragment").exists());
    }

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
