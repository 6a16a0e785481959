//! Crash-safe multi-file changes for `release` and `changelog add`.
//!
//! - **Lock**: both commands hold an exclusive `flock` on the pack's manifest file for their
//!   whole run (load, decide, write), so two concurrent `release` runs are serialised and the
//!   second sees the first one's result. `release` replaces the manifest by renaming, so after
//!   taking the lock the holder checks the path still names the locked inode, and retries
//!   otherwise. A killed process releases its lock with its descriptors.
//! - **Staging**: new contents are written (and fsynced) as `.stackpack-staged-…` files beside
//!   their destinations.
//! - **Journal**: when everything is staged, the list of renames and removals is written to
//!   `<pack>/.stackpack-journal.json` (temp file, fsync, rename: it appears whole or not at
//!   all). From that moment the change is decided; the steps are then applied, each one
//!   idempotent (rename a staged file if it is still there, remove a file if it still exists),
//!   and the journal is deleted.
//! - **Recovery** ([`recover`], run by both commands after taking the lock): a journal left by a
//!   killed run is completed (roll forward); without a journal, staged files of a killed run
//!   are deleted (roll back: the old state was never touched). Either way the command says
//!   what it did.
//!
//! So a kill at any point leaves the old state, the new state, or a journal that the next
//! command completes.

use super::write::WriteError;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The journal file, in the pack root (hidden: never read as pack content).
pub const JOURNAL: &str = ".stackpack-journal.json";
/// Prefix of staged files.
pub const STAGED_PREFIX: &str = ".stackpack-staged-";

/// SP612 for what an interrupted `release` or `changelog add` left in the pack root `root`: its
/// journal (the change was decided but not fully applied) or staged files (it was not). Reading
/// commands (`lint`, `build`) never write, so the finding names the command that finishes the
/// job: every `release` and `changelog add` first completes a journal (roll forward) or deletes
/// staged files without one (roll back), and `release --dry-run` does only that. A journal
/// cannot be discarded safely once some of its steps ran, so no command does.
pub fn pending_findings(root: &Path) -> crate::diag::Diagnostics {
    use crate::diag::{escape::escape, Diagnostic};
    let rule = &super::rules::INTERRUPTED_CHANGE;
    let mut diags = crate::diag::Diagnostics::new();
    let journal = root.join(JOURNAL);
    // `lint` run inside the pack: `.stackpack-journal.json`, not `./.stackpack-journal.json`.
    let shown = |p: &Path| p.strip_prefix(".").unwrap_or(p).display().to_string();
    if let Ok(meta) = std::fs::symlink_metadata(&journal) {
        // The change it records ("release 1.2.0"), from a small regular file only.
        let what = (meta.file_type().is_file() && meta.len() <= 1 << 20)
            .then(|| crate::load::safe::read_regular_to_string(&journal).ok())
            .flatten()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v.get("what").and_then(|w| w.as_str()).map(str::to_string))
            .map(|w| format!(" ({})", escape(&w)))
            .unwrap_or_default();
        diags.push(
            Diagnostic::at_path(
                rule,
                shown(&journal),
                format!("an interrupted `release` or `changelog add`{what} left its journal: its change is decided but not fully applied, so the pack may be half-released"),
            )
            .help("run `stackpack release --dry-run` to complete it (it writes nothing else; any `release` or `changelog add` completes it first)"),
        );
        return diags;
    }
    let mut staged: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(STAGED_PREFIX))
        .collect();
    staged.sort();
    if let Some(first) = staged.first() {
        let n = staged.len();
        diags.push(
            Diagnostic::at_path(
                rule,
                shown(&root.join(first)),
                format!(
                    "{n} staged file{} (`{STAGED_PREFIX}*`) of an interrupted `release` or `changelog add` (nothing of it was applied)",
                    if n == 1 { "" } else { "s" }
                ),
            )
            .help(format!(
                "run `stackpack release --dry-run` to remove {} (it writes nothing else)",
                if n == 1 { "it" } else { "them" }
            )),
        );
    }
    diags
}

/// A held lock (released when dropped, or when the process dies).
#[derive(Debug)]
pub struct Lock {
    _file: std::fs::File,
}

/// Take the exclusive lock of the pack whose manifest is `manifest`. Blocks while another
/// `release`/`changelog add` of the same pack runs (saying so once).
pub fn lock(manifest: &Path) -> Result<Lock, WriteError> {
    use std::os::fd::AsRawFd;
    let mut said = false;
    for _ in 0..1000 {
        let file = std::fs::File::open(manifest).map_err(|e| io("open", manifest, e))?;
        let fd = file.as_raw_fd();
        // SAFETY: flock on a descriptor we own.
        let mut rc = unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            if !said {
                eprintln!(
                    "note: waiting for another stackpack command that is changing `{}`",
                    manifest.display()
                );
                said = true;
            }
            // SAFETY: as above, blocking this time.
            rc = unsafe { libc::flock(fd, libc::LOCK_EX) };
        }
        if rc != 0 {
            return Err(io("lock", manifest, std::io::Error::last_os_error()));
        }
        // The manifest may have been replaced (renamed over) while we waited: lock the new one.
        let held = file.metadata().map_err(|e| io("read", manifest, e))?;
        match std::fs::metadata(manifest) {
            Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => return Ok(Lock { _file: file }),
            Ok(_) => continue,
            Err(e) => return Err(io("read", manifest, e)),
        }
    }
    Err(WriteError::Io(format!(
        "cannot lock `{}`: it keeps being replaced",
        manifest.display()
    )))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "kebab-case")]
