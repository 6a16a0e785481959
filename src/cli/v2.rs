//! The commands on StackPack 2.0 packs (directories with `stackpack.yaml`, 2.0 `.sts`): the
//! printing and exit codes around [`crate::v2`]. Each command's `run` hands a 2.0 input here.

use super::output::{exit_code, fatal, print_diagnostics, print_report, verbose, write_stderr};
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
            // A clean human run says "ok: no findings in N files", as for 1.x packs.
            print_report(format, &a.diags, &a.pack.sources, Some(a.pack.sources.files().count()));
            exit_code(&a.diags, deny_warnings)
        }
        Err(e) => fatal(e),
    }
}

/// `build` on a 2.0 pack: nothing is written when lint finds errors, or with `deny_warnings`
/// warnings. `out_dir` and `out_file` are `--out` resolved as for 1.x packs (a directory, or
/// exactly `FILE.sts`). The output is that of the 1.x build: the findings in `format`, the
/// archive's path on stdout (human) or in the JSON's `archive` (then also on stderr).
pub fn build(
    dir: &Path,
    out_dir: &Path,
    out_file: Option<&str>,
    format: Format,
    deny_warnings: bool,
    check: &super::lint::CheckArgs,
) -> u8 {
    verbose(format_args!("building StackPack 2.0 pack `{}`", dir.display()));
    let a = match v2::analyze(dir, &options(check)) {
        Ok(a) => a,
        Err(e) => return fatal(e),
    };
    let warnings = a.diags.count(crate::diag::Severity::Warning);
    if a.diags.has_errors() || (deny_warnings && warnings > 0) {
        print_diagnostics(format, &a.diags, &a.pack.sources);
        if a.diags.has_errors() {
            write_stderr(format_args!("error: not building: fix the errors above first\n"));
        } else {
            write_stderr(format_args!(
                "error: not building: --deny warnings and the pack has warnings\n"
            ));
        }
        return super::EXIT_FINDINGS;
    }
    if let v2::load::Origin::Archive(_) = a.pack.origin {
        return fatal("build takes a 2.0 pack directory, not an archive");
    }
    let path = match v2::build::write(&a.pack, out_dir, out_file, crate::archive::write::build_epoch()) {
        Ok(path) => path,
        Err(e) => {
            print_diagnostics(format, &a.diags, &a.pack.sources);
            return fatal(e);
        }
    };
    match format {
        Format::Human => {
            print_diagnostics(format, &a.diags, &a.pack.sources);
            outln!("{}", path.display());
        }
        Format::Json => {
            let mut v = crate::diag::render::json::to_value(&a.diags, &a.pack.sources);
            v["archive"] = serde_json::json!(path.display().to_string());
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            write_stderr(format_args!("{}\n", path.display()));
        }
        _ => {
            print_diagnostics(format, &a.diags, &a.pack.sources);
            write_stderr(format_args!("{}\n", path.display()));
        }
    }
    super::EXIT_OK
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
        // 2.0 has no instance scope: every node would read "shared".
        let opts = crate::diff::HumanOptions { scope: false };
        print!("{}", crate::diff::render_human_with(&report, opts));
    }
    if report.ok {
        super::EXIT_OK
    } else {
        super::EXIT_FINDINGS
    }
}

/// A 2.0 pack directory loaded (and linted) for a command that writes, with its lock held.
pub(crate) struct Locked {
    _lock: Option<crate::changelog::journal::Lock>,
    pub analysis: v2::Analysis,
    pub changelog: Option<crate::changelog::Changelog>,
}

/// [`super::changelog_cmd::load_locked`] for 2.0 packs: take the lock of `stackpack.yaml`,
/// complete or undo an interrupted `release`/`changelog add` (saying so), then load and lint.
pub(crate) fn load_locked(dir: &Path) -> Result<Locked, u8> {
    let (lock, notes) = super::changelog_cmd::lock_and_recover(dir, v2::load::MANIFEST)?;
    let mut analysis = match v2::analyze(dir, &v2::Options::default()) {
        Ok(a) => a,
        Err(e) => return Err(fatal(e)),
    };
    if let v2::load::Origin::Archive(_) = analysis.pack.origin {
        return Err(fatal("this command takes a 2.0 pack directory, not an archive"));
    }
    // The changelog's findings are part of `analysis.diags` already.
    let (changelog, _) = v2::changelog::load_and_check(&mut analysis.pack);
    match v2::changelog::Seam::new(&mut analysis.pack) {
        Some(seam) => super::changelog_cmd::recover_changelog(dir, &seam, changelog.as_ref(), notes)?,
        None => return Err(fatal("this command takes a 2.0 pack directory, not an archive")),
    }
    Ok(Locked {
        _lock: lock,
        analysis,
        changelog,
    })
}

