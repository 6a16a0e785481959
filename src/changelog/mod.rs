//! The changelog as data, release notes rendered from it, and the commands that write it.
//!
//! A pack's changelog is a directory (manifest key `changelog`, default `changelog`; the one
//! path allowed to leave the pack is a sibling directory such as `../changelog`):
//!
//! ```text
//! changelog/
//!   changelog.yaml          # optional: title, default labels/headings per kind
//!   releases/4.3.1.yaml     # one file per released version
//!   unreleased/*.yaml       # one fragment (one entry) per file: parallel branches never conflict
//! ```
//!
//! [`load()`] reads it into the typed [`Changelog`] (files registered in the pack's source map, so
//! diagnostics are located), [`check()`] validates it against the manifest, [`render`] produces
//! the docs page, the archive's `RELEASE.md` and JSON, and [`mod@write`] implements
//! `changelog add` and `release`. The format is documented in `docs/changelog.md`.

pub mod check;
pub mod date;
pub mod journal;
pub mod load;
pub mod render;
pub mod rules;
pub mod seam;
pub mod write;

pub use check::check;
pub use load::{load, load_for};
pub use render::release_md;
pub use seam::{ChangelogDir, DependencyFact, PackSeam};

use crate::diag::Diagnostics;
use crate::source::{FileId, Span, Spanned};
use semver::Version;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Load the changelog of `pack` (its files registered in `pack.sources`) and run every
/// changelog check: what `lint` and `build` call. The findings include those of loading.
/// `build` passes the returned changelog to [`release_md`].
pub fn load_and_check(pack: &mut dyn PackSeam) -> (Option<Changelog>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let cl = load_for(pack, &mut diags);
    diags.extend(check(pack, cl.as_ref()));
    (cl, diags)
}

/// What a change is. The order of [`ChangeKind::ALL`] is the order of the groups in `RELEASE.md`
/// and of folded fragments in a new release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Breaking,
    Removal,
    Deprecation,
    Security,
    Feature,
    Improvement,
    Bugfix,
    Documentation,
}

/// Which part of the version a change increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 8] = [
        ChangeKind::Breaking,
        ChangeKind::Removal,
        ChangeKind::Deprecation,
        ChangeKind::Security,
        ChangeKind::Feature,
        ChangeKind::Improvement,
        ChangeKind::Bugfix,
        ChangeKind::Documentation,
    ];

    /// The key written in YAML (`kind: feature`).
    pub fn key(self) -> &'static str {
        match self {
            ChangeKind::Breaking => "breaking",
            ChangeKind::Removal => "removal",
            ChangeKind::Deprecation => "deprecation",
            ChangeKind::Security => "security",
            ChangeKind::Feature => "feature",
            ChangeKind::Improvement => "improvement",
            ChangeKind::Bugfix => "bugfix",
            ChangeKind::Documentation => "documentation",
        }
    }

    /// Default label of a bullet in the docs format (`* Feature: …`).
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Breaking => "Breaking",
            ChangeKind::Removal => "Removal",
            ChangeKind::Deprecation => "Deprecation",
            ChangeKind::Security => "Security",
            ChangeKind::Feature => "Feature",
            ChangeKind::Improvement => "Improvement",
            ChangeKind::Bugfix => "Bugfix",
            ChangeKind::Documentation => "Documentation",
        }
    }

    /// Default heading of a group in `RELEASE.md` (`**Features**`).
    pub fn heading(self) -> &'static str {
        match self {
            ChangeKind::Breaking => "Breaking changes",
            ChangeKind::Removal => "Removals",
            ChangeKind::Deprecation => "Deprecations",
            ChangeKind::Security => "Security",
            ChangeKind::Feature => "Features",
            ChangeKind::Improvement => "Improvements",
            ChangeKind::Bugfix => "Bugfixes",
            ChangeKind::Documentation => "Documentation",
        }
    }

    /// The version part a change of this kind increments (from 1.0.0 on; see [`next_version`]).
    pub fn bump(self) -> Bump {
        match self {
            ChangeKind::Breaking | ChangeKind::Removal => Bump::Major,
            ChangeKind::Feature | ChangeKind::Deprecation => Bump::Minor,
            ChangeKind::Security | ChangeKind::Improvement | ChangeKind::Bugfix | ChangeKind::Documentation => {
                Bump::Patch
            }
        }
    }

    pub fn parse(key: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.key() == key)
    }

    pub fn keys() -> impl Iterator<Item = &'static str> {
        ChangeKind::ALL.into_iter().map(ChangeKind::key)
    }
}

