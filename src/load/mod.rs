//! Stage 1, **load**: files on disk → spanned syntax trees.
//!
//! Finds the pack's files, reads the manifest and node files once into the [`SourceMap`], and
//! parses them into [`tree::Value`]s that keep every value's span. Paths named by sources are
//! checked here to stay inside the pack (no absolute paths, no `..`, no symlink escapes).

pub mod paths;
pub mod rules;
pub mod safe;
pub mod toml;
pub mod tree;
pub mod yaml;

use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};
use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use safe::Budget;

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
    /// Not a regular file (a FIFO, a device, a socket): what it is. Never opened.
    pub special: Option<&'static str>,
    /// The pack's canonical root and the run's budget, which every read goes through.
    guard: Option<(Arc<Path>, Arc<Budget>)>,
    /// The file's bytes, read on first use and shared by every later stage (checks that search
    /// pages and the compiler that copies them read the disk once).
    content: std::sync::OnceLock<Result<Arc<[u8]>, safe::Refusal>>,
}

impl PackFile {
    pub fn new(path: PathBuf, size: u64, escapes: bool) -> PackFile {
        PackFile {
            path,
            size,
            escapes,
            special: None,
            guard: None,
            content: std::sync::OnceLock::new(),
        }
    }

    fn guarded(mut self, root: &Arc<Path>, budget: &Arc<Budget>) -> PackFile {
        self.guard = Some((root.clone(), budget.clone()));
        self
    }

    /// The file's bytes (read once, through [`safe::read_in`]). A symlink that leaves the pack
    /// or a special file is never opened.
    pub fn bytes(&self) -> std::io::Result<std::sync::Arc<[u8]>> {
        self.read().map_err(std::io::Error::from)
    }

    /// Like [`PackFile::bytes`], with the reason of a refusal.
    pub fn read(&self) -> Result<std::sync::Arc<[u8]>, safe::Refusal> {
        self.openable()?;
        self.content.get_or_init(|| self.read_disk().map(Arc::from)).clone()
    }

    /// Refuse, without opening it, a symlink that leaves the pack or a special file.
    fn openable(&self) -> Result<(), safe::Refusal> {
        if self.escapes {
            return Err(safe::Refusal::Escapes);
        }
        match self.special {
            Some(what) => Err(safe::Refusal::NotRegular(what)),
            None => Ok(()),
        }
    }

    /// The directory every read must stay in: the pack's canonical root, or for a file made
    /// without a pack, its own directory.
    fn containing_root(&self) -> Arc<Path> {
        match &self.guard {
            Some((root, _)) => root.clone(),
            None => Arc::from(
                self.path
                    .parent()
                    .and_then(|p| p.canonicalize().ok())
                    .unwrap_or_default(),
            ),
        }
    }
}

impl PackFile {
    /// The file's bytes as an owned copy, without caching them: the cached bytes when an earlier
    /// stage read the file, else read from disk now (through the same checks) and not kept.
    /// The compiler copies resources into the archive this way, so a large resource that no
    /// check reads (a blob, an image) is held once while building, not twice.
    pub fn bytes_uncached(&self) -> std::io::Result<Vec<u8>> {
        if let Some(cached) = self.content.get() {
            return cached.as_ref().map(|b| b.to_vec()).map_err(|r| r.clone().into());
        }
        self.openable()?;
        self.read_disk().map_err(std::io::Error::from)
    }

    /// For a reader that reads the file piece by piece instead of whole (the archive writer, for
    /// large resources): opens it through the same checks as [`PackFile::read`] and charges the
    /// run's budget for its size, once. Returns its size, its device and inode, and a function
    /// that opens it again through the same checks, refusing a file that was replaced since
    /// (another inode, or no longer a regular file inside the pack).
    pub fn streamed(&self) -> Result<Streamed, safe::Refusal> {
        self.openable()?;
        let root = self.containing_root();
        let first = safe::open_in(&root, &self.path)?;
        if let Some((_, budget)) = &self.guard {
            budget.take_bytes(first.size)?;
        }
        let (id, path) = (first.id, self.path.clone());
        let open = move || -> std::io::Result<std::fs::File> {
            let again = safe::open_in(&root, &path)?;
            if again.id != id {
                return Err(std::io::Error::other(format!(
                    "`{}` was replaced by another file while the pack was being built",
                    path.display()
                )));
            }
            Ok(again.file)
        };
        Ok(Streamed {
            len: first.size,
            id,
            open: Arc::new(open),
        })
    }

