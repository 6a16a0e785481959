//! Stage 1, **load**: files on disk → spanned syntax trees.
//!
//! Finds the pack's files, reads the manifest and node files once into the [`SourceMap`], and
//! parses them into [`tree::Value`]s that keep every value's span. Paths named by sources are
//! checked here to stay inside the pack (no absolute paths, no `..`, no symlink escapes).

pub mod paths;
pub mod rules;
pub mod toml;
pub mod tree;
pub mod yaml;

use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Name of the manifest file at the root of a declarative pack.
pub const MANIFEST: &str = "stackpack.toml";
/// Directory (inside the pack) whose `*.yaml`/`*.yml` files hold the nodes.
pub const NODES_DIR: &str = "nodes";

/// A file found in the pack directory.
#[derive(Debug, Clone)]
pub struct PackFile {
    /// Path on disk.
    pub path: PathBuf,
    pub size: u64,
    /// The file is a symlink whose target lies outside the pack.
    pub escapes: bool,
    /// The file's bytes, read on first use and shared by every later stage (checks that search
    /// pages and the compiler that copies them read the disk once).
    content: std::sync::OnceLock<Result<std::sync::Arc<[u8]>, std::io::ErrorKind>>,
}

impl PackFile {
    pub fn new(path: PathBuf, size: u64, escapes: bool) -> PackFile {
        PackFile {
            path,
            size,
            escapes,
            content: std::sync::OnceLock::new(),
        }
    }

    /// The file's bytes (read once). A symlink that leaves the pack is never read.
    pub fn bytes(&self) -> std::io::Result<std::sync::Arc<[u8]>> {
        if self.escapes {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the file lies outside the pack",
            ));
        }
        self.content
            .get_or_init(|| {
                std::fs::read(&self.path)
                    .map(std::sync::Arc::from)
                    .map_err(|e| e.kind())
            })
            .clone()
            .map_err(std::io::Error::from)
    }
}

/// Everything the load stage produces.
#[derive(Debug)]
pub struct Loaded {
    /// The pack directory as given by the user.
    pub root: PathBuf,
    /// Its canonical form (used for containment checks).
    pub canonical_root: PathBuf,
    pub sources: SourceMap,
    /// The manifest tree, when it parsed.
    pub manifest: Option<(FileId, tree::Value)>,
    /// Every node file with its YAML documents, in path order.
    pub node_files: Vec<(FileId, Vec<tree::Value>)>,
    /// All regular files of the pack by `/`-separated relative path, sorted.
    pub files: BTreeMap<String, PackFile>,
}

/// Load the declarative pack in `root`. I/O problems are returned as `Err` (exit code 2);
/// problems in the pack's content become diagnostics.
pub fn load(root: &Path, diags: &mut Diagnostics) -> Result<Loaded, LoadError> {
    let meta = std::fs::metadata(root).map_err(|e| LoadError::io(root, e))?;
    if !meta.is_dir() {
        return Err(LoadError::NotADirectory(root.to_path_buf()));
    }
    let canonical_root = root.canonicalize().map_err(|e| LoadError::io(root, e))?;
    let mut files = BTreeMap::new();
    walk(root, &canonical_root, "", &mut files, diags, 0)?;

    let mut sources = SourceMap::new();
    let manifest_path = root.join(MANIFEST);
    if !manifest_path.is_file() {
        return Err(LoadError::NoManifest(root.to_path_buf()));
    }
    let manifest = read_text(&mut sources, root, MANIFEST, diags).and_then(|id| {
        let file = sources.file(id);
        toml::parse(id, file, diags).map(|v| (id, v))
    });

    let mut node_files = Vec::new();
    let prefix = format!("{NODES_DIR}/");
    let node_paths: Vec<String> = files
        .keys()
        .filter(|p| p.starts_with(&prefix) && (p.ends_with(".yaml") || p.ends_with(".yml")))
        .cloned()
        .collect();
    for rel in node_paths {
        if files.get(&rel).is_some_and(|f| f.escapes) {
            continue; // reported by `walk`
        }
        if let Some(id) = read_text(&mut sources, root, &rel, diags) {
            if let Some(docs) = yaml::parse(id, sources.file(id), diags) {
                node_files.push((id, docs));
            }
        }
    }
    Ok(Loaded {
        root: root.to_path_buf(),
        canonical_root,
        sources,
        manifest,
        node_files,
        files,
    })
}

