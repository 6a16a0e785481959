//! Checks of a changelog against itself and against the manifest (SP603–SP610; the shape checks
//! SP600–SP604 are reported while loading).

use super::rules;
use super::seam::PackSeam;
use super::{bump_for, next_version, Changelog, Release, VersionBump};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{Span, Spanned};
use semver::Version;
use std::collections::BTreeMap;

/// Every semantic check of `changelog` (loaded for `pack` with [`super::load()`]). With no
/// changelog there is nothing to check.
pub fn check(pack: &dyn PackSeam, changelog: Option<&Changelog>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(cl) = changelog else {
        return diags;
    };
    versions_and_dates(cl, &mut diags);
    release_bumps(cl, &mut diags);
    manifest_version(pack, cl, &mut diags);
    for m in missing_bumps(pack, cl) {
        let cmd = m.command(&pack.root().display().to_string());
        let what = match &m.dependency {
            Some(d) => format!("dependency `{d}`"),
            None => "the minimum StackState version".to_string(),
        };
        let mut d = Diagnostic::new(
            &rules::UNANNOUNCED_BUMP,
            m.span,
            format!(
                "{what} changed from {} to {} since the last release, and no changelog entry says so",
                m.from, m.to
            ),
        )
        .label("changed since the last release")
        .help(format!(
            "run `{cmd}` (or `stackpack changelog add {} --sync` for every such change)",
            pack.root().display()
        ));
        if let Some(r) = m.recorded_at {
            d = d.related(r, "recorded here");
        }
        diags.push(d);
    }
    diags
}

/// Duplicates, dates that go backwards, empty releases.
fn versions_and_dates(cl: &Changelog, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&Version, &Release> = BTreeMap::new();
    for r in &cl.releases {
        let Some(v) = &r.version else { continue };
        if let Some(first) = seen.get(v) {
            diags.push(
                Diagnostic::new(
                    &rules::DUPLICATE_VERSION,
                    r.version_text.span,
                    format!("version {v} is released twice"),
                )
                .label("second release of this version")
                .related(first.version_text.span, "first released here")
                .help("each version is released once: remove one file, or give it the version it really had"),
            );
        } else {
            seen.insert(v, r);
        }
    }
    // Releases in version order, oldest first, one per version.
    let ordered: Vec<&Release> = seen.values().copied().collect();
    for pair in ordered.windows(2) {
        let (older, newer) = (pair[0], pair[1]);
        if !(older.date_valid && newer.date_valid) {
            continue;
        }
        if newer.date.value < older.date.value {
            diags.push(
                Diagnostic::new(
                    &rules::DATES_OUT_OF_ORDER,
                    newer.date.span,
                    format!(
                        "release {} is dated {}, before the older release {} ({})",
                        newer.version_text.value, newer.date.value, older.version_text.value, older.date.value
                    ),
                )
                .label("earlier than an older version")
                .related(older.date.span, "the older release's date")
                .help("versions and dates must increase together: correct one of the two dates"),
            );
        }
    }
    for r in &cl.releases {
        if r.written_entries == 0 {
            diags.push(
                Diagnostic::new(
                    &rules::EMPTY_RELEASE,
                    r.version_text.span,
                    format!("release {} has no entries", r.version_text.value),
                )
                .label("nothing to announce")
                .help("add at least one entry describing what changed"),
            );
        }
    }
}

/// The bump entries of `r` for `dependency` (`None`: the minimum StackState version).
fn bumps_for<'a>(r: &'a Release, dependency: Option<&'a str>) -> impl Iterator<Item = &'a VersionBump> + 'a {
    r.entries
        .iter()
        .filter_map(|e| e.bump.as_ref())
        .filter(move |b| b.dependency() == dependency)
}

/// A tracked version: (dependency or `None` for the minimum StackState version, recorded in
/// this release, recorded in the previous one).
type Tracked<'a> = (
    Option<&'a str>,
    Option<&'a Spanned<Version>>,
    Option<&'a Spanned<Version>>,
);

