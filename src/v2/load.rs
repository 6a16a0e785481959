//! Loading a 2.0 pack: a directory holding `stackpack.yaml`, or a 2.0 `.sts` archive.
//!
//! Only what `sts stackpack package` ships is read (`stackpack.yaml`, `README.md` and every file
//! under `settings/`, `resources/`, `icons/`, `includes/`); other top-level entries are only
//! listed. Symlinks are never followed. `stackpack.yaml` and every `settings/**/*.sty` are parsed
//! into spanned YAML (every document of a file).

use super::rules;
use super::yaml::{self, Node};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "stackpack.yaml";
/// The folders the archive holds, in the order `sts stackpack package` writes them.
pub const FOLDERS: [&str; 4] = ["settings", "resources", "icons", "includes"];
/// The side file of ours declaring the targeted server versions (never shipped).
pub const TARGETS_FILE: &str = "stackpack-targets.toml";
const MAX_DEPTH: usize = 32;

/// Where the pack came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Dir(PathBuf),
    Archive(PathBuf),
}

/// One `.sty` file.
#[derive(Debug)]
pub struct StyFile {
    pub path: String,
    pub file: FileId,
    pub docs: Vec<Node>,
}

/// A loaded 2.0 pack.
#[derive(Debug)]
pub struct Pack {
    pub origin: Origin,
    pub sources: SourceMap,
    /// Every shippable file by `/`-separated path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Top-level entries that are not shipped (name, is a directory).
    pub other_top_level: Vec<(String, bool)>,
    /// Directories (by path) that exist, for the layout checks.
    pub dirs: std::collections::BTreeSet<String>,
    pub manifest: Option<(FileId, Node)>,
    pub sty: Vec<StyFile>,
    /// The side file's text, when present (directories only).
    pub targets_file: Option<FileId>,
}

/// A node of a `.sty` file.
#[derive(Debug, Clone, Copy)]
pub struct NodeAt<'a> {
    pub file: &'a StyFile,
    pub node: &'a Node,
}

impl<'a> NodeAt<'a> {
    pub fn type_name(&self) -> Option<&'a str> {
        self.node.str_at("_type")
    }
    pub fn identifier(&self) -> Option<&'a str> {
        self.node.str_at("identifier")
    }
}

impl Pack {
    pub fn display(&self, rel: &str) -> String {
        match &self.origin {
            Origin::Dir(root) => crate::load::display_path(root, rel),
            Origin::Archive(p) => crate::archive::read::entry_display(&p.to_string_lossy(), rel),
        }
    }
    pub fn display_root(&self) -> String {
        match &self.origin {
            Origin::Dir(p) | Origin::Archive(p) => p.to_string_lossy().to_string(),
        }
    }
    pub fn manifest_node(&self) -> Option<&Node> {
        self.manifest.as_ref().map(|(_, n)| n)
    }
    pub fn name(&self) -> Option<&str> {
        self.manifest_node()?.str_at("name")
    }
    pub fn version(&self) -> Option<&str> {
        self.manifest_node()?.str_at("version")
    }
    /// Every node of every `.sty` document, in file order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeAt<'_>> {
        self.sty.iter().flat_map(|f| {
            f.docs
                .iter()
                .flat_map(|d| d.seq_at("nodes").iter())
                .map(move |node| NodeAt { file: f, node })
        })
    }
    /// The directory name of a pack directory (the name the server's convention wants).
    pub fn dir_name(&self) -> Option<String> {
        match &self.origin {
            Origin::Dir(p) => std::fs::canonicalize(p)
                .ok()
                .and_then(|c| c.file_name().map(|n| n.to_string_lossy().to_string())),
            Origin::Archive(_) => None,
        }
    }
}

/// Whether `path` is a 2.0 pack: a directory holding `stackpack.yaml`, or an archive holding it
/// at its top level.
pub fn is_v2(path: &Path) -> bool {
    if path.is_dir() {
        return path.join(MANIFEST).is_file() || is_old_dialect(path);
    }
    if path.is_file() {
        let Ok(f) = std::fs::File::open(path) else { return false };
        let Ok(mut z) = zip::ZipArchive::new(std::io::BufReader::new(f)) else {
            return false;
        };
        return z.by_name(MANIFEST).is_ok();
    }
    false
}

