//! What the changelog needs to know about a pack, whatever its format.
//!
//! The changelog commands (`lint`'s changelog checks, `release-notes`, `changelog add`,
//! `release`, the archive's `RELEASE.md`) work on any pack that implements [`PackSeam`]: the
//! classic-free 1.x format ([`crate::model::Pack`], implemented here) and the 2.0 format
//! (`stackpack.yaml`). Only the facts below cross the seam; the 1.x-only ones (dependency
//! versions, the minimum StackState version, used by the SP6xx "unannounced bump" checks and
//! recorded in each release) have empty defaults.
//!
//! The public shape of this file is a contract between formats: add methods with defaults,
//! never change the existing ones.

use crate::source::{SourceMap, Spanned};
use semver::Version;
use std::path::Path;

/// The changelog directory a manifest names.
#[derive(Debug, Clone)]
pub struct ChangelogDir {
    /// Relative to the pack root (`changelog`, `../changelog`), with the span of the manifest
    /// value (or of the whole manifest when it is the default).
    pub path: Spanned<String>,
    /// Whether the manifest names the directory (a missing default directory is not an error).
    pub explicit: bool,
}

/// A dependency pinned by the manifest (1.x only).
#[derive(Debug, Clone)]
pub struct DependencyFact {
    pub name: Spanned<String>,
    pub version: Spanned<Version>,
}

/// The facts about a pack the changelog reads, and the one edit it makes (the version).
pub trait PackSeam {
    /// The pack directory as the user gave it (used in messages and to join paths).
    fn root(&self) -> &Path;
    /// The pack directory with links resolved (containment checks of changelog files).
    fn canonical_root(&self) -> &Path;
    /// The manifest file name in [`PackSeam::root`]: `stackpack.toml`, `stackpack.yaml`.
    fn manifest_file(&self) -> &str;
    /// The display name (title of the release notes when the changelog has none).
    fn display_name(&self) -> &str;
    /// The manifest version, with its span.
    fn version(&self) -> Spanned<Version>;
    /// Where the changelog lives.
    fn changelog_dir(&self) -> ChangelogDir;
    /// `manifest_text` (the current content of the manifest file) with the version set to
    /// `version`, everything else (comments, layout) unchanged; `Err` says why it cannot be
    /// edited.
    fn with_version(&self, manifest_text: &str, version: &Version) -> Result<String, String>;
    /// The source map the changelog's files are registered in (so findings are located).
    fn sources_mut(&mut self) -> &mut SourceMap;

    /// The minimum StackState version (1.x only).
    fn min_stackstate(&self) -> Option<Spanned<Version>> {
        None
    }
    /// The pinned dependencies, in manifest order (1.x only).
    fn dependencies(&self) -> Vec<DependencyFact> {
        Vec::new()
    }
    /// One pinned dependency by name (1.x only).
    fn dependency(&self, name: &str) -> Option<DependencyFact> {
        self.dependencies().into_iter().find(|d| d.name.value == name)
    }
}

impl PackSeam for crate::model::Pack {
    fn root(&self) -> &Path {
        &self.root
    }
    fn canonical_root(&self) -> &Path {
        &self.canonical_root
    }
    fn manifest_file(&self) -> &str {
        crate::load::MANIFEST
    }
    fn display_name(&self) -> &str {
        &self.manifest.display_name.value
    }
    fn version(&self) -> Spanned<Version> {
        self.manifest.version.clone()
    }
    fn changelog_dir(&self) -> ChangelogDir {
        ChangelogDir {
            path: self.manifest.changelog.clone(),
            explicit: self.manifest.changelog.span != self.manifest.span,
        }
    }
    fn with_version(&self, manifest_text: &str, version: &Version) -> Result<String, String> {
        super::write::set_manifest_version(manifest_text, version)
    }
    fn sources_mut(&mut self) -> &mut SourceMap {
        &mut self.sources
    }
    fn min_stackstate(&self) -> Option<Spanned<Version>> {
        self.manifest.min_stackstate.clone()
    }
    fn dependencies(&self) -> Vec<DependencyFact> {
        self.manifest
            .dependencies
            .iter()
            .map(|d| DependencyFact {
                name: d.name.clone(),
                version: d.version.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changelog::write::{add_fragment, release, NewEntry, ReleaseOptions};
    use crate::changelog::ChangeKind;
    use crate::source::Span;
    use std::path::PathBuf;

    /// A pack in another format: a YAML manifest, no dependencies, no StackState minimum.
    struct YamlPack {
        root: PathBuf,
        sources: SourceMap,
        version: Version,
    }

    impl PackSeam for YamlPack {
        fn root(&self) -> &Path {
            &self.root
        }
        fn canonical_root(&self) -> &Path {
            &self.root
        }
        fn manifest_file(&self) -> &str {
            "stackpack.yaml"
        }
        fn display_name(&self) -> &str {
            "YAML pack"
        }
        fn version(&self) -> Spanned<Version> {
            let id = crate::source::FileId(0);
            Spanned::new(self.version.clone(), Span::new(id, 0, 0))
        }
        fn changelog_dir(&self) -> ChangelogDir {
            let id = crate::source::FileId(0);
            ChangelogDir {
                path: Spanned::new("changelog".to_string(), Span::new(id, 0, 0)),
                explicit: false,
            }
        }
        fn with_version(&self, text: &str, version: &Version) -> Result<String, String> {
            let old = format!("version: {}", self.version);
            if !text.contains(&old) {
                return Err("no version line".into());
            }
            Ok(text.replacen(&old, &format!("version: {version}"), 1))
        }
        fn sources_mut(&mut self) -> &mut SourceMap {
            &mut self.sources
        }
    }

    #[test]
    fn a_pack_of_another_format_releases_through_the_seam() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path().to_path_buf();
        let manifest = "# edited by release\nname: y\nversion: 1.2.0 # keep\n";
        std::fs::write(root.join("stackpack.yaml"), manifest).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(root.join("changelog/releases")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            root.join("changelog/releases/1.2.0.yaml"),
            "version: 1.2.0\ndate: 2024-01-02\nentries:\n  - kind: feature\n    text: First\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let entry = NewEntry {
            kind: ChangeKind::Bugfix,
            text: Some("Fix the thing".into()),
            items: vec![],
            bump: None,
        };
        assert!(add_fragment(&root.join("changelog"), &entry).is_ok());
        let mut pack = YamlPack {
            root: root.clone(),
            sources: SourceMap::new(),
            version: Version::new(1, 2, 0),
        };
        pack.sources.add("stackpack.yaml", None, manifest);
        let (cl, diags) = crate::changelog::load_and_check(&mut pack);
        assert!(!diags.has_errors(), "{diags:?}");
        let Some(cl) = cl else { panic!("no changelog") };
        let notes = crate::changelog::render::notes(&pack, &cl, &Default::default());
        assert_eq!(notes.title, "YAML pack");
        let r = release(&pack, &cl, &ReleaseOptions::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.version, Version::new(1, 2, 1));
        let text = std::fs::read_to_string(root.join("stackpack.yaml")).unwrap_or_default();
        assert_eq!(text, manifest.replace("1.2.0", "1.2.1"));
        let rel = std::fs::read_to_string(root.join("changelog/releases/1.2.1.yaml")).unwrap_or_default();
        assert!(rel.contains("Fix the thing"), "{rel}");
        assert!(
            !rel.contains("dependencies:") || rel.contains("dependencies: {}"),
            "{rel}"
        );
    }
}