/// Releases whose recorded versions changed without a bump entry, and bump entries that
/// disagree with the recorded versions.
fn release_bumps(cl: &Changelog, diags: &mut Diagnostics) {
    let mut ordered: Vec<&Release> = cl.releases.iter().filter(|r| r.version.is_some()).collect();
    ordered.reverse();
    ordered.dedup_by(|a, b| a.version == b.version);
    for (i, newer) in ordered.iter().enumerate() {
        let older = i.checked_sub(1).and_then(|j| ordered.get(j)).copied();
        // (dependency, recorded now, recorded before)
        let mut tracked: Vec<Tracked> = vec![(
            None,
            newer.min_stackstate.as_ref(),
            older.and_then(|o| o.min_stackstate.as_ref()),
        )];
        for (name, v) in &newer.dependencies {
            tracked.push((
                Some(&name.value),
                Some(v),
                older.and_then(|o| o.dependency(&name.value)),
            ));
        }
        for e in &newer.entries {
            if let Some(VersionBump::Dependency { name, .. }) = &e.bump {
                if newer.dependency(&name.value).is_none() {
                    tracked.push((Some(&name.value), None, older.and_then(|o| o.dependency(&name.value))));
                }
            }
        }
        for (dep, now, before) in tracked {
            let what = match dep {
                Some(d) => format!("dependency `{d}`"),
                None => "the minimum StackState version".to_string(),
            };
            let mut any_bump = false;
            for b in bumps_for(newer, dep) {
                any_bump = true;
                if let Some(now) = now {
                    if b.to().value != now.value {
                        diags.push(
                            Diagnostic::new(
                                &rules::BUMP_DISAGREES,
                                b.to().span,
                                format!(
                                    "this entry bumps {what} to {}, but release {} records {}",
                                    b.to().value,
                                    newer.version_text.value,
                                    now.value
                                ),
                            )
                            .label("disagrees with the recorded version")
                            .related(now.span, "recorded here")
                            .help("correct the entry or the recorded version"),
                        );
                    }
                }
                if let (Some(from), Some(before)) = (b.from(), before) {
                    if from.value != before.value {
                        let older_v = older.map(|o| o.version_text.value.clone()).unwrap_or_default();
                        diags.push(
                            Diagnostic::new(
                                &rules::BUMP_DISAGREES,
                                from.span,
                                format!(
                                    "this entry bumps {what} from {}, but the previous release {older_v} records {}",
                                    from.value, before.value
                                ),
                            )
                            .label("disagrees with the previous release")
                            .related(before.span, "recorded here")
                            .help("correct the entry or the recorded version"),
                        );
                    }
                }
            }
            if let (Some(now), Some(before)) = (now, before) {
                if now.value != before.value && !any_bump {
                    let older_v = older.map(|o| o.version_text.value.clone()).unwrap_or_default();
                    let example = match dep {
                        Some(d) => format!(
                            "{{kind: improvement, bump: {{dependency: {d}, from: {}, to: {}}}}}",
                            before.value, now.value
                        ),
                        None => format!("{{kind: improvement, bump: {{stackstate-min: {}}}}}", now.value),
                    };
                    diags.push(
                        Diagnostic::new(
                            &rules::RELEASE_BUMP_MISSING,
                            now.span,
                            format!(
                                "release {} changes {what} from {} to {} without an entry saying so",
                                newer.version_text.value, before.value, now.value
                            ),
                        )
                        .label("changed since the previous release")
                        .related(before.span, format!("release {older_v} recorded this"))
                        .help(format!("add `- {example}` to the entries of this release")),
                    );
                }
            }
        }
    }
}

