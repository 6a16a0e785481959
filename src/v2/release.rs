//! `release` for 2.0 packs: the new version is written into `stackpack.yaml` in place
//! ([`super::edit`]), atomically (temporary file renamed over the original).

use super::edit;
use super::load::MANIFEST;
use crate::diff::Bump;
use semver::Version;
use std::path::Path;

/// Set the version of the pack in `dir` to `bump.next(current)`; returns (old, new).
pub fn bump_version(dir: &Path, bump: Bump) -> Result<(Version, Version), String> {
    let path = dir.join(MANIFEST);
    let (old, new, out) = planned(&path, bump)?;
    write_atomic(&path, out.as_bytes())?;
    Ok((old, new))
}

/// What [`bump_version`] would do (old, new), checked (the file can be edited), writing nothing.
pub fn next_version(dir: &Path, bump: Bump) -> Result<(Version, Version), String> {
    let (old, new, _) = planned(&dir.join(MANIFEST), bump)?;
    Ok((old, new))
}

/// (old version, new version, new text of `stackpack.yaml`).
fn planned(path: &Path, bump: Bump) -> Result<(Version, Version, String), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let current = edit::version_of(&text).ok_or("stackpack.yaml has no top-level `version`")?;
    let old = Version::parse(&current).map_err(|e| format!("the version `{current}` is not semantic: {e}"))?;
    let new = bump.next(&old);
    let out = edit::set_version(&text, &new).map_err(|e| e.to_string())?;
    Ok((old, new, out))
}

/// Write `bytes` to `path` through a temporary file in the same directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    tmp.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = tmp.as_file().set_permissions(meta.permissions());
    }
    tmp.persist(path)
        .map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    Ok(())
}
