//! `stackpack lint [PATH]...`: load, model and check a pack (`crate::pipeline`, the same
//! analysis `build` runs); print located findings.
//!
//! Each PATH is a pack directory, a directory or file inside a pack, or a classic pack (a
//! directory holding `stackpack.conf`, or a `.sts`). The pack is found by looking for
//! `stackpack.toml` in the path and then in each parent directory (without PATH: from the
//! current directory). When files are named, the whole pack is checked (references cross
//! files) but only the findings in those files are reported: what a pre-commit hook needs.

use super::output::{exit_code, fatal, print_report, verbose};
use crate::check::CheckOptions;
use crate::diag::render::Format;
use crate::diag::Diagnostics;
use crate::pipeline::Outcome;
use crate::source::SourceMap;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Pack directories, or files and directories inside packs (only their findings are
    /// reported), or classic packs (`stackpack.conf` directory or `.sts`). Default: the pack
    /// containing the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as failures (`--deny warnings`).
    #[arg(long, value_parser = ["warnings"])]
    pub deny: Option<String>,
    /// Keep running: lint again whenever a file of the pack changes (Ctrl-C stops).
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub check: CheckArgs,
}

/// The check options `lint` and `build` share.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Check against one StackState server version ("will this install on X?"), e.g. `4.2.0`.
    #[arg(long, value_name = "X", value_parser = crate::model::version::parse_stackstate)]
    pub stackstate_version: Option<semver::Version>,
    /// The previous release (`.sts` or pack directory): fail when the version bump is smaller
    /// than the changes since it need.
    #[arg(long, value_name = "OLD")]
    pub baseline: Option<PathBuf>,
}

impl CheckArgs {
    pub fn options(&self) -> CheckOptions {
        CheckOptions {
            stackstate_version: self.stackstate_version.clone(),
            baseline: self.baseline.clone(),
        }
    }
}

/// What one PATH argument names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A declarative pack root, and the files to report on (`None`: all of them).
    Pack(PathBuf, Option<BTreeSet<PathBuf>>),
    /// A classic pack directory or archive.
    Classic(PathBuf),
    /// A StackPack 2.0 pack directory or archive.
    V2(PathBuf),
}

/// `a/./b/../c` → `a/c` (lexically), `` → `.`.
pub fn tidy(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            c => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// The pack directory holding `start`: `start` itself or the nearest parent with a
/// `stackpack.toml` (or a classic `stackpack.conf`). Only names are looked up, nothing is
/// walked, so `lint /` answers at once. The result is relative when `start` is, so messages
/// show paths as the user typed them (`../nodes/a.yaml` from inside `resources/`).
pub fn find_pack(start: &Path) -> Result<Target, String> {
    let start = tidy(start);
    let mut dir = start.clone();
    let canonical = start
        .canonicalize()
        .map_err(|e| format!("cannot read `{}`: {e}", start.display()))?;
    for ancestor in canonical.ancestors() {
        // Any entry of that name (a FIFO or a link out of the pack too): the loader then refuses
        // it with its own coded finding (SP013, SP009) instead of "not inside a pack".
        if std::fs::symlink_metadata(ancestor.join(crate::load::MANIFEST)).is_ok() {
            return Ok(Target::Pack(dir, None));
        }
        if ancestor.join(crate::v2::load::MANIFEST).is_file() {
            return Ok(Target::V2(dir));
        }
        if ancestor.join("stackpack.conf").is_file() {
            return Ok(Target::Classic(dir));
        }
        dir = tidy(&dir.join(".."));
        if start.is_absolute() {
            dir = ancestor.parent().map(Path::to_path_buf).unwrap_or_default();
        }
    }
    Err(format!(
        "`{}` is not inside a pack: neither it nor a parent directory has a `{}`; create a pack with `stackpack new NAME`, or name its directory",
        start.display(),
        crate::load::MANIFEST
    ))
}

/// Resolve the PATH arguments to packs, merging files of the same pack.
pub fn targets(paths: &[PathBuf]) -> Result<Vec<Target>, String> {
    if paths.is_empty() {
        // No PATH: the whole pack around the current directory, like `cargo` finds its manifest.
        return Ok(vec![find_pack(Path::new("."))?]);
    }
    let mut out: Vec<Target> = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        if crate::v2::is_v2(p) {
            out.push(Target::V2(p.clone()));
            continue;
        }
        if crate::classic::is_classic(p) {
            out.push(Target::Classic(p.clone()));
            continue;
        }
        if meta.is_dir() {
            let t = find_pack(p)?;
            // A directory inside a pack (not its root) limits the report to the files below it.
            let t = match t {
                Target::Pack(root, None) if std::fs::symlink_metadata(p.join(crate::load::MANIFEST)).is_err() => {
                    Target::Pack(root, Some(BTreeSet::from([canonical(p)])))
                }
                t => t,
            };
            merge(&mut out, t);
        } else {
            let parent = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            match find_pack(parent)? {
                Target::Pack(root, _) => merge(&mut out, Target::Pack(root, Some(BTreeSet::from([canonical(p)])))),
                Target::Classic(root) => merge(&mut out, Target::Classic(root)),
                Target::V2(root) => merge(&mut out, Target::V2(root)),
            }
        }
    }
    Ok(out)
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| tidy(p))
}