/// The manifest version is the newest release, or newer with fragments large enough for it.
fn manifest_version(pack: &dyn PackSeam, cl: &Changelog, diags: &mut Diagnostics) {
    let m = &pack.version();
    let Some((newest, nv)) = cl.newest() else {
        return;
    };
    let dir = pack.root().display();
    if m.value == *nv {
        return;
    }
    if m.value < *nv {
        diags.push(
            Diagnostic::new(
                &rules::MANIFEST_VERSION_MISMATCH,
                m.span,
                format!("manifest version {} is older than the newest release {nv}", m.value),
            )
            .label("behind the changelog")
            .related(newest.version_text.span, "newest release")
            .help(format!("set `version = \"{nv}\"` (versions only go up)")),
        );
        return;
    }
    if cl.fragments.is_empty() {
        diags.push(
            Diagnostic::new(
                &rules::MANIFEST_VERSION_MISMATCH,
                m.span,
                format!(
                    "manifest version {} is newer than the newest release {nv}, but no unreleased change describes it",
                    m.value
                ),
            )
            .label("not in the changelog")
            .related(newest.version_text.span, "newest release")
            .help(format!(
                "describe the changes with `stackpack changelog add {dir} --kind <kind> \"<text>\"`, or set `version = \"{nv}\"`"
            )),
        );
        return;
    }
    let bump = bump_for(cl.fragments.iter().map(|f| &f.entry.kind.value));
    let needed = next_version(nv, bump);
    let release_of_m = Version::new(m.value.major, m.value.minor, m.value.patch);
    if release_of_m < needed {
        let (kind, at) = cl
            .fragments
            .iter()
            .max_by_key(|f| f.entry.kind.value.bump())
            .map(|f| (f.entry.kind.value, f.entry.kind.span))
            .unwrap_or((super::ChangeKind::Bugfix, m.span));
        diags.push(
            Diagnostic::new(
                &rules::MANIFEST_VERSION_MISMATCH,
                m.span,
                format!(
                    "manifest version {} is too small for the unreleased changes: after {nv} they need {needed}",
                    m.value
                ),
            )
            .label("smaller bump than the changes need")
            .related(at, format!("a `{}` change", kind.key()))
            .help(format!(
                "run `stackpack release {dir}` to set the version from the changes, or set `version = \"{needed}\"`"
            )),
        );
    }
}

/// A change of the manifest's minimum StackState version or a dependency since the last
/// release that no entry announces.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingBump {
    /// `None`: the minimum StackState version.
    pub dependency: Option<String>,
    pub from: Version,
    pub to: Version,
    /// The manifest value.
    pub span: Span,
    /// Where the old value was recorded.
    pub recorded_at: Option<Span>,
}

impl MissingBump {
    /// The `changelog add` command that writes the missing fragment.
    pub fn command(&self, dir: &str) -> String {
        format!("stackpack changelog add {dir} --bump {}", self.bump_arg())
    }

    /// `common=2.5.1` / `stackstate-min=4.4.0`.
    pub fn bump_arg(&self) -> String {
        match &self.dependency {
            Some(d) => format!("{d}={}", self.to),
            None => format!("stackstate-min={}", self.to),
        }
    }
}

/// The value of a tracked version at the newest release: walking from the oldest release up,
/// a recorded value wins, otherwise a bump entry's target, otherwise the value before.
pub fn value_at_newest(cl: &Changelog, dependency: Option<&str>) -> Option<(Version, Option<Span>)> {
    let mut value: Option<(Version, Option<Span>)> = None;
    for r in cl.releases.iter().rev().filter(|r| r.version.is_some()) {
        let recorded = match dependency {
            Some(d) => r.dependency(d),
            None => r.min_stackstate.as_ref(),
        };
        if let Some(rec) = recorded {
            value = Some((rec.value.clone(), Some(rec.span)));
        } else if let Some(b) = bumps_for(r, dependency).last() {
            value = Some((b.to().value.clone(), Some(b.to().span)));
        }
    }
    value
}

/// Every manifest version change since the newest release that no fragment announces.
pub fn missing_bumps(pack: &dyn PackSeam, cl: &Changelog) -> Vec<MissingBump> {
    let mut out = Vec::new();
    if cl.newest().is_none() {
        return out;
    }
    let announced = |dep: Option<&str>, to: &Version| {
        cl.fragments
            .iter()
            .filter_map(|f| f.entry.bump.as_ref())
            .any(|b| b.dependency() == dep && b.to().value == *to)
    };
    let min = pack.min_stackstate();
    let deps = pack.dependencies();
    let mut tracked: Vec<(Option<&str>, &Spanned<Version>)> = Vec::new();
    if let Some(min) = &min {
        tracked.push((None, min));
    }
    for d in &deps {
        tracked.push((Some(&d.name.value), &d.version));
    }
    for (dep, now) in tracked {
        let Some((before, at)) = value_at_newest(cl, dep) else {
            continue;
        };
        if before != now.value && !announced(dep, &now.value) {
            out.push(MissingBump {
                dependency: dep.map(str::to_string),
                from: before,
                to: now.value.clone(),
                span: now.span,
                recorded_at: at,
            });
        }
    }
    out
}
