//! The changelog of a 2.0 pack, through the changelog's typed seam
//! ([`crate::changelog::seam::PackSeam`]): the same `changelog/` directory format as the 1.x
//! packs, beside `stackpack.yaml` (a top-level entry `build` does not ship). `release` edits the
//! version of `stackpack.yaml` in place ([`super::edit`]), keeping comments and formatting.

use super::load::{Origin, Pack, MANIFEST};
use crate::changelog::seam::{ChangelogDir, PackSeam};
use crate::changelog::Changelog;
use crate::diag::Diagnostics;
use crate::source::{SourceMap, Span, Spanned};
use semver::Version;
use std::path::{Path, PathBuf};

/// The changelog directory of a 2.0 pack (`stackpack.yaml` has no key for it: the server reads
/// that file, so the directory is fixed).
pub const DIR: &str = "changelog";

/// A 2.0 pack seen through the changelog seam.
pub struct Seam<'a> {
    pack: &'a mut Pack,
    root: PathBuf,
    canonical: PathBuf,
    display_name: String,
    version: Spanned<Version>,
    manifest_span: Span,
}

impl<'a> Seam<'a> {
    /// `None` for archives (they carry no changelog).
    pub fn new(pack: &'a mut Pack) -> Option<Seam<'a>> {
        let Origin::Dir(root) = &pack.origin else { return None };
        let root = root.clone();
        let canonical = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        let (file, m) = pack.manifest.as_ref()?;
        let manifest_span = Span::file_start(*file);
        let display_name = m
            .str_at("displayName")
            .or_else(|| m.str_at("name"))
            .unwrap_or("")
            .to_string();
        let version = match m.get("version") {
            Some(v) => Spanned::new(
                v.as_str()
                    .and_then(|s| Version::parse(s).ok())
                    .unwrap_or(Version::new(0, 0, 0)),
                v.span,
            ),
            None => Spanned::new(Version::new(0, 0, 0), manifest_span),
        };
        Some(Seam {
            pack,
            root,
            canonical,
            display_name,
            version,
            manifest_span,
        })
    }
}

impl PackSeam for Seam<'_> {
    fn root(&self) -> &Path {
        &self.root
    }
    fn canonical_root(&self) -> &Path {
        &self.canonical
    }
    fn manifest_file(&self) -> &str {
        MANIFEST
    }
    fn display_name(&self) -> &str {
        &self.display_name
    }
    fn version(&self) -> Spanned<Version> {
        self.version.clone()
    }
    fn changelog_dir(&self) -> ChangelogDir {
        ChangelogDir {
            path: Spanned::new(DIR.to_string(), self.manifest_span),
            explicit: false,
        }
    }
    fn with_version(&self, manifest_text: &str, version: &Version) -> Result<String, String> {
        super::edit::set_version(manifest_text, version).map_err(|e| e.to_string())
    }
    fn sources_mut(&mut self) -> &mut SourceMap {
        &mut self.pack.sources
    }
}

/// Load and check the changelog of a 2.0 pack directory (nothing when it has none).
pub fn load_and_check(pack: &mut Pack) -> (Option<Changelog>, Diagnostics) {
    let has_dir = matches!(&pack.origin, Origin::Dir(root) if root.join(DIR).is_dir());
    if !has_dir {
        return (None, Diagnostics::new());
    }
    match Seam::new(pack) {
        Some(mut seam) => crate::changelog::load_and_check(&mut seam),
        None => (None, Diagnostics::new()),
    }
}