    /// Whether an earlier stage read the file (its bytes are held already).
    pub fn is_cached(&self) -> bool {
        self.content.get().is_some()
    }

    /// Read the file from disk through [`safe::read_in`]: inside the pack's root with the run's
    /// budget, or, for a file made without a pack, inside its own directory.
    fn read_disk(&self) -> Result<Vec<u8>, safe::Refusal> {
        match &self.guard {
            Some((root, budget)) => safe::read_in(root, &self.path, budget),
            None => safe::read_in(&self.containing_root(), &self.path, &Budget::default()),
        }
    }
}

/// A pack file to be read piece by piece ([`PackFile::streamed`]).
pub struct Streamed {
    pub len: u64,
    /// Device and inode.
    pub id: (u64, u64),
    /// Opens the file again, through the same checks.
    pub open: Arc<dyn Fn() -> std::io::Result<std::fs::File> + Send + Sync>,
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
    // The manifest first: `lint /` must not walk the whole file system to find out that `/` is
    // not a pack.
    let manifest_path = root.join(MANIFEST);
    if std::fs::symlink_metadata(&manifest_path).is_err() {
        return Err(LoadError::NoManifest(root.to_path_buf()));
    }
    let canonical_root = root.canonicalize().map_err(|e| LoadError::io(root, e))?;
    let budget = Arc::new(Budget::default());
    let files = discover_with(root, &canonical_root, &budget, diags)?;
    let missing_manifest = |diags: &mut Diagnostics| {
        // A symlink out of the pack is not in the walk's map as readable: say why.
        let shown = display_path(root, MANIFEST);
        let r = safe::read_in(&canonical_root, &manifest_path, &budget).err();
        push_refusal(diags, shown, MANIFEST, r.unwrap_or(safe::Refusal::Escapes));
    };
    Ok(parse_files(
        root,
        canonical_root.clone(),
        files,
        missing_manifest,
        diags,
    ))
}

/// Load a declarative pack held in memory (pack-relative `/`-separated path → bytes) exactly as
/// [`load`] would load the same files written under `root`, without touching the disk: `root`
/// only names the files in findings. `import` checks the sources it is about to write this way
/// instead of writing them twice (issue 15: creating thousands of files is most of its time).
pub fn load_from_memory(root: &Path, files: &BTreeMap<String, Vec<u8>>, diags: &mut Diagnostics) -> Loaded {
    let files: BTreeMap<String, PackFile> = files
        .iter()
        .map(|(rel, bytes)| {
            let f = PackFile {
                content: std::sync::OnceLock::from(Ok(Arc::from(bytes.as_slice()))),
                ..PackFile::new(root.join(rel), bytes.len() as u64, false)
            };
            (rel.clone(), f)
        })
        .collect();
    let missing_manifest = |diags: &mut Diagnostics| {
        push_refusal(
            diags,
            display_path(root, MANIFEST),
            MANIFEST,
            safe::Refusal::Io(std::io::ErrorKind::NotFound, "no such file".into()),
        )
    };
    parse_files(root, root.to_path_buf(), files, missing_manifest, diags)
}

