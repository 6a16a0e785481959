//! Stage 3, **check**: rules over the typed model → diagnostics.
//!
//! `lint` and `build` run the same checks: `build` refuses to write an archive when any
//! finding is an error.

pub mod rules;

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::model::Pack;

/// What the checks should assume about the environment.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// `--stackstate-version`: check against this one server version instead of the declared range.
    pub stackstate_version: Option<semver::Version>,
    /// `--baseline`: the previous release (`.sts` or pack directory) to check the version bump against.
    pub baseline: Option<std::path::PathBuf>,
}

/// Run every rule over `pack`. Callers apply [`apply_allow`] to these findings together with
/// those of the load and model stages.
pub fn run(pack: &Pack, opts: &CheckOptions) -> Diagnostics {
    let mut diags = Diagnostics::new();
    diags.extend(crate::compat::check(pack, opts));
    diags
}

/// Drop findings whose code the manifest allows. Errors that make the output invalid cannot be
/// allowed away: only warnings and infos are suppressible.
pub fn apply_allow(pack: &Pack, diags: &mut Diagnostics) {
    let allowed: Vec<&str> = pack.manifest.lint.allow.iter().map(|a| a.code.value.as_str()).collect();
    if allowed.is_empty() {
        return;
    }
    diags.retain(|d: &Diagnostic| !(d.severity != Severity::Error && allowed.contains(&d.code)));
}
