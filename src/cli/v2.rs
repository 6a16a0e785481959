//! The commands on StackPack 2.0 packs (directories with `stackpack.yaml`, 2.0 `.sts`): the
//! printing and exit codes around [`crate::v2`]. Each command's `run` hands a 2.0 input here.

use super::output::{exit_code, fatal, print_diagnostics};
use crate::diag::render::Format;
use crate::v2;
use std::path::Path;

fn options(check: &super::lint::CheckArgs) -> v2::Options {
    v2::Options {
        server_version: check.stackstate_version.clone(),
        baseline: check.baseline.clone(),
    }
}

/// `lint` on a 2.0 pack.
pub fn lint(dir: &Path, format: Format, deny_warnings: bool, check: &super::lint::CheckArgs) -> u8 {
    match v2::analyze(dir, &options(check)) {
        Ok(a) => {
            print_diagnostics(format, &a.diags, &a.pack.sources);
            exit_code(&a.diags, deny_warnings)
        }
        Err(e) => fatal(e),
    }
}

/// `build` on a 2.0 pack: nothing is written when lint finds errors.
pub fn build(dir: &Path, out: &Path, format: Format, check: &super::lint::CheckArgs) -> u8 {
    let a = match v2::analyze(dir, &options(check)) {
        Ok(a) => a,
        Err(e) => return fatal(e),
    };
    print_diagnostics(format, &a.diags, &a.pack.sources);
    if a.diags.has_errors() {
        eprintln!("error: not building: fix the errors above first");
        return super::EXIT_FINDINGS;
    }
    if let v2::load::Origin::Archive(_) = a.pack.origin {
        return fatal("build takes a 2.0 pack directory, not an archive");
    }
    match v2::build::write(&a.pack, out, crate::archive::write::build_epoch()) {
        Ok(path) => {
            if format == Format::Human {
                println!("{}", path.display());
            } else {
                eprintln!("{}", path.display());
            }
            super::EXIT_OK
        }
        Err(e) => fatal(e),
    }
}

/// `inspect` on a 2.0 pack or archive.
pub fn inspect(path: &Path, json: bool) -> u8 {
    let mut diags = crate::diag::Diagnostics::new();
    let pack = match v2::load::open(path, &mut diags) {
        Ok(p) => p,
        Err(e) => return fatal(e),
    };
    let s = v2::inspect::summary(&pack);
    if json {
        match serde_json::to_string_pretty(&s) {
            Ok(t) => println!("{t}"),
            Err(e) => return fatal(e),
        }
    } else {
        print!("{}", v2::inspect::render_human(&s));
    }
    super::EXIT_OK
}

/// `diff` between two 2.0 packs or archives.
pub fn diff(old: &Path, new: &Path, json: bool) -> u8 {
    let report = match v2::diff::diff_paths_of(old, new) {
        Ok(r) => r,
        Err(e) => return fatal(e),
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(t) => println!("{t}"),
            Err(e) => return fatal(e),
        }
    } else {
        print!("{}", crate::diff::render_human(&report));
    }
    if report.ok {
        super::EXIT_OK
    } else {
        super::EXIT_FINDINGS
    }
}

/// `release` on a 2.0 pack: lint, then set `stackpack.yaml`'s version (comments and formatting
/// kept).
pub fn release(dir: &Path, bump: Option<crate::diff::Bump>) -> u8 {
    let a = match v2::analyze(dir, &v2::Options::default()) {
        Ok(a) => a,
        Err(e) => return fatal(e),
    };
    print_diagnostics(Format::Human, &a.diags, &a.pack.sources);
    if a.diags.has_errors() {
        eprintln!("error: not releasing: fix the errors above first");
        return super::EXIT_FINDINGS;
    }
    let Some(bump) = bump else {
        eprintln!("error: a 2.0 pack has no changelog to derive the bump from yet: pass --bump major|minor|patch");
        return super::EXIT_USAGE;
    };
    match v2::release::bump_version(dir, bump) {
        Ok((old, new)) => {
            println!("released {new} (was {old}): set the version in stackpack.yaml");
            super::EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e} (nothing was changed)");
            super::EXIT_FINDINGS
        }
    }
}