/// The version after `current` for a change of size `bump`.
///
/// From 1.0.0 on this is semver: major resets minor and patch, minor resets patch. Before 1.0.0
/// (where semver promises nothing) the usual Cargo convention applies: a breaking change bumps
/// the minor version and every other change the patch version, so `0.x` never becomes `1.0.0` by
/// accident (release 1.0.0 by writing it in the manifest). Pre-release suffixes are dropped:
/// `4.4.0-snapshot.1` released as a patch is `4.4.0`.
pub fn next_version(current: &Version, bump: Bump) -> Version {
    let c = current;
    if !c.pre.is_empty() {
        let release = Version::new(c.major, c.minor, c.patch);
        // A pre-release of X already stands for the upcoming X when X is at least the bump.
        return release;
    }
    if c.major == 0 {
        return match bump {
            Bump::Major => Version::new(0, c.minor + 1, 0),
            Bump::Minor | Bump::Patch => Version::new(0, c.minor, c.patch + 1),
        };
    }
    match bump {
        Bump::Major => Version::new(c.major + 1, 0, 0),
        Bump::Minor => Version::new(c.major, c.minor + 1, 0),
        Bump::Patch => Version::new(c.major, c.minor, c.patch + 1),
    }
}

/// The bump a set of changes needs: the largest of their kinds' bumps (patch when empty).
pub fn bump_for<'a>(kinds: impl IntoIterator<Item = &'a ChangeKind>) -> Bump {
    kinds.into_iter().map(|k| k.bump()).max().unwrap_or(Bump::Patch)
}

/// A structured version-bump entry: its text is generated when none is written, and the checks
/// use it to know that a changed minimum StackState version or dependency is announced.
#[derive(Debug, Clone, PartialEq)]
pub enum VersionBump {
    Dependency {
        name: Spanned<String>,
        from: Option<Spanned<Version>>,
        to: Spanned<Version>,
    },
    StackStateMin {
        from: Option<Spanned<Version>>,
        to: Spanned<Version>,
    },
}

impl VersionBump {
    /// The generated text: "Common bumped from 2.3.1 to 2.5.0", "StackState min version bumped
    /// to 4.3.0" (the wording of the real release notes).
    pub fn text(&self) -> String {
        match self {
            VersionBump::Dependency { name, from, to } => {
                let mut n = name.value.clone();
                if let Some(first) = n.get(..1) {
                    let upper = first.to_ascii_uppercase();
                    n.replace_range(..1, &upper);
                }
                match from {
                    Some(f) => format!("{n} bumped from {} to {}", f.value, to.value),
                    None => format!("{n} bumped to {}", to.value),
                }
            }
            VersionBump::StackStateMin { from, to } => match from {
                Some(f) => format!("StackState min version bumped from {} to {}", f.value, to.value),
                None => format!("StackState min version bumped to {}", to.value),
            },
        }
    }

    /// The version this bump announces.
    pub fn to(&self) -> &Spanned<Version> {
        match self {
            VersionBump::Dependency { to, .. } | VersionBump::StackStateMin { to, .. } => to,
        }
    }

    pub fn from(&self) -> Option<&Spanned<Version>> {
        match self {
            VersionBump::Dependency { from, .. } | VersionBump::StackStateMin { from, .. } => from.as_ref(),
        }
    }

    /// `common` for a dependency, `None` for the minimum StackState version.
    pub fn dependency(&self) -> Option<&str> {
        match self {
            VersionBump::Dependency { name, .. } => Some(&name.value),
            VersionBump::StackStateMin { .. } => None,
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub kind: Spanned<ChangeKind>,
    /// The text as written, or generated from `bump` (then spanned at the bump).
    pub text: Spanned<String>,
    /// Nested sub-items (rendered as an indented list).
    pub items: Vec<Spanned<String>>,
    pub bump: Option<VersionBump>,
    /// The whole entry mapping.
    pub span: Span,
}

/// One released version.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub file: FileId,
    /// Path relative to the changelog directory (`releases/4.3.1.yaml`).
    pub rel_path: String,
    pub version_text: Spanned<String>,
    /// `None` when `version_text` is not semver (reported).
    pub version: Option<Version>,
    pub date: Spanned<String>,
    /// Whether `date` is a valid `YYYY-MM-DD` date (reported otherwise).
    pub date_valid: bool,
    /// Docs labels that differ from the defaults in this release ("Features" instead of "Feature").
    pub labels: BTreeMap<ChangeKind, String>,
    /// The minimum StackState version in force at this release, when recorded.
    pub min_stackstate: Option<Spanned<Version>>,
    /// Dependency versions in force at this release, when recorded.
    pub dependencies: Vec<(Spanned<String>, Spanned<Version>)>,
    pub entries: Vec<Entry>,
    /// How many entries the file lists (including ones that failed to load and were reported).
    pub written_entries: usize,
    pub span: Span,
}

impl Release {
    pub fn dependency(&self, name: &str) -> Option<&Spanned<Version>> {
        self.dependencies.iter().find(|(n, _)| n.value == name).map(|(_, v)| v)
    }
}

/// An unreleased entry in its own file.
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    pub file: FileId,
    pub path: PathBuf,
    /// Path relative to the changelog directory (`unreleased/….yaml`).
    pub rel_path: String,
    pub entry: Entry,
}

