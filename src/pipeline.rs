//! The one analysis `lint` and `build` share: load → model → changelog → check, then the pack's
//! allow list, with the findings sorted. `build` continues to compile and archive only when
//! none of these findings is an error, so it refuses exactly what `lint` reports as errors.

use crate::changelog::Changelog;
use crate::check::{self, CheckOptions};
use crate::diag::Diagnostics;
use crate::load::LoadError;
use crate::model::Pack;
use crate::source::SourceMap;
use std::path::Path;

/// A pack that could be modelled, with everything found about it.
#[derive(Debug)]
pub struct Analysis {
    pub pack: Pack,
    pub changelog: Option<Changelog>,
    pub diags: Diagnostics,
}

/// What [`analyze`] found.
#[derive(Debug)]
pub enum Outcome {
    Analyzed(Box<Analysis>),
    /// The manifest is unusable (unparsable, or without name or version): only these findings.
    Unusable {
        sources: SourceMap,
        diags: Diagnostics,
    },
}

/// Run every check on the pack in `dir`. I/O failures before any content is read are `Err`
/// (exit code 2); everything about the content is a finding.
pub fn analyze(dir: &Path, opts: &CheckOptions) -> Result<Outcome, LoadError> {
    let mut diags = Diagnostics::new();
    match crate::model::load_pack(dir, &mut diags)? {
        Err(sources) => {
            diags.sort(&sources);
            crate::diag::cascade::limit(&mut diags, &sources);
            Ok(Outcome::Unusable { sources, diags })
        }
        Ok(mut pack) => {
            let (changelog, changelog_diags) = crate::changelog::load_and_check(&mut pack);
            diags.extend(changelog_diags);
            // `--baseline` runs apart: between releases the manifest keeps the last released
            // version while the pending fragments already decide the next one.
            let mut rest = opts.clone();
            let baseline = rest.baseline.take();
            diags.extend(check::run(&pack, &rest));
            diags.extend(crate::changelog::journal::pending_findings(dir));
            if let Some(b) = baseline {
                diags.extend(baseline_findings(&mut pack, changelog.as_ref(), &b));
            }
            // Per-location `# stackpack: allow CODE reason` comments, then the pack-wide allow
            // list (which can also allow the suppression rules' own findings).
            crate::diag::suppress::apply(&pack.sources, &mut diags);
            check::apply_allow(&pack, &mut diags);
            diags.sort(&pack.sources);
            crate::diag::cascade::limit(&mut diags, &pack.sources);
            Ok(Outcome::Analyzed(Box::new(Analysis { pack, changelog, diags })))
        }
    }
}

/// `--baseline` against the version being released: the manifest's, or, when unreleased
/// fragments imply a greater one (what `stackpack release` will write), that one, said in a note.
fn baseline_findings(pack: &mut Pack, changelog: Option<&Changelog>, baseline: &Path) -> Diagnostics {
    let manifest = pack.manifest.version.value.clone();
    let implied = changelog
        .filter(|cl| !cl.fragments.is_empty())
        .map(|cl| cl.next_version(&manifest, None))
        .filter(|v| *v > manifest);
    let Some(implied) = implied else {
        return crate::diff::check_baseline(pack, baseline);
    };
    pack.manifest.version.value = implied.clone();
    let mut found = crate::diff::check_baseline(pack, baseline);
    pack.manifest.version.value = manifest.clone();
    for d in found.iter_mut() {
        d.notes.push(format!(
            "{implied} is the version the unreleased changelog fragments imply (`stackpack release` sets it); the manifest still says {manifest}"
        ));
    }
    found
}
