//! The one analysis `lint` and `build` share: load → model → changelog → check, then the pack's
//! allow list, with the findings sorted ([`analyze`], or its halves [`load`] and
//! [`check_loaded`]). `build` publishes an archive only when none of these findings is an error,
//! so it refuses exactly what `lint` reports as errors; it compiles and deflates while the
//! checks run ([`check_loaded_shared`] on a second thread) and drops the unpublished archive
//! when they refuse.

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
    Ok(match load(dir)? {
        Loaded::Unusable { sources, diags } => Outcome::Unusable { sources, diags },
        Loaded::Pack(mut l) => {
            let diags = check_loaded(&mut l.pack, l.changelog.as_ref(), l.diags, dir, opts);
            Outcome::Analyzed(Box::new(Analysis {
                pack: l.pack,
                changelog: l.changelog,
                diags,
            }))
        }
    })
}

/// A pack read and modelled, with its changelog, before the checks.
#[derive(Debug)]
pub struct LoadedPack {
    pub pack: Pack,
    pub changelog: Option<Changelog>,
    /// Findings of loading, modelling and the changelog.
    pub diags: Diagnostics,
}

/// What [`load`] found.
#[derive(Debug)]
pub enum Loaded {
    Pack(Box<LoadedPack>),
    /// The manifest is unusable: only these findings (sorted, cascade-limited).
    Unusable {
        sources: SourceMap,
        diags: Diagnostics,
    },
}

/// The first half of [`analyze`]: load, model and read the changelog of the pack in `dir`.
/// `build` compiles the loaded pack while [`check_loaded`] runs (the archive is published only
/// if the checks allow it).
pub fn load(dir: &Path) -> Result<Loaded, LoadError> {
    let mut diags = Diagnostics::new();
    match crate::model::load_pack(dir, &mut diags)? {
        Err(sources) => {
            diags.sort(&sources);
            crate::diag::cascade::limit(&mut diags, &sources);
            Ok(Loaded::Unusable { sources, diags })
        }
        Ok(mut pack) => {
            let (changelog, changelog_diags) = crate::changelog::load_and_check(&mut pack);
            diags.extend(changelog_diags);
            Ok(Loaded::Pack(Box::new(LoadedPack { pack, changelog, diags })))
        }
    }
}

/// The second half of [`analyze`]: every check on a loaded pack, then suppressions and the
/// allow list, sorted and cascade-limited. `diags` are the findings of [`load`]. Only
/// `--baseline` needs the pack mutably; without it, [`check_loaded_shared`] does the same
/// through a shared reference.
pub fn check_loaded(
    pack: &mut Pack,
    changelog: Option<&Changelog>,
    mut diags: Diagnostics,
    dir: &Path,
    opts: &CheckOptions,
) -> Diagnostics {
    // `--baseline` runs apart: between releases the manifest keeps the last released version
    // while the pending fragments already decide the next one.
    let mut rest = opts.clone();
    let baseline = rest.baseline.take();
    diags.extend(check::run(pack, &rest));
    diags.extend(crate::changelog::journal::pending_findings(dir));
    if let Some(b) = baseline {
        diags.extend(baseline_findings(pack, changelog, &b));
    }
    finish(pack, diags)
}

/// [`check_loaded`] for options without `--baseline` (which would need the pack mutably): what
/// `build` runs beside the compiler.
pub fn check_loaded_shared(pack: &Pack, mut diags: Diagnostics, dir: &Path, opts: &CheckOptions) -> Diagnostics {
    debug_assert!(opts.baseline.is_none());
    diags.extend(check::run(pack, opts));
    diags.extend(crate::changelog::journal::pending_findings(dir));
    finish(pack, diags)
}

/// Per-location `# stackpack: allow CODE reason` comments, then the pack-wide allow list (which
/// can also allow the suppression rules' own findings); sorted and cascade-limited.
fn finish(pack: &Pack, mut diags: Diagnostics) -> Diagnostics {
    crate::diag::suppress::apply(&pack.sources, &mut diags);
    check::apply_allow(pack, &mut diags);
    diags.sort(&pack.sources);
    crate::diag::cascade::limit(&mut diags, &pack.sources);
    diags
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