/// A loaded changelog.
#[derive(Debug, Clone, PartialEq)]
pub struct Changelog {
    /// The directory on disk (pack root joined with the manifest's `changelog`).
    pub dir: PathBuf,
    /// Title used in the rendered notes ("Agent V2 StackPack"); `None`: the manifest display name.
    pub title: Option<Spanned<String>>,
    /// Default docs labels and `RELEASE.md` headings that differ from the built-in ones.
    pub labels: BTreeMap<ChangeKind, String>,
    pub headings: BTreeMap<ChangeKind, String>,
    /// Releases, newest first (releases whose version is not semver last, in file order).
    pub releases: Vec<Release>,
    /// Unreleased fragments, in file-name order.
    pub fragments: Vec<Fragment>,
}

impl Changelog {
    /// The newest release with a valid version.
    pub fn newest(&self) -> Option<(&Release, &Version)> {
        self.releases.iter().find_map(|r| r.version.as_ref().map(|v| (r, v)))
    }

    /// The docs label of `kind` in `release` (its override, the changelog's default, the
    /// built-in label).
    pub fn label(&self, release: Option<&Release>, kind: ChangeKind) -> String {
        release
            .and_then(|r| r.labels.get(&kind))
            .or_else(|| self.labels.get(&kind))
            .cloned()
            .unwrap_or_else(|| kind.label().to_string())
    }

    pub fn heading(&self, kind: ChangeKind) -> String {
        self.headings
            .get(&kind)
            .cloned()
            .unwrap_or_else(|| kind.heading().to_string())
    }

    /// The version `release` would produce for the current fragments; `bump`: the part the
    /// user forced (`--bump major|minor|patch`), else the fragments decide.
    pub fn next_version(&self, manifest_version: &Version, bump: Option<Bump>) -> Version {
        let forced = bump;
        let bump = bump.unwrap_or_else(|| bump_for(self.fragments.iter().map(|f| &f.entry.kind.value)));
        let manifest = Version::new(manifest_version.major, manifest_version.minor, manifest_version.patch);
        match (self.newest(), forced) {
            (Some((_, v)), _) => next_version(v, bump),
            // No release yet, and a bump asked for: the manifest's version is the one out there
            // (a published pack adopting the changelog), so the bump applies to it.
            (None, Some(b)) => next_version(&manifest, b),
            // No release yet: the first release is the manifest version.
            (None, None) => manifest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_versions() {
        let v = Version::new(4, 3, 1);
        assert_eq!(next_version(&v, Bump::Minor), Version::new(4, 4, 0));
        assert_eq!(next_version(&v, Bump::Major), Version::new(5, 0, 0));
        assert_eq!(next_version(&v, Bump::Patch), Version::new(4, 3, 2));
        let z = Version::new(0, 3, 1);
        assert_eq!(next_version(&z, Bump::Major), Version::new(0, 4, 0));
        assert_eq!(next_version(&z, Bump::Minor), Version::new(0, 3, 2));
        assert_eq!(bump_for(&[ChangeKind::Bugfix, ChangeKind::Feature]), Bump::Minor);
        assert_eq!(bump_for(&[ChangeKind::Removal, ChangeKind::Feature]), Bump::Major);
        assert_eq!(bump_for(&[]), Bump::Patch);
    }

    #[test]
    fn a_forced_bump_applies_to_the_manifest_version_when_nothing_was_released_yet() {
        // A published pack (0.0.3) adopting the changelog: `release --bump patch` must not
        // release 0.0.3 a second time; `release` alone keeps the documented first release.
        let cl = Changelog {
            dir: PathBuf::new(),
            title: None,
            labels: BTreeMap::new(),
            headings: BTreeMap::new(),
            releases: Vec::new(),
            fragments: Vec::new(),
        };
        let m = Version::new(0, 0, 3);
        assert_eq!(cl.next_version(&m, Some(Bump::Patch)), Version::new(0, 0, 4));
        assert_eq!(
            cl.next_version(&m, Some(Bump::Minor)),
            Version::new(0, 0, 4),
            "0.x: minor → patch"
        );
        assert_eq!(
            cl.next_version(&Version::new(1, 2, 3), Some(Bump::Minor)),
            Version::new(1, 3, 0)
        );
        assert_eq!(cl.next_version(&m, None), m);
    }

    #[test]
    fn bump_texts_match_the_real_notes() {
        let s = crate::source::Span::file_start(FileId(0));
        let b = VersionBump::Dependency {
            name: Spanned::new("common".into(), s),
            from: Some(Spanned::new(Version::new(2, 3, 1), s)),
            to: Spanned::new(Version::new(2, 5, 0), s),
        };
        assert_eq!(b.text(), "Common bumped from 2.3.1 to 2.5.0");
        let m = VersionBump::StackStateMin {
            from: None,
            to: Spanned::new(Version::new(4, 3, 0), s),
        };
        assert_eq!(m.text(), "StackState min version bumped to 4.3.0");
    }
}
