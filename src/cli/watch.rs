//! `stackpack lint --watch`: lint, then lint again whenever a file of the pack (or of its
//! changelog) changes. Changes are debounced (`notify-debouncer-mini`, 250 ms): saving several
//! files at once, or an editor's write-then-rename, gives one new run.

use super::lint::{lint_once, targets, Args, Target};
use super::output::{fatal, settings, write_stderr};
use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{new_debouncer, DebounceEventResult};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DEBOUNCE: Duration = Duration::from_millis(250);

/// The directories a run depends on: each pack and its changelog directory.
fn watched(args: &Args) -> Result<Vec<PathBuf>, String> {
    let mut dirs = Vec::new();
    for t in targets(&args.paths)? {
        let root = match t {
            Target::Pack(root, _) => root,
            Target::Classic(p) | Target::V2(p) => p,
        };
        if root.is_dir() {
            dirs.push(changelog_dir(&root));
        }
        dirs.push(root);
    }
    let mut out: Vec<PathBuf> = dirs.into_iter().filter_map(|d| d.canonicalize().ok()).collect();
    out.sort();
    out.dedup();
    // A directory inside another watched one is covered by the recursive watch.
    let all = out.clone();
    out.retain(|d| !all.iter().any(|o| o != d && d.starts_with(o)));
    Ok(out)
}

/// The manifest's `changelog` directory (default `changelog`), read leniently: a manifest that
/// does not parse is reported by the lint run itself.
fn changelog_dir(root: &Path) -> PathBuf {
    let rel = std::fs::read_to_string(root.join(crate::load::MANIFEST))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("changelog").and_then(|v| v.as_str()).map(str::to_string))
        .unwrap_or_else(|| "changelog".to_string());
    root.join(rel)
}

pub fn run(args: Args) -> u8 {
    let dirs = match watched(&args) {
        Ok(d) => d,
        Err(e) => return fatal(e),
    };
    let (tx, rx) = std::sync::mpsc::channel::<DebounceEventResult>();
    let mut debouncer = match new_debouncer(DEBOUNCE, tx) {
        Ok(d) => d,
        Err(e) => return fatal(format!("cannot watch files: {e}")),
    };
    for d in &dirs {
        if let Err(e) = debouncer.watcher().watch(d, RecursiveMode::Recursive) {
            return fatal(format!("cannot watch `{}`: {e}", d.display()));
        }
    }
    lint_once(&args);
    if !settings().quiet {
        write_stderr(format_args!("watching for changes (Ctrl-C stops)\n"));
    }
    for result in rx {
        match result {
            Ok(events) => {
                let changed: Vec<&Path> = events
                    .iter()
                    .map(|e| e.path.as_path())
                    // Hidden files are not part of a pack (editor swap files, `.git`).
                    .filter(|p| {
                        let rel = dirs.iter().find_map(|d| p.strip_prefix(d).ok()).unwrap_or(p);
                        !rel.components()
                            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
                    })
                    .collect();
                let Some(first) = changed.first() else { continue };
                write_stderr(format_args!(
                    "\n--- {} changed: linting again ---\n",
                    crate::diag::escape::escape(&first.display().to_string())
                ));
                lint_once(&args);
            }
            Err(e) => write_stderr(format_args!("warning: file watcher: {e}\n")),
        }
    }
    super::EXIT_OK
}
