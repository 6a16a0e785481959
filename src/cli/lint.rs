//! `stackpack lint [DIR]`: load, model and check a pack (`crate::pipeline`, the same analysis
//! `build` runs); print located findings.

use super::output::{exit_code, fatal, print_diagnostics};
use crate::check::CheckOptions;
use crate::diag::render::Format;
use crate::pipeline::Outcome;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack directory (holding `stackpack.toml`), or a classic pack: a directory holding
    /// `stackpack.conf` or a `.sts` archive.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as failures (`--deny warnings`).
    #[arg(long, value_parser = ["warnings"])]
    pub deny: Option<String>,
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

pub fn run(args: Args) -> u8 {
    if crate::v2::is_v2(&args.dir) {
        return super::v2::lint(&args.dir, args.format, args.deny.is_some(), &args.check);
    }
    if crate::classic::is_classic(&args.dir) {
        if args.check.stackstate_version.is_some() || args.check.baseline.is_some() {
            return fatal(
                "--stackstate-version and --baseline check declarative packs: run `stackpack import` on this classic pack first",
            );
        }
        return crate::classic::lint::run(&args.dir, args.format, args.deny.is_some());
    }
    let (diags, sources) = match crate::pipeline::analyze(&args.dir, &args.check.options()) {
        Ok(Outcome::Analyzed(a)) => (a.diags, a.pack.sources),
        Ok(Outcome::Unusable { sources, diags }) => (diags, sources),
        Err(e) => return fatal(e),
    };
    print_diagnostics(args.format, &diags, &sources);
    exit_code(&diags, args.deny.is_some())
}
