//! Paths written in sources: relative, `/`-separated, and inside the pack.

use std::path::{Component, Path};

/// Why a path from a source file is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    Absolute,
    ParentDir,
    Backslash,
    /// Resolves (through a symlink) to a place outside the pack.
    SymlinkEscape,
}

impl PathProblem {
    pub fn message(&self) -> &'static str {
        match self {
            PathProblem::Empty => "the path is empty",
            PathProblem::Absolute => "absolute paths are not allowed; write the path relative to the pack directory",
            PathProblem::ParentDir => "`..` is not allowed: paths must stay inside the pack directory",
            PathProblem::Backslash => "use `/` to separate path segments, not `\\`",
            PathProblem::SymlinkEscape => "the path leads through a symlink to a file outside the pack",
        }
    }
}

/// Check the text of a relative path and normalise it (drop `./` segments).
pub fn normalize(raw: &str) -> Result<String, PathProblem> {
    if raw.trim().is_empty() {
        return Err(PathProblem::Empty);
    }
    if raw.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    let bytes = raw.as_bytes();
    if raw.starts_with('/') || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic()) {
        return Err(PathProblem::Absolute);
    }
    let mut parts = Vec::new();
    for c in Path::new(raw).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().to_string()),
            Component::CurDir => {}
            Component::ParentDir => return Err(PathProblem::ParentDir),
            Component::RootDir | Component::Prefix(_) => return Err(PathProblem::Absolute),
        }
    }
    if parts.is_empty() {
        return Err(PathProblem::Empty);
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_inside() {
        assert_eq!(normalize("./scripts/a.groovy"), Ok("scripts/a.groovy".to_string()));
        assert_eq!(normalize("scripts/../../etc/passwd"), Err(PathProblem::ParentDir));
        assert_eq!(normalize("/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(normalize("C:/x"), Err(PathProblem::Absolute));
        assert_eq!(normalize("a\\b"), Err(PathProblem::Backslash));
        assert_eq!(normalize(" "), Err(PathProblem::Empty));
        assert_eq!(normalize("."), Err(PathProblem::Empty));
    }
}