fn merge(out: &mut Vec<Target>, t: Target) {
    for existing in out.iter_mut() {
        match (existing, &t) {
            (Target::Pack(a, fa), Target::Pack(b, fb)) if canonical(a) == canonical(b) => {
                match (fa.as_mut(), fb) {
                    (Some(fa), Some(fb)) => fa.extend(fb.iter().cloned()),
                    // One argument is the whole pack: report everything.
                    _ => *fa = None,
                }
                return;
            }
            (Target::Classic(a), Target::Classic(b)) | (Target::V2(a), Target::V2(b))
                if canonical(a) == canonical(b) =>
            {
                return
            }
            _ => {}
        }
    }
    out.push(t);
}

/// Whether finding `d` is in one of `only` (files, or directories containing it).
fn selected(d: &crate::diag::Diagnostic, sources: &SourceMap, only: &BTreeSet<PathBuf>) -> bool {
    let path = match d.span.and_then(|s| sources.get(s.file)) {
        Some(f) => f.path.clone().unwrap_or_else(|| PathBuf::from(&f.display)),
        None => match &d.path {
            Some(p) => PathBuf::from(p),
            None => return false,
        },
    };
    let path = canonical(&path);
    only.iter().any(|o| path.starts_with(o))
}

pub fn run(args: Args) -> u8 {
    if args.watch {
        return super::watch::run(args);
    }
    lint_once(&args)
}

/// One lint run over every PATH; the exit code is the worst of them.
pub fn lint_once(args: &Args) -> u8 {
    let targets = match targets(&args.paths) {
        Ok(t) => t,
        Err(e) => return fatal(e),
    };
    let mut code = super::EXIT_OK;
    for t in &targets {
        code = code.max(lint_target(args, t));
    }
    code
}

fn lint_target(args: &Args, target: &Target) -> u8 {
    let started = std::time::Instant::now();
    let deny = args.deny.is_some();
    match target {
        Target::V2(path) => {
            verbose(format_args!("linting StackPack 2.0 pack `{}`", path.display()));
            super::v2::lint(path, args.format, deny, &args.check)
        }
        Target::Classic(path) => {
            if args.check.stackstate_version.is_some() || args.check.baseline.is_some() {
                return fatal(
                    "--stackstate-version and --baseline check declarative packs: run `stackpack import` on this classic pack first",
                );
            }
            verbose(format_args!("linting classic pack `{}`", path.display()));
            let mut diags = Diagnostics::new();
            match crate::classic::lint::analyse(path, &mut diags) {
                Err(e) => fatal(e),
                Ok(None) => {
                    print_report(args.format, &diags, &SourceMap::new(), Some(1));
                    exit_code(&diags, deny).max(super::EXIT_FINDINGS)
                }
                Ok(Some(c)) => {
                    diags.sort(&c.files.sources);
                    let files = c.files.files.len();
                    print_report(args.format, &diags, &c.files.sources, Some(files));
                    exit_code(&diags, deny)
                }
            }
        }
        Target::Pack(root, only) => {
            verbose(format_args!("linting pack `{}`", root.display()));
            let (mut diags, sources) = match crate::pipeline::analyze(root, &args.check.options()) {
                Ok(Outcome::Analyzed(a)) => (a.diags, a.pack.sources),
                Ok(Outcome::Unusable { sources, diags }) => (diags, sources),
                Err(e) => return fatal(e),
            };
            let checked = match only {
                Some(only) => {
                    diags.retain(|d| selected(d, &sources, only));
                    let named = sources
                        .files()
                        .filter(|(_, f)| {
                            let p = f.path.clone().unwrap_or_else(|| PathBuf::from(&f.display));
                            let p = canonical(&p);
                            only.iter().any(|o| p.starts_with(o))
                        })
                        .count();
                    named.max(only.len().min(1))
                }
                None => sources.files().count(),
            };
            print_report(args.format, &diags, &sources, Some(checked));
            verbose(format_args!(
                "checked {} source files of `{}` in {} ms",
                sources.files().count(),
                root.display(),
                started.elapsed().as_millis()
            ));
            exit_code(&diags, deny)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_tidied_lexically() {
        assert_eq!(tidy(Path::new("./a/./b/..")), PathBuf::from("a"));
        assert_eq!(tidy(Path::new("./..")), PathBuf::from(".."));
        assert_eq!(tidy(Path::new("../..")), PathBuf::from("../.."));
        assert_eq!(tidy(Path::new("a/..")), PathBuf::from("."));
        assert_eq!(tidy(Path::new("")), PathBuf::from("."));
    }
}