/// The manifest and node files of a discovered pack, parsed.
fn parse_files(
    root: &Path,
    canonical_root: PathBuf,
    files: BTreeMap<String, PackFile>,
    missing_manifest: impl FnOnce(&mut Diagnostics),
    diags: &mut Diagnostics,
) -> Loaded {
    let mut sources = SourceMap::new();
    let manifest = match files.get(MANIFEST) {
        Some(f) if f.escapes || f.special.is_some() => None, // reported by the walk; never read
        Some(f) => read_pack_text(&mut sources, root, MANIFEST, f, diags),
        None => {
            missing_manifest(diags);
            None
        }
    }
    .and_then(|id| {
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
    let mut yaml_budget = yaml::RunBudget::default();
    for rel in node_paths {
        let Some(f) = files.get(&rel) else { continue };
        if f.escapes {
            continue; // reported by `walk`
        }
        if let Some(id) = read_pack_text(&mut sources, root, &rel, f, diags) {
            if let Some(docs) = yaml::parse_budgeted(id, sources.file(id), &mut yaml_budget, diags) {
                node_files.push((id, docs));
            }
        }
    }
    misplaced_sources(root, &files, diags);
    Loaded {
        root: root.to_path_buf(),
        canonical_root,
        sources,
        manifest,
        node_files,
        files,
    }
}

/// The top-level keys of node files (the same as `model::kind::NodeKind::key`; the load stage
/// comes before the model, so it keeps its own copy, checked equal by a test).
pub const NODE_KIND_KEYS: [&str; 15] = [
    "component-types",
    "relation-types",
    "layers",
    "domains",
    "environments",
    "id-extractors",
    "component-mapping-functions",
    "relation-mapping-functions",
    "component-templates",
    "relation-templates",
    "check-functions",
    "data-sources",
    "syncs",
    "views",
    "stj-nodes",
];

/// Node files that are never read because of where they are or how they are named (SP016,
/// SP017): their nodes would silently be missing from the archive.
fn misplaced_sources(root: &Path, files: &BTreeMap<String, PackFile>, diags: &mut Diagnostics) {
    let prefix = format!("{NODES_DIR}/");
    // A directory with its own manifest is another pack inside this one: its node files get one
    // finding together (at its manifest), not one each.
    let manifest_suffix = format!("/{MANIFEST}");
    let nested: std::collections::HashSet<&str> = files
        .keys()
        .filter_map(|k| k.strip_suffix(manifest_suffix.as_str()))
        .collect();
    // The outermost nested pack holding `rel`: ancestors by their `/`, at most the walk's depth
    // limit of them, so no quadratic pairing of files and nested packs.
    fn nested_root<'r>(nested: &std::collections::HashSet<&str>, rel: &'r str) -> Option<&'r str> {
        rel.match_indices('/')
            .map(|(i, _)| &rel[..i])
            .find(|d| nested.contains(d))
    }
    let mut in_nested: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (rel, f) in files {
        if f.escapes || f.special.is_some() {
            continue;
        }
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) => (s, e),
            None => (name, ""),
        };
        let yamlish = ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml");
        if rel.starts_with(&prefix) {
            if ext == "yaml" || ext == "yml" {
                continue;
            }
            if yamlish || ext.eq_ignore_ascii_case("json") {
                diags.push(
                    Diagnostic::at_path(
                        &rules::NODE_FILE_EXTENSION,
                        display_path(root, rel),
                        format!("`{rel}` is not read: node files end in `.yaml` or `.yml`, so its nodes are not in the pack"),
                    )
                    .help(format!("rename it to `{}/{stem}.yaml` (JSON is valid YAML)", rel.rsplit_once('/').map_or("", |(d, _)| d))),
                );
            }
            continue;
        }
        if !yamlish || rel.starts_with("resources/") || f.size > 16 << 20 {
            continue;
        }
        // Only the first line of each top-level key is looked at, so this is cheap and needs no
        // YAML parse; a changelog file or an unrelated YAML never matches a node kind key.
        let Ok(bytes) = f.read() else { continue };
        let text = String::from_utf8_lossy(&bytes);
        let kind = text.lines().find_map(|l| {
            let key = l.split(':').next()?.trim_end();
            (l.len() > key.len() && !l.starts_with([' ', '\t', '#', '-']))
                .then_some(key)
                .filter(|k| NODE_KIND_KEYS.contains(k))
        });
        if let Some(kind) = kind {
            if let Some(d) = nested_root(&nested, rel) {
                in_nested.entry(d).or_insert((0, rel)).0 += 1;
                continue;
            }
            diags.push(
                Diagnostic::at_path(
                    &rules::MISPLACED_NODE_FILE,
                    display_path(root, rel),
                    format!("`{rel}` holds `{kind}` nodes but is outside `{NODES_DIR}/`, so they are not in the pack"),
                )
                .help(format!("move it to `{NODES_DIR}/{name}`")),
            );
        }
    }
    for (dir, (count, first)) in in_nested {
        let files = if count == 1 {
            format!("its node file (`{first}`) is")
        } else {
            format!("its {count} node files (`{first}`, …) are")
        };
        diags.push(
            Diagnostic::at_path(
                &rules::MISPLACED_NODE_FILE,
                display_path(root, &format!("{dir}/{MANIFEST}")),
                format!("`{dir}/` is a pack of its own (it has a `{MANIFEST}`) inside this one: {files} not in this pack"),
            )
            .help(format!("move `{dir}/` out of this pack and build it on its own, or move the node files it should contribute into `{NODES_DIR}/`")),
        );
    }
}