/// A pack of the old 2.0 dialect (2025 templates): a HOCON `stackpack.conf` declaring
/// `schemaVersion = "2.0"` beside `.sty` files in `provisioning/` (a 1.0 pack with that line
/// and `.stj` templates stays a classic pack, whose lint reports the stray line). It is linted
/// as a 2.0 pack, which reports what to migrate.
pub fn is_old_dialect(dir: &Path) -> bool {
    let has_sty = std::fs::read_dir(dir.join("provisioning"))
        .map(|rd| rd.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".sty")))
        .unwrap_or(false);
    if !has_sty {
        return false;
    }
    // Through the pack's safe reader: inside the pack, a regular file, at most 1 MB.
    let Ok(canonical) = dir.canonicalize() else {
        return false;
    };
    let budget = crate::load::safe::Budget::new(1_000_000, 1);
    crate::load::safe::read_in(&canonical, &dir.join("stackpack.conf"), &budget).is_ok_and(|t| {
        String::from_utf8_lossy(&t).lines().any(|l| {
            let l = l.trim();
            l.starts_with("schemaVersion") && l.contains("\"2.0\"")
        })
    })
}

/// Why a pack could not be opened at all (exit code 2).
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Load the pack at `path` (directory or archive).
pub fn open(path: &Path, diags: &mut Diagnostics) -> Result<Pack, OpenError> {
    if path.is_dir() {
        Ok(from_dir(path, diags))
    } else if path.is_file() {
        let limits = crate::archive::read::Limits::from_env();
        let entries = crate::archive::read::read_archive(path, &limits, diags)
            .map_err(|e| OpenError(format!("cannot read `{}`: {e}", path.display())))?
            .unwrap_or_default();
        let files = entries.into_iter().map(|e| (e.path, e.bytes)).collect();
        Ok(from_files(Origin::Archive(path.to_path_buf()), files, diags))
    } else {
        Err(OpenError(format!("`{}` does not exist", path.display())))
    }
}

/// Junk that must not ship: archives, dotfiles, editor backups, OS litter.
pub fn junk_reason(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".sts") || lower.ends_with(".zip") {
        Some("an archive inside the pack (a previous build?)")
    } else if name.starts_with('.') {
        Some("a hidden file")
    } else if name.ends_with('~') || lower.ends_with(".swp") || lower.ends_with(".bak") || lower.ends_with(".orig") {
        Some("an editor backup")
    } else if lower == "thumbs.db" || lower == "desktop.ini" {
        Some("operating-system litter")
    } else {
        None
    }
}

/// Every file of a 2.0 pack is read the way 1.x pack files are (`load::safe::read_in`): inside
/// the pack's canonical root, a regular file (a file swapped for a FIFO or a link after the
/// walk's `lstat` is refused, never opened), within one budget of bytes and files for the run.
struct Reader {
    canonical: std::path::PathBuf,
    budget: crate::load::safe::Budget,
}

impl Reader {
    fn new(root: &Path) -> Reader {
        Reader {
            canonical: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            budget: crate::load::safe::Budget::default(),
        }
    }

    fn read(&self, root: &Path, rel: &str) -> Result<Vec<u8>, String> {
        self.budget.take_file().map_err(|r| r.to_string())?;
        crate::load::safe::read_in(&self.canonical, &root.join(rel), &self.budget).map_err(|r| r.to_string())
    }
}

