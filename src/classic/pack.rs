//! A classic pack's files, from a source tree (the directory holding `stackpack.conf`) or from a
//! `.sts` archive read safely with [`crate::archive::read`].

use crate::archive::read::{entry_display, read_archive, Limits};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::rules as load_rules;
use crate::source::{FileId, SourceMap};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the pack came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Dir(PathBuf),
    Archive(PathBuf),
}

/// Every file of a classic pack in memory, by `/`-separated path relative to the pack root.
#[derive(Debug)]
pub struct Files {
    pub origin: Origin,
    pub files: BTreeMap<String, Vec<u8>>,
    pub sources: SourceMap,
    texts: BTreeMap<String, Option<FileId>>,
}

/// Is `path` a classic pack: a `.sts`/`.zip` file, or a directory with `stackpack.conf` and no
/// `stackpack.toml`?
pub fn is_classic(path: &Path) -> bool {
    if path.is_file() {
        return path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("sts") || e.eq_ignore_ascii_case("zip"));
    }
    path.is_dir() && path.join("stackpack.conf").is_file() && !path.join(crate::load::MANIFEST).exists()
}

/// Failures that stop a command before the pack is examined (exit code 2).
#[derive(Debug)]
pub enum OpenError {
    Io(PathBuf, std::io::Error),
    NotAPack(PathBuf),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(p, e) => write!(f, "cannot read `{}`: {e}", p.display()),
            OpenError::NotAPack(p) => write!(
                f,
                "`{}` is neither a `.sts` archive nor a classic pack directory (holding `stackpack.conf`)",
                p.display()
            ),
        }
    }
}

impl Files {
    /// Open a directory or an archive. `Ok(None)`: the archive was refused (diagnostics say why).
    pub fn open(path: &Path, diags: &mut Diagnostics) -> Result<Option<Files>, OpenError> {
        let meta = std::fs::metadata(path).map_err(|e| OpenError::Io(path.to_path_buf(), e))?;
        if meta.is_file() {
            let entries =
                read_archive(path, &Limits::from_env(), diags).map_err(|e| OpenError::Io(path.to_path_buf(), e))?;
            let Some(entries) = entries else { return Ok(None) };
            let files = entries.into_iter().map(|e| (e.path, e.bytes)).collect();
            return Ok(Some(Files::new(Origin::Archive(path.to_path_buf()), files)));
        }
        if !meta.is_dir() {
            return Err(OpenError::NotAPack(path.to_path_buf()));
        }
        let canonical = path.canonicalize().map_err(|e| OpenError::Io(path.to_path_buf(), e))?;
        let found = crate::load::discover(path, &canonical, diags).map_err(|e| match e {
            crate::load::LoadError::Io { path, error } => OpenError::Io(path, error),
            other => OpenError::Io(path.to_path_buf(), std::io::Error::other(other.to_string())),
        })?;
        let mut files = BTreeMap::new();
        for (rel, file) in found.into_iter().filter(|(_, f)| !f.escapes) {
            // Read straight into the vector the pack keeps (not into the loader's cache and
            // then copied: 6 MB more of fresh memory for a 10 000-node tree).
            match file.bytes_uncached() {
                Ok(bytes) => {
                    files.insert(rel, bytes);
                }
                Err(e) => diags.push(Diagnostic::at_path(
                    &load_rules::IO_ERROR,
                    file.path.to_string_lossy().to_string(),
                    format!("cannot read `{rel}`: {e}"),
                )),
            }
        }
        Ok(Some(Files::new(Origin::Dir(path.to_path_buf()), files)))
    }

    pub fn new(origin: Origin, files: BTreeMap<String, Vec<u8>>) -> Files {
        Files {
            origin,
            files,
            sources: SourceMap::new(),
            texts: BTreeMap::new(),
        }
    }

    /// How the pack itself is named in messages.
    pub fn display_root(&self) -> String {
        match &self.origin {
            Origin::Dir(p) | Origin::Archive(p) => p.to_string_lossy().to_string(),
        }
    }

    /// How a file of the pack is named in messages.
    pub fn display(&self, rel: &str) -> String {
        match &self.origin {
            Origin::Dir(p) => crate::load::display_path(p, rel),
            Origin::Archive(p) => entry_display(&p.to_string_lossy(), rel),
        }
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    pub fn bytes(&self, rel: &str) -> Option<&[u8]> {
        self.files.get(rel).map(Vec::as_slice)
    }

    /// The text of a file, loaded once into the source map. Non-UTF-8 text is reported once.
    pub fn text(&mut self, rel: &str, diags: &mut Diagnostics) -> Option<FileId> {
        if let Some(id) = self.texts.get(rel) {
            return *id;
        }
        let bytes = self.files.get(rel)?;
        let id = match std::str::from_utf8(bytes) {
            Ok(t) => {
                let display = self.display(rel);
                let path = match &self.origin {
                    Origin::Dir(p) => Some(p.join(rel)),
                    Origin::Archive(_) => None,
                };
                Some(self.sources.add(display, path.as_deref(), t))
            }
            Err(_) => {
                diags.push(
                    Diagnostic::at_path(
                        &load_rules::IO_ERROR,
                        self.display(rel),
                        format!("`{rel}` is not valid UTF-8 text"),
                    )
                    .help("save the file as UTF-8"),
                );
                None
            }
        };
        self.texts.insert(rel.to_string(), id);
        id
    }

    pub fn source_text(&self, id: FileId) -> &str {
        self.sources.get(id).map(|f| &*f.text).unwrap_or("")
    }

    /// [`Files::source_text`], shared: for a caller that goes on to borrow `self` mutably.
    pub fn source_text_shared(&self, id: FileId) -> std::sync::Arc<str> {
        self.sources
            .get(id)
            .map(|f| f.text.clone())
            .unwrap_or_else(|| "".into())
    }

    /// Paths under `prefix` (e.g. `provisioning/`).
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.files.keys().filter(move |k| k.starts_with(prefix))
    }
}

/// Find the first `needle` in a file, for locating findings in text that was not parsed.
pub fn find_span(files: &Files, id: FileId, needle: &str) -> crate::source::Span {
    let text = files.source_text(id);
    match text.find(needle) {
        Some(i) => crate::source::Span::new(id, i, i + needle.len()),
        None => crate::source::Span::file_start(id),
    }
}