/// Report why a pack file was not read. Never includes any of its bytes.
pub fn push_refusal(diags: &mut Diagnostics, shown: String, rel: &str, r: safe::Refusal) {
    let d = match r {
        safe::Refusal::Escapes => Diagnostic::at_path(
            &rules::PATH_ESCAPES,
            shown,
            format!("`{rel}` leads outside the pack (a symlink); it was not read"),
        )
        .help("copy the file into the pack instead of linking to it"),
        safe::Refusal::NotRegular(what) => Diagnostic::at_path(
            &rules::NOT_REGULAR,
            shown,
            format!("`{rel}` is {what}, not a regular file; it was not read"),
        )
        .help("replace it with a regular file"),
        safe::Refusal::Budget(m) => Diagnostic::at_path(&rules::BUDGET, shown, format!("`{rel}` was not read: {m}"))
            .help("split the pack, or remove files that do not belong in it"),
        safe::Refusal::Io(_, m) => Diagnostic::at_path(&rules::IO_ERROR, shown, format!("cannot read `{rel}`: {m}")),
    };
    diags.push(d);
}

/// Read a text file of the pack into `sources` (through [`safe::read_in`], with a budget of its
/// own). Unreadable, refused or non-UTF-8 files are reported.
pub fn read_text(sources: &mut SourceMap, root: &Path, rel: &str, diags: &mut Diagnostics) -> Option<FileId> {
    let canonical = match root.canonicalize() {
        Ok(c) => c,
        Err(e) => {
            push_refusal(
                diags,
                display_path(root, rel),
                rel,
                safe::Refusal::Io(e.kind(), e.to_string()),
            );
            return None;
        }
    };
    let read = safe::read_in(&canonical, &root.join(rel), &Budget::default());
    text_into_sources(sources, root, rel, read, diags)
}

/// Like [`read_text`], through the file's read-once cache (the compiler copies the same bytes).
pub fn read_pack_text(
    sources: &mut SourceMap,
    root: &Path,
    rel: &str,
    file: &PackFile,
    diags: &mut Diagnostics,
) -> Option<FileId> {
    if file.escapes || file.special.is_some() {
        return None; // reported once, by the walk
    }
    text_into_sources(sources, root, rel, file.read().map(|b| b.to_vec()), diags)
}