fn from_dir(root: &Path, diags: &mut Diagnostics) -> Pack {
    let reader = Reader::new(root);
    let mut files = BTreeMap::new();
    let mut other = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    let display = |rel: &str| crate::load::display_path(root, rel);
    let mut entries: Vec<(String, std::fs::Metadata)> = match std::fs::read_dir(root) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                e.path().symlink_metadata().ok().map(|m| (name, m))
            })
            .collect(),
        Err(e) => {
            diags.push(Diagnostic::at_path(
                &rules::UNREADABLE,
                display(""),
                format!("cannot list the pack directory: {e}"),
            ));
            Vec::new()
        }
    };
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, meta) in entries {
        let shipped = name == MANIFEST || name == "README.md" || FOLDERS.contains(&name.as_str());
        if meta.file_type().is_symlink() {
            if shipped {
                diags.push(
                    Diagnostic::at_path(&rules::SYMLINK, display(&name), format!("`{name}` is a symbolic link"))
                        .help("replace the link with the real file or directory: `sts stackpack package` silently ships an empty folder for a linked one"),
                );
            }
            continue;
        }
        if !shipped {
            other.push((name, meta.is_dir()));
            continue;
        }
        if meta.is_dir() {
            dirs.insert(name.clone());
            walk(&reader, root, &name, 0, &mut files, &mut dirs, diags);
        } else if meta.is_file() {
            match reader.read(root, &name) {
                Ok(b) => {
                    files.insert(name, b);
                }
                Err(e) => diags.push(Diagnostic::at_path(
                    &rules::UNREADABLE,
                    display(&name),
                    format!("cannot read: {e}"),
                )),
            }
        }
    }
    let mut pack = from_files(Origin::Dir(root.to_path_buf()), files, diags);
    pack.other_top_level = other;
    pack.dirs = dirs;
    let side = root.join(TARGETS_FILE);
    if side.is_file() {
        match reader
            .read(root, TARGETS_FILE)
            .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()))
        {
            Ok(t) => pack.targets_file = Some(pack.sources.add(display(TARGETS_FILE), Some(&side), t)),
            Err(e) => diags.push(Diagnostic::at_path(
                &rules::TARGETS_FILE,
                display(TARGETS_FILE),
                format!("cannot read: {e}"),
            )),
        }
    }
    pack
}

fn walk(
    reader: &Reader,
    root: &Path,
    rel: &str,
    depth: usize,
    files: &mut BTreeMap<String, Vec<u8>>,
    dirs: &mut std::collections::BTreeSet<String>,
    diags: &mut Diagnostics,
) {
    let display = |r: &str| crate::load::display_path(root, r);
    if depth > MAX_DEPTH {
        diags.push(Diagnostic::at_path(
            &rules::UNREADABLE,
            display(rel),
            format!("nested deeper than {MAX_DEPTH} directories"),
        ));
        return;
    }
    let rd = match std::fs::read_dir(root.join(rel)) {
        Ok(rd) => rd,
        Err(e) => {
            diags.push(Diagnostic::at_path(
                &rules::UNREADABLE,
                display(rel),
                format!("cannot list: {e}"),
            ));
            return;
        }
    };
    let mut names: Vec<(String, std::fs::Metadata)> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.path()
                .symlink_metadata()
                .ok()
                .map(|m| (e.file_name().to_string_lossy().to_string(), m))
        })
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, meta) in names {
        let path = format!("{rel}/{name}");
        if meta.file_type().is_symlink() {
            diags.push(
                Diagnostic::at_path(&rules::SYMLINK, display(&path), format!("`{path}` is a symbolic link"))
                    .help("replace the link with a copy of its target: links inside packaged folders break `sts stackpack package` and are refused by `build`"),
            );
            continue;
        }
        if let Some(why) = junk_reason(&name) {
            diags.push(
                Diagnostic::at_path(
                    &rules::JUNK_FILE,
                    display(&path),
                    format!("`{path}` is {why} and would ship in the archive"),
                )
                .help("delete it (or move it out of the pack directory)"),
            );
            continue;
        }
        if meta.is_dir() {
            dirs.insert(path.clone());
            walk(reader, root, &path, depth + 1, files, dirs, diags);
        } else if meta.is_file() {
            match reader.read(root, &path) {
                Ok(b) => {
                    files.insert(path, b);
                }
                Err(e) => diags.push(Diagnostic::at_path(
                    &rules::UNREADABLE,
                    display(&path),
                    format!("cannot read: {e}"),
                )),
            }
        }
    }
}