/// Read a text file of the pack into `sources`. Unreadable or non-UTF-8 files are reported.
pub fn read_text(sources: &mut SourceMap, root: &Path, rel: &str, diags: &mut Diagnostics) -> Option<FileId> {
    text_into_sources(sources, root, rel, std::fs::read(root.join(rel)), diags)
}

/// Like [`read_text`], through the file's read-once cache (the compiler copies the same bytes).
pub fn read_pack_text(
    sources: &mut SourceMap,
    root: &Path,
    rel: &str,
    file: &PackFile,
    diags: &mut Diagnostics,
) -> Option<FileId> {
    text_into_sources(sources, root, rel, file.bytes().map(|b| b.to_vec()), diags)
}

fn text_into_sources(
    sources: &mut SourceMap,
    root: &Path,
    rel: &str,
    read: std::io::Result<Vec<u8>>,
    diags: &mut Diagnostics,
) -> Option<FileId> {
    let path = root.join(rel);
    let display = display_path(root, rel);
    match read {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(sources.add(display, Some(&path), text)),
            Err(_) => {
                diags.push(
                    Diagnostic::at_path(&rules::IO_ERROR, display, format!("`{rel}` is not valid UTF-8 text"))
                        .help("save the file as UTF-8"),
                );
                None
            }
        },
        Err(e) => {
            diags.push(Diagnostic::at_path(
                &rules::IO_ERROR,
                display,
                format!("cannot read `{rel}`: {e}"),
            ));
            None
        }
    }
}

/// How a pack file is shown in messages: the pack directory as the user gave it, joined with
/// the relative path.
pub fn display_path(root: &Path, rel: &str) -> String {
    let root = root.to_string_lossy();
    let root = root.trim_end_matches('/');
    if root.is_empty() || root == "." {
        rel.to_string()
    } else {
        format!("{root}/{rel}")
    }
}

const MAX_DEPTH: usize = 64;

fn walk(
    dir: &Path,
    canonical_root: &Path,
    rel: &str,
    out: &mut BTreeMap<String, PackFile>,
    diags: &mut Diagnostics,
    depth: usize,
) -> Result<(), LoadError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| LoadError::io(dir, e))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            diags.push(Diagnostic::at_path(
                &rules::IO_ERROR,
                entry.path().to_string_lossy().to_string(),
                "file name is not valid UTF-8; rename it",
            ));
            continue;
        };
        // Hidden files and directories (.git, .DS_Store, editor swap files) are not pack content.
        if name.starts_with('.') {
            continue;
        }
        let child_rel = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_symlink() {
            let escapes = match path.canonicalize() {
                Ok(target) => !target.starts_with(canonical_root),
                Err(_) => true,
            };
            if escapes {
                diags.push(
                    Diagnostic::at_path(
                        &rules::PATH_ESCAPES,
                        path.to_string_lossy().to_string(),
                        format!("`{child_rel}` is a symlink that points outside the pack"),
                    )
                    .help("copy the file into the pack instead of linking to it"),
                );
                out.insert(child_rel, PackFile::new(path, 0, true));
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                walk(&path, canonical_root, &child_rel, out, diags, depth + 1)?;
            } else if meta.is_file() {
                out.insert(child_rel, PackFile::new(path, meta.len(), false));
            }
        } else if ft.is_dir() {
            walk(&path, canonical_root, &child_rel, out, diags, depth + 1)?;
        } else if ft.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            out.insert(child_rel, PackFile::new(path, size, false));
        }
    }
    Ok(())
}

/// Failures that stop the command before any pack content is examined (exit code 2).
#[derive(Debug)]
pub enum LoadError {
    Io { path: PathBuf, error: std::io::Error },
    NotADirectory(PathBuf),
    NoManifest(PathBuf),
}

impl LoadError {
    pub fn io(path: &Path, error: std::io::Error) -> LoadError {
        LoadError::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, error } => write!(f, "cannot read `{}`: {error}", path.display()),
            LoadError::NotADirectory(p) => write!(f, "`{}` is not a directory", p.display()),
            LoadError::NoManifest(p) => write!(
                f,
                "`{}` has no `{MANIFEST}`; point at a pack directory (run `stackpack new` to create one)",
                p.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {}