fn text_into_sources(
    sources: &mut SourceMap,
    root: &Path,
    rel: &str,
    read: Result<Vec<u8>, safe::Refusal>,
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
        Err(r) => {
            push_refusal(diags, display, rel, r);
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

/// Every regular file below `root` by `/`-separated relative path, sorted; hidden files and
/// directories are skipped, and a symlink that leads outside `canonical_root` is reported and
/// marked [`PackFile::escapes`] (never read). Special files (FIFOs, devices, sockets) are
/// listed with [`PackFile::special`] set (never opened: reading one is a finding).
pub fn discover(
    root: &Path,
    canonical_root: &Path,
    diags: &mut Diagnostics,
) -> Result<BTreeMap<String, PackFile>, LoadError> {
    discover_with(root, canonical_root, &Arc::new(Budget::default()), diags)
}

/// [`discover`] charging `budget` for every file and directory.
pub fn discover_with(
    root: &Path,
    canonical_root: &Path,
    budget: &Arc<Budget>,
    diags: &mut Diagnostics,
) -> Result<BTreeMap<String, PackFile>, LoadError> {
    let mut files = BTreeMap::new();
    let mut w = Walk {
        canonical_root,
        guard_root: Arc::from(canonical_root),
        budget: budget.clone(),
        out: &mut files,
        diags,
        visited: HashSet::new(),
        ancestors: Vec::new(),
        stopped: false,
    };
    let meta = std::fs::metadata(root).map_err(|e| LoadError::io(root, e))?;
    w.visited.insert((meta.dev(), meta.ino()));
    w.ancestors.push((meta.dev(), meta.ino()));
    w.walk(root, "", 0)?;
    Ok(files)
}

struct Walk<'a> {
    canonical_root: &'a Path,
    guard_root: Arc<Path>,
    budget: Arc<Budget>,
    out: &'a mut BTreeMap<String, PackFile>,
    diags: &'a mut Diagnostics,
    /// Directories already walked, by (device, inode).
    visited: HashSet<(u64, u64)>,
    /// The directories on the current path, by (device, inode).
    ancestors: Vec<(u64, u64)>,
    /// A budget ran out (reported once): stop everywhere.
    stopped: bool,
}

impl Walk<'_> {
    fn walk(&mut self, dir: &Path, rel: &str, depth: usize) -> Result<(), LoadError> {
        if self.stopped {
            return Ok(());
        }
        if depth > safe::MAX_DEPTH {
            self.stopped = true;
            self.diags.push(
                Diagnostic::at_path(
                    &rules::BUDGET,
                    dir.to_string_lossy().to_string(),
                    format!(
                        "`{rel}` is nested more than {} directories deep; nothing below it was read",
                        safe::MAX_DEPTH
                    ),
                )
                .help("flatten the directory tree"),
            );
            return Ok(());
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| LoadError::io(dir, e))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if self.stopped {
                return Ok(());
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                self.diags.push(Diagnostic::at_path(
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
            if let Err(r) = self.budget.take_file() {
                self.stopped = true;
                push_refusal(self.diags, entry.path().to_string_lossy().to_string(), name, r);
                return Ok(());
            }
            let child_rel = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            let meta = if ft.is_symlink() {
                let escapes = match path.canonicalize() {
                    Ok(target) => !target.starts_with(self.canonical_root),
                    Err(_) => true,
                };
                if escapes {
                    self.diags.push(
                        Diagnostic::at_path(
                            &rules::PATH_ESCAPES,
                            path.to_string_lossy().to_string(),
                            format!("`{child_rel}` is a symlink that points outside the pack"),
                        )
                        .help("copy the file into the pack instead of linking to it"),
                    );
                    self.out.insert(child_rel, PackFile::new(path, 0, true));
                    continue;
                }
                match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(_) => continue,
                }
            } else {
                match entry.metadata() {
                    Ok(m) => m,
                    Err(_) => continue,
                }
            };
            if meta.is_dir() {
                let id = (meta.dev(), meta.ino());
                if self.ancestors.contains(&id) || (ft.is_symlink() && self.visited.contains(&id)) {
                    self.diags.push(
                        Diagnostic::at_path(
                            &rules::LINK_LOOP,
                            path.to_string_lossy().to_string(),
                            format!("`{child_rel}` is a link to a directory that is already part of the pack; it was not followed"),
                        )
                        .help("remove the link: it would put the same files into the pack again (or endlessly)"),
                    );
                    continue;
                }
                self.visited.insert(id);
                self.ancestors.push(id);
                let r = self.walk(&path, &child_rel, depth + 1);
                self.ancestors.pop();
                r?;
            } else if meta.is_file() {
                let f = PackFile::new(path, meta.len(), false).guarded(&self.guard_root, &self.budget);
                self.out.insert(child_rel, f);
            } else {
                let what = safe::describe(meta.file_type());
                self.diags.push(
                    Diagnostic::at_path(
                        &rules::NOT_REGULAR,
                        path.to_string_lossy().to_string(),
                        format!("`{child_rel}` is {what}, not a regular file; it is not read and not packed"),
                    )
                    .help("replace it with a regular file, or remove it"),
                );
                let mut f = PackFile::new(path, 0, false);
                f.special = Some(what);
                self.out.insert(child_rel, f);
            }
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_swapped_for_a_link_after_the_walk_is_not_read() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path().join("pack");
        let outside = tmp.path().join("secret");
        std::fs::create_dir_all(root.join("resources")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&outside, "SECRET").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("resources/a.md"), "fine").unwrap_or_else(|e| panic!("{e}"));
        let canonical = root.canonicalize().unwrap_or_else(|e| panic!("{e}"));
        let mut diags = crate::diag::Diagnostics::new();
        let files = super::discover(&root, &canonical, &mut diags).unwrap_or_default();
        assert!(diags.is_empty());
        // Time of check passed; now the file becomes a link out of the pack.
        std::fs::remove_file(root.join("resources/a.md")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&outside, root.join("resources/a.md")).unwrap_or_else(|e| panic!("{e}"));
        let f = files.get("resources/a.md").unwrap_or_else(|| panic!("walked"));
        assert_eq!(f.read().err(), Some(super::safe::Refusal::Escapes));
    }

    #[test]
    fn node_kind_keys_match_the_model() {
        let model: Vec<&str> = crate::model::kind::NodeKind::ALL.iter().map(|k| k.key()).collect();
        assert_eq!(model, super::NODE_KIND_KEYS);
    }
}