/// Build the pack from its files (directory walk or archive entries).
pub fn from_files(origin: Origin, files: BTreeMap<String, Vec<u8>>, diags: &mut Diagnostics) -> Pack {
    let mut pack = Pack {
        origin,
        sources: SourceMap::new(),
        files: BTreeMap::new(),
        other_top_level: Vec::new(),
        dirs: std::collections::BTreeSet::new(),
        manifest: None,
        sty: Vec::new(),
        targets_file: None,
    };
    if let Origin::Archive(_) = pack.origin {
        // Entries outside the shipped set, and junk inside it, are findings for archives too.
        let mut kept = BTreeMap::new();
        let mut seen_top = std::collections::BTreeSet::new();
        for (path, bytes) in files {
            let top = path.split('/').next().unwrap_or("");
            let shipped = path == MANIFEST || path == "README.md" || (FOLDERS.contains(&top) && path.contains('/'));
            if !shipped {
                if seen_top.insert(top.to_string()) {
                    pack.other_top_level.push((top.to_string(), path.contains('/')));
                }
                continue;
            }
            let base = path.rsplit('/').next().unwrap_or("");
            if let Some(why) = junk_reason(base) {
                diags.push(
                    Diagnostic::at_path(&rules::JUNK_FILE, pack.display(&path), format!("`{path}` is {why}"))
                        .help("rebuild the archive from a clean pack directory"),
                );
            }
            let mut dir = path.as_str();
            while let Some((d, _)) = dir.rsplit_once('/') {
                if !pack.dirs.insert(d.to_string()) {
                    break;
                }
                dir = d;
            }
            kept.insert(path, bytes);
        }
        pack.files = kept;
    } else {
        pack.files = files;
    }
    let texts: Vec<(String, Vec<u8>)> = pack
        .files
        .iter()
        .filter(|(p, _)| *p == MANIFEST || (p.starts_with("settings/") && p.ends_with(".sty")))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    for (path, bytes) in texts {
        let display = pack.display(&path);
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                diags.push(
                    Diagnostic::at_path(&rules::UNREADABLE, display, format!("`{path}` is not UTF-8 text"))
                        .help("save the file as UTF-8"),
                );
                continue;
            }
        };
        let disk = match &pack.origin {
            Origin::Dir(root) => Some(root.join(&path)),
            Origin::Archive(_) => None,
        };
        let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
        let id = pack.sources.add(display, disk.as_deref(), text);
        let Some(docs) = yaml::parse(id, pack.sources.file(id), diags) else {
            continue;
        };
        if path == MANIFEST {
            match docs.into_iter().next() {
                Some(doc) if doc.as_map().is_some() => pack.manifest = Some((id, doc)),
                Some(doc) => diags.push(
                    Diagnostic::new(
                        &rules::WRONG_TYPE,
                        doc.span,
                        "stackpack.yaml must be a mapping of keys to values",
                    )
                    .help("start with `name: \"my-pack\"`"),
                ),
                None => diags.push(
                    Diagnostic::new(&rules::MISSING_PATH, Span::file_start(id), "stackpack.yaml is empty")
                        .help("declare at least `schemaVersion`, `name`, `version` and `displayName`"),
                ),
            }
        } else {
            pack.sty.push(StyFile { path, file: id, docs });
        }
    }
    // Include files are text the hint checks locate findings in.
    let includes: Vec<(String, Vec<u8>)> = pack
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("includes/"))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    for (path, bytes) in includes {
        if let Ok(text) = String::from_utf8(bytes) {
            let disk = match &pack.origin {
                Origin::Dir(root) => Some(root.join(&path)),
                Origin::Archive(_) => None,
            };
            pack.sources.add(pack.display(&path), disk.as_deref(), text);
        }
    }
    pack
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the walk saw as a regular file but is a FIFO, a link out or too big by the time it
    /// is read is refused by the reader, never opened or read whole.
    #[test]
    fn the_reader_refuses_what_the_walk_could_not_see() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path().join("pack");
        std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("ok.md"), "fine").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("secret"), "outside").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(tmp.path().join("secret"), root.join("out")).unwrap_or_else(|e| panic!("{e}"));
        let fifo = std::ffi::CString::new(root.join("fifo").as_os_str().as_encoded_bytes()).unwrap_or_default();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let reader = Reader::new(&root);
        assert_eq!(reader.read(&root, "ok.md").ok().as_deref(), Some(&b"fine"[..]));
        assert!(reader.read(&root, "out").is_err(), "a link out of the pack");
        assert!(reader.read(&root, "fifo").is_err(), "a FIFO does not block");
        let small = Reader {
            canonical: reader.canonical.clone(),
            budget: crate::load::safe::Budget::new(3, 10),
        };
        assert!(small.read(&root, "ok.md").is_err(), "the run's byte budget");
    }
}
