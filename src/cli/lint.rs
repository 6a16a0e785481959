//! `stackpack lint [DIR]`: load, model and check a pack; print located findings.

use super::output::{exit_code, fatal, print_diagnostics};
use crate::check::{self, CheckOptions};
use crate::diag::render::Format;
use crate::diag::Diagnostics;
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
    /// Check against one StackState server version ("will this install on X?"), e.g. `4.2.0`.
    #[arg(long, value_name = "X", value_parser = crate::model::version::parse_stackstate)]
    pub stackstate_version: Option<semver::Version>,
    /// The previous release (`.sts` or pack directory): fail when the version bump is smaller
    /// than the changes since it need.
    #[arg(long, value_name = "OLD")]
    pub baseline: Option<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    if crate::classic::is_classic(&args.dir) {
        return crate::classic::lint::run(&args.dir, args.format, args.deny.is_some());
    }
    let mut diags = Diagnostics::new();
    let pack = match crate::model::load_pack(&args.dir, &mut diags) {
        Ok(p) => p,
        Err(e) => return fatal(e),
    };
    let deny_warnings = args.deny.is_some();
    match pack {
        Ok(pack) => {
            let opts = CheckOptions {
                stackstate_version: args.stackstate_version.clone(),
                baseline: args.baseline.clone(),
            };
            diags.extend(check::run(&pack, &opts));
            check::apply_allow(&pack, &mut diags);
            diags.sort(&pack.sources);
            print_diagnostics(args.format, &diags, &pack.sources);
        }
        Err(sources) => {
            diags.sort(&sources);
            print_diagnostics(args.format, &diags, &sources);
        }
    }
    exit_code(&diags, deny_warnings)
}
