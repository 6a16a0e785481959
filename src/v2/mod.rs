//! StackPack 2.0 (SUSE Observability): `stackpack.yaml` plus `settings/**/*.sty` YAML nodes,
//! Markdown hints under `includes/`, icons and resources, linked by `!include`, `!icon` and
//! `!resource`. A format beside the declarative v1 (`crate::load` … `crate::compile`) and the
//! classic v1 (`crate::classic`) ones, sharing `source`, `diag`, `archive` and `diff`.
//!
//! ```text
//! load (dir or .sts → spanned YAML with tags) → check (schema data, references, CEL/STQL/PromQL,
//!      hints, versions) → build (allow-listed, reproducible .sts) · diff (semver verdict) · edit
//! ```

pub mod build;
pub mod changelog;
pub mod check;
pub mod diff;
pub mod edit;
pub mod inspect;
pub mod load;
pub mod release;
pub mod rules;
pub mod schema;
pub mod targets;
pub mod yaml;

pub use load::{is_v2, OpenError, Pack};

use crate::diag::Diagnostics;
use std::path::{Path, PathBuf};

/// Options of `lint` and `build` for 2.0 packs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Check against one server version (overrides `stackpack-targets.toml`).
    pub server_version: Option<semver::Version>,
    /// The previous release, for the version-bump check.
    pub baseline: Option<PathBuf>,
}

/// A loaded and checked pack.
#[derive(Debug)]
pub struct Analysis {
    pub pack: Pack,
    pub diags: Diagnostics,
}

/// Load and check the 2.0 pack at `path` (directory or `.sts`).
pub fn analyze(path: &Path, opts: &Options) -> Result<Analysis, OpenError> {
    let mut diags = Diagnostics::new();
    let mut pack = load::open(path, &mut diags)?;
    let (_, changelog_diags) = changelog::load_and_check(&mut pack);
    diags.extend(changelog_diags);
    let targets = targets::read(&pack, opts.server_version.as_ref(), &mut diags);
    check::run(&pack, &targets, &mut diags);
    if path.is_dir() {
        diags.extend(crate::changelog::journal::pending_findings(path));
    }
    if let Some(b) = &opts.baseline {
        diags.extend(diff::baseline_findings(&pack, b));
    }
    diags.sort(&pack.sources);
    Ok(Analysis { pack, diags })
}
