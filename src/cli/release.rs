//! `stackpack release [DIR]`: fold the unreleased fragments into a new release file, set the
//! manifest version, delete the fragments, atomically.

use super::changelog_cmd::load_locked;
use super::output::{fatal, print_diagnostics};
use crate::changelog::seam::PackSeam;
use crate::changelog::write::{plan, release, ReleaseOptions, WriteError};
use crate::changelog::{date, Bump, Changelog};
use crate::diag::render::Format;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BumpArg {
    /// From the kinds of the unreleased changes.
    Auto,
    Major,
    Minor,
    Patch,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack directory (holding `stackpack.toml`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Which part of the version to increment.
    #[arg(long, value_enum, default_value_t = BumpArg::Auto)]
    pub bump: BumpArg,
    /// Release date, YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Print the version and the release notes that `release` would write, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args) -> u8 {
    if crate::v2::is_v2(&args.dir) {
        return super::v2::release(&args.dir, args.bump, args.date.as_deref(), args.dry_run);
    }
    let day = match args.date.as_deref().map(date::parse).transpose() {
        Ok(d) => d,
        Err(e) => return fatal(format!("--date: {e}")),
    };
    // The lock is held until the release is written: a concurrent `release` waits and then
    // sees this one's result.
    let (_lock, l) = match load_locked(&args.dir, Format::Human) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut diags = l.pack_diags;
    diags.extend(crate::check::run(&l.pack, &crate::check::CheckOptions::default()));
    diags.extend(l.changelog_diags);
    crate::check::apply_allow(&l.pack, &mut diags);
    diags.sort(&l.pack.sources);
    print_diagnostics(Format::Human, &diags, &l.pack.sources);
    if diags.has_errors() {
        eprintln!("error: not releasing: fix the errors above first");
        return super::EXIT_FINDINGS;
    }
    let Some(cl) = &l.changelog else {
        eprintln!("error: nothing to release: the pack has no changelog; add a change with `stackpack changelog add`");
        return super::EXIT_FINDINGS;
    };
    fold(&l.pack, cl, &options(args.bump, day), args.dry_run)
}

/// The release options of the command line.
pub(crate) fn options(bump: BumpArg, date: Option<date::Date>) -> ReleaseOptions {
    ReleaseOptions {
        bump: match bump {
            BumpArg::Auto => None,
            BumpArg::Major => Some(Bump::Major),
            BumpArg::Minor => Some(Bump::Minor),
            BumpArg::Patch => Some(Bump::Patch),
        },
        date,
    }
}

/// Plan the release of `pack` (any format) and print it (`dry_run`: nothing written), or apply
/// it through the journal. The caller holds the pack's lock.
pub(crate) fn fold(pack: &dyn PackSeam, cl: &Changelog, opts: &ReleaseOptions, dry_run: bool) -> u8 {
    let manifest = if pack.manifest_file() == crate::load::MANIFEST {
        "the manifest version".to_string()
    } else {
        format!("the version in {}", pack.manifest_file())
    };
    // Releasing the manifest's own version as the first release is right for a new pack, and
    // wrong for a published one that starts a changelog: say how to get the next version.
    let first = |version: &dyn std::fmt::Display| {
        if cl.newest().is_none() && opts.bump.is_none() {
            eprintln!(
                "note: changelog/releases/ has no earlier release, so {version} (the version the pack already has) is the first release; if {version} is already published, release with `--bump patch` (or minor, major) instead"
            );
        }
    };
    if dry_run {
        return match plan(pack, cl, opts) {
            Ok(p) => {
                println!(
                    "would release {} ({}): write {}, set {manifest}, remove {} fragment{} (dry run: nothing written)",
                    p.version,
                    p.date,
                    super::changelog_cmd::clean(&p.release_file),
                    p.removed.len(),
                    if p.removed.len() == 1 { "" } else { "s" }
                );
                print!("{}", p.release_text);
                first(&p.version);
                super::EXIT_OK
            }
            Err(WriteError::Refused(m)) => {
                eprintln!("error: {m}");
                super::EXIT_FINDINGS
            }
            Err(WriteError::Io(m)) => fatal(m),
        };
    }
    match release(pack, cl, opts) {
        Ok(r) => {
            outln!(
                "released {} ({}): wrote {}, set {manifest}, removed {} fragment{}",
                r.version,
                r.date,
                super::changelog_cmd::clean(&r.release_file),
                r.removed.len(),
                if r.removed.len() == 1 { "" } else { "s" }
            );
            first(&r.version);
            super::EXIT_OK
        }
        Err(WriteError::Refused(m)) => {
            eprintln!("error: {m}");
            super::EXIT_FINDINGS
        }
        Err(WriteError::Io(m)) => fatal(m),
    }
}