/// `release` on a 2.0 pack: lint, then fold the changelog's unreleased fragments into a
/// release (when the pack has a changelog) and set `stackpack.yaml`'s version, comments and
/// formatting kept, through the same lock, plan and journal as 1.x packs. Without a changelog,
/// `--bump` says how to bump. `--dry-run` writes nothing.
pub fn release(dir: &Path, bump: super::release::BumpArg, date: Option<&str>, dry_run: bool) -> u8 {
    use super::release::BumpArg;
    let day = match date.map(crate::changelog::date::parse).transpose() {
        Ok(d) => d,
        Err(e) => return fatal(format!("--date: {e}")),
    };
    // Held until the release is written.
    let mut l = match load_locked(dir) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let a = &mut l.analysis;
    print_diagnostics(Format::Human, &a.diags, &a.pack.sources);
    if a.diags.has_errors() {
        eprintln!("error: not releasing: fix the errors above first");
        return super::EXIT_FINDINGS;
    }
    let Some(cl) = &l.changelog else {
        let bump = match bump {
            BumpArg::Auto => {
                eprintln!("error: the pack has no changelog/ to derive the bump from: add one (`stackpack changelog add`) or pass --bump major|minor|patch");
                return super::EXIT_FINDINGS;
            }
            BumpArg::Major => crate::diff::Bump::Major,
            BumpArg::Minor => crate::diff::Bump::Minor,
            BumpArg::Patch => crate::diff::Bump::Patch,
        };
        if dry_run {
            return match v2::release::next_version(dir, bump) {
                Ok((old, new)) => {
                    println!(
                        "would release {new} (was {old}): set the version in stackpack.yaml (dry run: nothing written)"
                    );
                    super::EXIT_OK
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    super::EXIT_FINDINGS
                }
            };
        }
        return match v2::release::bump_version(dir, bump) {
            Ok((old, new)) => {
                println!("released {new} (was {old}): set the version in stackpack.yaml");
                super::EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e} (nothing was changed)");
                super::EXIT_FINDINGS
            }
        };
    };
    let Some(seam) = v2::changelog::Seam::new(&mut a.pack) else {
        return fatal("release takes a 2.0 pack directory");
    };
    super::release::fold(&seam, cl, &super::release::options(bump, day), dry_run)
}

/// `release-notes` on a 2.0 pack: the same renderings as for 1.x packs.
pub fn release_notes(args: &super::release_notes::Args) -> u8 {
    use crate::changelog::render::{notes, render, Select};
    let mut a = match v2::analyze(&args.dir, &v2::Options::default()) {
        Ok(a) => a,
        Err(e) => return fatal(e),
    };
    let (changelog, diags) = v2::changelog::load_and_check(&mut a.pack);
    print_diagnostics(Format::Human, &diags, &a.pack.sources);
    if diags.has_errors() {
        return super::EXIT_FINDINGS;
    }
    let Some(cl) = changelog else {
        eprintln!("error: `{}` has no changelog/ directory", args.dir.display());
        return super::EXIT_FINDINGS;
    };
    let select = Select {
        since: args.since.clone(),
        version: args.version.clone(),
        unreleased: args.unreleased,
    };
    let Some(seam) = v2::changelog::Seam::new(&mut a.pack) else {
        return fatal("release-notes takes a 2.0 pack directory");
    };
    let n = notes(&seam, &cl, &select);
    if let Some(v) = &args.version {
        if n.releases.is_empty() {
            eprintln!("error: the changelog has no release {v}");
            return super::EXIT_FINDINGS;
        }
    }
    match render(&n, args.format, args.templates.as_deref()) {
        Ok(text) => {
            print!("{text}");
            super::EXIT_OK
        }
        Err(d) => {
            print_diagnostics(Format::Human, &d, &a.pack.sources);
            super::EXIT_FINDINGS
        }
    }
}
