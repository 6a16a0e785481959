//! `stackpack fmt [PATH]... [--check]`: rewrite the pack's YAML and TOML sources in their
//! canonical layout (`crate::fmt`). Never run implicitly by another command.
//!
//! Without PATH: the pack containing the current directory (and its changelog), a declarative
//! or a StackPack 2.0 pack (`stackpack.yaml`, `settings/**/*.sty`). A PATH may be a
//! pack, a directory (its YAML/TOML files) or single files. `--check` writes nothing, lists the
//! files that would change and exits 1 when there is one.

use super::lint::{find_pack, Target};
use super::output::{fatal, settings, write_stderr};
use crate::diag::escape::escape;
use crate::fmt::{format_file, kind_of, pack_sources, sources_below, Outcome};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packs, directories or YAML/TOML files (default: the pack containing the current
    /// directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit 1 if there is one.
    #[arg(long)]
    pub check: bool,
}

fn files_of(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    if paths.is_empty() {
        match find_pack(Path::new("."))? {
            Target::Pack(root, _) => out.extend(pack_sources(&root)?),
            Target::Classic(root) => {
                return Err(format!(
                    "`{}` is a classic pack: `fmt` formats declarative sources (`stackpack import` converts it)",
                    root.display()
                ))
            }
            Target::V2(root) => out.extend(pack_sources(&root)?),
        }
        return Ok(out);
    }
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        if meta.is_dir() {
            if p.join(crate::load::MANIFEST).is_file() || crate::v2::load::is_v2(p) {
                out.extend(pack_sources(p)?);
            } else {
                out.extend(sources_below(p)?);
            }
        } else if kind_of(p).is_some() {
            out.push(p.clone());
        } else {
            return Err(format!("`{}` is not a YAML or TOML file", p.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub fn run(args: Args) -> u8 {
    let files = match files_of(&args.paths) {
        Ok(f) => f,
        Err(e) => return fatal(e),
    };
    let quiet = settings().quiet;
    let (mut changed, mut failed) = (0usize, 0usize);
    for f in &files {
        let shown = escape(&super::lint::tidy(f).display().to_string()).into_owned();
        match format_file(f, args.check) {
            Ok(Outcome::Unchanged) => {}
            Ok(Outcome::Changed) => {
                changed += 1;
                if args.check {
                    outln!("would reformat {shown}");
                } else if !quiet {
                    outln!("formatted {shown}");
                }
            }
            Err(e) => {
                failed += 1;
                write_stderr(format_args!("error: `{shown}` {e}\n"));
            }
        }
    }
    if !quiet {
        let verb = if args.check {
            "would be reformatted"
        } else {
            "reformatted"
        };
        write_stderr(format_args!(
            "{changed} of {} {} {verb}{}\n",
            files.len(),
            if files.len() == 1 { "file" } else { "files" },
            if failed > 0 {
                format!(", {failed} left alone")
            } else {
                String::new()
            }
        ));
    }
    if failed > 0 || (args.check && changed > 0) {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