enum Op {
    /// Rename `staged` to `dest`.
    Put { staged: PathBuf, dest: PathBuf },
    /// Remove `path`.
    Remove { path: PathBuf },
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalFile {
    /// What the change is, for the recovery message ("release 4.4.0").
    what: String,
    ops: Vec<Op>,
}

/// Test hook: `STACKPACK_FAULT_AT=<n>` kills the process (SIGKILL) at the n-th step of a
/// journaled change, to test recovery. Steps: 1 after staging, 2 after the journal is written,
/// 3… after each applied operation.
fn fault_point(n: &mut u32) {
    *n += 1;
    if let Some(at) = std::env::var("STACKPACK_FAULT_AT")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    {
        if at == *n {
            // SAFETY: sending a signal to ourselves.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
        }
    }
}

/// A staged multi-file change.
#[derive(Debug)]
pub struct Change {
    root: PathBuf,
    what: String,
    ops: Vec<Op>,
    created_dirs: Vec<PathBuf>,
    seq: u32,
}

impl Change {
    /// A change of the pack in `root`, described as `what` in messages.
    pub fn new(root: &Path, what: impl Into<String>) -> Change {
        Change {
            root: root.to_path_buf(),
            what: what.into(),
            ops: Vec::new(),
            created_dirs: Vec::new(),
            seq: 0,
        }
    }

    fn stage(&mut self, dest: &Path, text: &str) -> Result<PathBuf, WriteError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        if !dir.is_dir() {
            let mut missing = Vec::new();
            let mut d = dir;
            while !d.as_os_str().is_empty() && !d.is_dir() {
                missing.push(d.to_path_buf());
                d = d.parent().unwrap_or(Path::new(""));
            }
            std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
            self.created_dirs.extend(missing);
        }
        self.seq += 1;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staged = dir.join(format!("{STAGED_PREFIX}{}-{}-{name}", std::process::id(), self.seq));
        write_synced(&staged, text.as_bytes()).map_err(|e| {
            let _ = std::fs::remove_file(&staged);
            io("write", &staged, e)
        })?;
        Ok(staged)
    }

    /// Create `path` (which must not exist) with `text`.
    pub fn create(&mut self, path: &Path, text: &str) -> Result<(), WriteError> {
        if path.exists() {
            return Err(WriteError::Refused(format!("`{}` already exists", path.display())));
        }
        let staged = self.stage(path, text)?;
        self.ops.push(Op::Put {
            staged,
            dest: path.to_path_buf(),
        });
        Ok(())
    }

    /// Replace the content of `path` with `text`.
    pub fn replace(&mut self, path: &Path, text: &str) -> Result<(), WriteError> {
        let staged = self.stage(path, text)?;
        self.ops.push(Op::Put {
            staged,
            dest: path.to_path_buf(),
        });
        Ok(())
    }

    /// Remove the existing file `path`.
    pub fn remove(&mut self, path: &Path) -> Result<(), WriteError> {
        if !path.is_file() {
            return Err(WriteError::Refused(format!("`{}` does not exist", path.display())));
        }
        self.ops.push(Op::Remove {
            path: path.to_path_buf(),
        });
        Ok(())
    }

    /// Undo the staging of a change that will not be committed.
    pub fn abandon_now(self) {
        self.abandon();
    }

    /// Undo the staging (nothing was applied yet).
    fn abandon(&self) {
        for op in &self.ops {
            if let Op::Put { staged, .. } = op {
                let _ = std::fs::remove_file(staged);
            }
        }
        for d in &self.created_dirs {
            let _ = std::fs::remove_dir(d);
        }
    }

    /// Write the journal, apply every step, delete the journal. A failure before the journal is
    /// written leaves the old state; after it, the journal stays and the next command completes
    /// the change.
    pub fn commit(self) -> Result<(), WriteError> {
        let mut step = 0;
        fault_point(&mut step);
        let journal = self.root.join(JOURNAL);
        let body = JournalFile {
            what: self.what.clone(),
            ops: self.ops.clone(),
        };
        let text = serde_json::to_string_pretty(&body).map_err(|e| WriteError::Io(e.to_string()))?;
        let tmp = self.root.join(format!("{STAGED_PREFIX}{}-journal", std::process::id()));
        let written = write_synced(&tmp, text.as_bytes())
            .and_then(|_| std::fs::rename(&tmp, &journal))
            .and_then(|_| sync_dir(&self.root));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            self.abandon();
            return Err(io("write", &journal, e));
        }
        fault_point(&mut step);
        apply(&self.ops, &mut step).map_err(|e| {
            WriteError::Io(format!(
                "{e}; the change is recorded in `{}` and the next `stackpack release` or `changelog add` completes it",
                journal.display()
            ))
        })?;
        std::fs::remove_file(&journal).map_err(|e| io("remove", &journal, e))?;
        let _ = sync_dir(&self.root);
        Ok(())
    }
}

