//! Stage 3, **check**: rules over the typed model → diagnostics.
//!
//! `lint` and `build` run the same checks: `build` refuses to write an archive when any
//! finding is an error. One file per area: [`manifest`] (SP1xx), [`refs`] (SP2xx),
//! [`templates`] (SP3xx), [`views`] and [`stql`] (SP4xx), [`hygiene`] (SP9xx).

pub mod conventions;
pub mod hygiene;
pub mod manifest;
pub mod refs;
pub mod rules;
pub mod scripts;
pub mod stql;
pub mod sync_json;
pub mod templates;
pub mod views;

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
    manifest::check(pack, &mut diags);
    refs::check(pack, &mut diags);
    let reached = templates::check(pack, &mut diags);
    scripts::check(pack, &mut diags);
    conventions::check(pack, &mut diags);
    views::check(pack, &mut diags);
    sync_json::check(pack, &mut diags);
    hygiene::check(pack, &reached, &mut diags);
    let mut diags = refs::group_undeclared(diags);
    diags.extend(crate::compat::check(
        pack,
        opts.stackstate_version.as_ref(),
        opts.baseline.as_deref(),
    ));
    diags
}

/// Load-stage errors after which part of the model is missing (a file that did not parse, a
/// node dropped for a missing or mistyped field): "unused" findings are then unreliable.
const MODEL_INCOMPLETE: [&str; 6] = ["SP001", "SP002", "SP005", "SP006", "SP007", "SP008"];

/// Drop findings whose code the manifest allows. Errors that make the output invalid cannot be
/// allowed away: only warnings and infos are suppressible. Entries without a reason suppress
/// nothing (SP107 reports them).
///
/// Also drops the unused-node and unused-file warnings (SP901, SP902) when a load-stage error
/// left part of the model unread: the references that would use those nodes and files may be
/// in what was lost, and the errors come first anyway.
pub fn apply_allow(pack: &Pack, diags: &mut Diagnostics) {
    let incomplete = diags
        .iter()
        .any(|d| d.severity == Severity::Error && MODEL_INCOMPLETE.contains(&d.code));
    if incomplete {
        diags.retain(|d| d.code != rules::UNUSED_NODE.code && d.code != rules::UNUSED_FILE.code);
    }
    let allowed: Vec<&str> = pack
        .manifest
        .lint
        .allow
        .iter()
        .filter(|a| !a.reason.value.trim().is_empty())
        .map(|a| a.code.value.as_str())
        .collect();
    if allowed.is_empty() {
        return;
    }
    diags.retain(|d: &Diagnostic| !(d.severity != Severity::Error && allowed.contains(&d.code)));
}

/// A Groovy (Java) identifier: what a script can use as a variable name.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}
