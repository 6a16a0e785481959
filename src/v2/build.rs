//! `build` for 2.0 packs: a reproducible `<name>-<version>.sts` holding exactly what
//! `sts stackpack package` ships (`stackpack.yaml`, `README.md`, `settings/`, `resources/`,
//! `icons/`, `includes/`), written by the shared deterministic writer ([`crate::archive::write`]:
//! sorted entries, one fixed time from `SOURCE_DATE_EPOCH`, fixed modes, pinned deflate level,
//! temporary file renamed into place).
//!
//! Junk and symlinks are lint errors (SP2901, SP2902) and the loader never reads files outside
//! the allow-list, so an archive can only hold the shipped set.

use super::load::{Pack, FOLDERS, MANIFEST};
use crate::compile::Entry;
use std::path::{Path, PathBuf};

/// The archive entries of a pack: the allow-listed files, by path.
pub fn entries(pack: &Pack) -> Vec<Entry> {
    pack.files
        .iter()
        .filter(|(p, _)| {
            *p == MANIFEST
                || *p == "README.md"
                || FOLDERS
                    .iter()
                    .any(|f| p.strip_prefix(f).is_some_and(|r| r.starts_with('/')))
        })
        .map(|(p, b)| Entry {
            path: p.clone(),
            data: b.clone().into(),
        })
        .collect()
}

/// `<name>-<version>.sts`, or why it cannot be named.
pub fn file_name(pack: &Pack) -> Result<String, String> {
    match (pack.name(), pack.version()) {
        (Some(n), Some(v))
            if !n.is_empty() && !v.is_empty() && !n.contains(['/', '\\']) && !v.contains(['/', '\\']) =>
        {
            Ok(format!("{n}-{v}.sts"))
        }
        _ => Err("stackpack.yaml needs a `name` and a `version` to name the archive".to_string()),
    }
}

/// Write the archive into `out_dir`, named `file` (`--out FILE.sts`) or [`file_name`];
/// returns its path.
pub fn write(pack: &Pack, out_dir: &Path, file: Option<&str>, epoch: i64) -> Result<PathBuf, String> {
    let name = match file {
        Some(f) => f.to_string(),
        None => file_name(pack)?,
    };
    crate::archive::write::write_sts(out_dir, &name, &entries(pack), epoch).map_err(|e| e.to_string())
}