fn apply(ops: &[Op], step: &mut u32) -> Result<(), String> {
    for op in ops {
        match op {
            Op::Put { staged, dest } => {
                if staged.exists() {
                    std::fs::rename(staged, dest).map_err(|e| format!("cannot write `{}`: {e}", dest.display()))?;
                    if let Some(d) = dest.parent() {
                        let _ = sync_dir(d);
                    }
                }
            }
            Op::Remove { path } => match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot remove `{}`: {e}", path.display())),
            },
        }
        fault_point(step);
    }
    Ok(())
}

/// Complete or undo what a killed run of `release`/`changelog add` left in the pack in `root`
/// (whose changelog is in `changelog_dir`, when known). Returns what was done, for a note.
pub fn recover(root: &Path, changelog_dir: Option<&Path>) -> Result<Vec<String>, WriteError> {
    let mut notes = Vec::new();
    let journal = root.join(JOURNAL);
    let mut keep: Vec<PathBuf> = Vec::new();
    if journal.is_file() {
        let text = crate::load::safe::read_regular_to_string(&journal).map_err(|e| io("read", &journal, e))?;
        match serde_json::from_str::<JournalFile>(&text) {
            Ok(j) => {
                let mut step = 1000;
                apply(&j.ops, &mut step).map_err(WriteError::Io)?;
                notes.push(format!(
                    "completed the interrupted {} (from `{}`)",
                    j.what,
                    journal.display()
                ));
                for op in &j.ops {
                    if let Op::Put { staged, .. } = op {
                        keep.push(staged.clone());
                    }
                }
            }
            Err(e) => {
                // The journal is written to a temp file and renamed, so a torn journal cannot
                // come from us: refuse to guess.
                return Err(WriteError::Io(format!(
                    "`{}` is not a journal this tool wrote ({e}); inspect and remove it",
                    journal.display()
                )));
            }
        }
        std::fs::remove_file(&journal).map_err(|e| io("remove", &journal, e))?;
    }
    let mut dirs = vec![root.to_path_buf()];
    if let Some(c) = changelog_dir {
        dirs.push(c.join(super::load::RELEASES_DIR));
        dirs.push(c.join(super::load::UNRELEASED_DIR));
    }
    let mut removed = 0;
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with(STAGED_PREFIX)
                && !keep.contains(&e.path())
                && std::fs::remove_file(e.path()).is_ok()
            {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        notes.push(format!(
            "removed {removed} staged file{} of an interrupted run (nothing of it had been applied)",
            if removed == 1 { "" } else { "s" }
        ));
    }
    Ok(notes)
}

/// Write `bytes` to a new file `path` and fsync it.
pub fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> WriteError {
    WriteError::Io(format!("cannot {what} `{}`: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_left_by_a_kill_is_completed_and_staged_files_without_one_removed() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = tmp.path();
        std::fs::write(d.join("manifest"), "old").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(d.join("fragment"), "a").unwrap_or_else(|e| panic!("{e}"));
        let mut c = Change::new(d, "release 1.1.0");
        assert!(c.create(&d.join("releases/1.1.0.yaml"), "release").is_ok());
        assert!(c.replace(&d.join("manifest"), "new").is_ok());
        assert!(c.remove(&d.join("fragment")).is_ok());
        // A kill after the journal, before any step: write it as commit would.
        let body = JournalFile {
            what: c.what.clone(),
            ops: c.ops.clone(),
        };
        std::fs::write(d.join(JOURNAL), serde_json::to_string(&body).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        let notes = recover(d, None).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(std::fs::read_to_string(d.join("manifest")).ok().as_deref(), Some("new"));
        assert_eq!(
            std::fs::read_to_string(d.join("releases/1.1.0.yaml")).ok().as_deref(),
            Some("release")
        );
        assert!(!d.join("fragment").exists());
        assert!(!d.join(JOURNAL).exists());
        // Staged files without a journal: rolled back.
        let mut c = Change::new(d, "release 1.2.0");
        assert!(c.replace(&d.join("manifest"), "newer").is_ok());
        drop(c);
        let notes = recover(d, None).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(notes.iter().any(|n| n.contains("removed 1 staged file")), "{notes:?}");
        assert_eq!(std::fs::read_to_string(d.join("manifest")).ok().as_deref(), Some("new"));
    }
}
