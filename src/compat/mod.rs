//! StackState version compatibility: which server version introduced each node type, field,
//! helper and conf key, and the checks that use it (issue 4).
//!
//! - [`table`]: the embedded compatibility table (`data/stackstate-compat.toml`) and its queries.
//! - [`usage`]: the features a pack uses, each located at the source value that causes it.
//! - [`check`]: the SP5xx rules, run by the check stage (`check::run`) for `lint` and
//!   `build`. This module does not depend on the check stage: it takes the two options it needs.
//!
//! Version matching (see `docs/compat.md`): `4.3` means `4.3.0`; pre-release and build suffixes
//! (`4.4.0-rc.1`, `5.1.3+build7`) count as their release version, on the server and in the
//! manifest alike, so a release candidate of 4.4.0 has every 4.4 feature.

pub mod rules;
pub mod table;
pub mod usage;

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::stj_types::KNOWN_TYPES;
use crate::model::version::release_of;
use crate::model::Pack;
use crate::source::Span;
use semver::Version;
use std::collections::BTreeMap;
use table::{short, Feature, FeatureKind, Table};
use usage::{Lookup, Use};

/// What the pack is checked against.
struct Target {
    /// Lowest server version the pack must work on (the declared minimum, or `--stackstate-version`).
    /// `None` when the pack declares no minimum: only removals can be checked then.
    floor: Option<Version>,
    /// Highest server version (declared maximum, `--stackstate-version`, or open-ended).
    ceiling: Option<Version>,
    /// Where the floor comes from: `None` for `--stackstate-version`.
    floor_span: Option<Span>,
    /// The server version of `--stackstate-version`, as written.
    server: Option<Version>,
}

impl Target {
    /// "the declared minimum 4.0" / "StackState 4.2.0-rc.1".
    fn describe(&self) -> String {
        match &self.server {
            Some(s) => format!("StackState {s} (`--stackstate-version`)"),
            None => match &self.floor {
                Some(f) => format!("the declared min-stackstate-version {}", short(f)),
                None => "an undeclared min-stackstate-version".to_string(),
            },
        }
    }
    fn reaches(&self, v: &Version) -> bool {
        self.ceiling.as_ref().is_none_or(|c| c >= v)
    }
}

/// Run the SP5xx version checks against `stackstate_version` (`--stackstate-version`, else the
/// declared range) and, with a `baseline` (the previous release), the upgrade-safety checks.
pub fn check(pack: &Pack, stackstate_version: Option<&Version>, baseline: Option<&std::path::Path>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let table = match table::table() {
        Ok(t) => t,
        Err(e) => {
            // Only a defective build can get here (the table is embedded and unit-tested).
            diags.push(
                Diagnostic::new(&rules::NOT_IN_TABLE, pack.manifest.span, "version checks skipped").note(e.clone()),
            );
            return diags;
        }
    };
    let m = &pack.manifest;
    let min = m.min_stackstate.as_ref().map(|s| (release_of(&s.value), s.span));
    let max = m.max_stackstate.as_ref().map(|s| (release_of(&s.value), s.span));

    if min.is_none() {
        diags.push(
            Diagnostic::new(
                &rules::MISSING_MIN_VERSION,
                m.name.span,
                "the manifest has no `min-stackstate-version`",
            )
            .label("which StackState versions can install this pack?")
            .help("add `min-stackstate-version = \"4.3.0\"` (the oldest StackState the pack is tested on)"),
        );
    }
    if let (Some((lo, lo_span)), Some((hi, hi_span))) = (&min, &max) {
        if hi < lo {
            diags.push(
                Diagnostic::new(
                    &rules::MAX_BELOW_MIN,
                    *hi_span,
                    format!(
                        "max-stackstate-version {} is below min-stackstate-version {}",
                        short(hi),
                        short(lo)
                    ),
                )
                .label("no StackState version is in this range")
                .related(*lo_span, "the minimum")
                .help(format!("raise the maximum to {lo} or later, or remove it")),
            );
        }
    }

    let target = match stackstate_version {
        Some(server) => {
            let release = release_of(server);
            server_range(&mut diags, &release, server, min.as_ref(), max.as_ref());
            Target {
                floor: Some(release.clone()),
                ceiling: Some(release),
                floor_span: None,
                server: Some(server.clone()),
            }
        }
        None => match &min {
            Some((lo, span)) => Target {
                floor: Some(lo.clone()),
                ceiling: max.as_ref().map(|(hi, _)| hi.clone()),
                floor_span: Some(*span),
                server: None,
            },
            // No minimum (SP500): removals and deprecations up to the maximum are still checked.
            None => Target {
                floor: None,
                ceiling: max.as_ref().map(|(hi, _)| hi.clone()),
                floor_span: None,
                server: None,
            },
        },
    };

    if target.floor.as_ref().is_some_and(|f| *f < table.oldest_documented) {
        let span = target.floor_span.unwrap_or(m.name.span);
        diags.push(
            Diagnostic::new(
                &rules::BELOW_OLDEST_DOCUMENTED,
                span,
                format!(
                    "{} is older than the oldest documented StackState ({})",
                    target.describe(),
                    short(&table.oldest_documented)
                ),
            )
            .label("the StackState docs start at 4.0")
            .help("features are checked from 4.0 on; test the pack on that server by hand")
            .note("a feature documented in the 4.0 docs may be older than 4.0"),
        );
    }

    dependencies(&mut diags, pack, table, &target);
    features(&mut diags, pack, table, &target);
    finish(pack, baseline, diags)
}

fn finish(pack: &Pack, baseline: Option<&std::path::Path>, mut diags: Diagnostics) -> Diagnostics {
    if let Some(baseline) = baseline {
        diags.extend(crate::diff::check_baseline(pack, baseline));
    }
    diags
}

/// `--stackstate-version X` against the declared range.
fn server_range(
    diags: &mut Diagnostics,
    release: &Version,
    server: &Version,
    min: Option<&(Version, Span)>,
    max: Option<&(Version, Span)>,
) {
    let shown = if release == server {
        server.to_string()
    } else {
        format!("{server} (matched as {release})")
    };
    if let Some((lo, span)) = min {
        if release < lo {
            diags.push(
                Diagnostic::new(
                    &rules::SERVER_OUT_OF_RANGE,
                    *span,
                    format!(
                        "the pack needs StackState {} or later: it does not install on {shown}",
                        short(lo)
                    ),
                )
                .label("the declared minimum")
                .help(format!(
                    "upgrade the server to {lo} or later, or lower the minimum if the pack works there"
                )),
            );
        }
    }
    if let Some((hi, span)) = max {
        if release > hi {
            diags.push(
                Diagnostic::new(
                    &rules::SERVER_OUT_OF_RANGE,
                    *span,
                    format!(
                        "the pack supports StackState up to {}: it does not install on {shown}",
                        short(hi)
                    ),
                )
                .label("the declared maximum")
                .help("raise max-stackstate-version after testing the pack on that server"),
            );
        }
    }
}

fn dependencies(diags: &mut Diagnostics, pack: &Pack, table: &Table, target: &Target) {
    for dep in &pack.manifest.dependencies {
        if dep.name.value != "common" {
            continue;
        }
        let Some(row) = table.common_version(&dep.version.value) else {
            diags.push(
                Diagnostic::new(
                    &rules::NOT_IN_TABLE,
                    dep.version.span,
                    format!(
                        "common {} is not in the compatibility table: the StackState version it needs is not checked",
                        dep.version.value
                    ),
                )
                .help("known common versions: ".to_string() + &known_common(table)),
            );
            continue;
        };
        let Some(needs) = &row.min_stackstate else { continue };
        if target.floor.as_ref().is_some_and(|f| needs > f) {
            let mut d = Diagnostic::new(
                &rules::DEPENDENCY_TOO_NEW,
                dep.version.span,
                format!(
                    "common {} needs StackState {}, but the pack is checked against {}",
                    dep.version.value,
                    short(needs),
                    target.describe()
                ),
            )
            .label(format!(
                "packs declare StackState {} with this common version",
                short(needs)
            ))
            .note(format!("evidence: {}", row.evidence));
            if let Some(n) = &row.note {
                d = d.note(n.clone());
            }
            d = match (&target.server, target.floor_span) {
                (None, Some(span)) => d.related(span, "the declared minimum").help(format!(
                    "raise min-stackstate-version to {needs}, or depend on an older common version"
                )),
                _ => d.help(format!("this pack needs a StackState {needs} or later server")),
            };
            diags.push(d);
        }
    }
}

fn known_common(table: &Table) -> String {
    table
        .common
        .iter()
        .map(|c| c.version.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The feature of `pack` with the latest first version among those a build would refuse on an
/// older server (certain rows only: a row contradicted by older real-pack use is a warning), as
/// `(first version, feature name, what uses it, evidence)`. `import` raises the inferred
/// `min-stackstate-version` to it, so the next `build` does not refuse the manifest (issue 10.7).
pub fn required_minimum(pack: &Pack) -> Option<(Version, String, String, String)> {
    let table = table::table().as_ref().ok()?;
    let mut best: Option<(Version, String, String, String)> = None;
    for u in usage::collect(pack) {
        let Some(Row::Feature(f)) = lookup(table, &u.lookup) else {
            continue;
        };
        if !f.is_certain() {
            continue;
        }
        if best.as_ref().is_none_or(|(v, ..)| f.since > *v) {
            best = Some((f.since.clone(), f.name.clone(), u.by.clone(), f.evidence.clone()));
        }
    }
    best
}

/// A table row a use resolves to.
enum Row<'a> {
    Feature(&'a Feature),
    Unversioned(&'a table::Unversioned),
    Unknown(String),
}

fn lookup<'a>(table: &'a Table, l: &Lookup) -> Option<Row<'a>> {
    match l {
        Lookup::Key(k) => table.feature(k).map(Row::Feature),
        Lookup::NodeType(name) => Some(match table.by_name(FeatureKind::NodeType, name) {
            Some(f) => Row::Feature(f),
            None => match table
                .unversioned(FeatureKind::NodeType, name)
                .or_else(|| table.unversioned(FeatureKind::Field, name))
            {
                Some(u) => Row::Unversioned(u),
                None => Row::Unknown(name.clone()),
            },
        }),
        Lookup::CommonUrn(urn) => table.by_name(FeatureKind::Other, urn).map(Row::Feature),
    }
}

fn features(diags: &mut Diagnostics, pack: &Pack, table: &Table, target: &Target) {
    // Group the uses per row: one finding per feature, at its first use, with the others related.
    let mut by_feature: BTreeMap<String, (Vec<&Use>, usize)> = BTreeMap::new();
    let uses = usage::collect(pack);
    let mut unknown: BTreeMap<String, Vec<&Use>> = BTreeMap::new();
    let mut unversioned: BTreeMap<String, (Vec<&Use>, &table::Unversioned)> = BTreeMap::new();
    for u in &uses {
        match lookup(table, &u.lookup) {
            Some(Row::Feature(f)) => {
                let idx = table.features.iter().position(|x| std::ptr::eq(x, f)).unwrap_or(0);
                by_feature
                    .entry(f.key.clone())
                    .or_insert_with(|| (Vec::new(), idx))
                    .0
                    .push(u);
            }
            Some(Row::Unversioned(r)) => unversioned
                .entry(r.name.clone())
                .or_insert_with(|| (Vec::new(), r))
                .0
                .push(u),
            Some(Row::Unknown(name)) => unknown.entry(name).or_default().push(u),
            None => {}
        }
    }
    for (uses, idx) in by_feature.values() {
        let Some(f) = table.features.get(*idx) else { continue };
        let Some(first) = uses.first() else { continue };
        // Removed within the supported range.
        if let Some(until) = &f.until {
            if target.reaches(until) {
                let range = match (&target.server, &target.ceiling) {
                    (Some(s), _) => format!("StackState {s}"),
                    (None, Some(c)) => format!("the supported range (up to {})", short(c)),
                    (None, None) => "the supported range (no max-stackstate-version)".to_string(),
                };
                let mut d = Diagnostic::new(
                    &rules::REMOVED_FEATURE,
                    first.span,
                    format!(
                        "{} `{}` was removed in StackState {}, which is inside {range}",
                        f.kind.as_str(),
                        f.name,
                        short(until)
                    ),
                )
                .label(format!("used by {}", first.by))
                .note(format!(
                    "evidence: {}",
                    f.until_evidence.as_deref().unwrap_or(&f.evidence)
                ));
                d = if target.server.is_some() {
                    d.help("this server no longer has the feature: use a replacement")
                } else {
                    d.help(format!(
                        "stop using it, or set max-stackstate-version below {}",
                        short(until)
                    ))
                };
                diags.push(also_used(d, uses));
                continue;
            }
        }
        if target.floor.as_ref().is_some_and(|floor| f.since > *floor) && f.since > table.oldest_documented {
            let certain = f.is_certain();
            let rule = if certain {
                &rules::FEATURE_TOO_NEW
            } else {
                &rules::FEATURE_MAYBE_TOO_NEW
            };
            let mut d = Diagnostic::new(
                rule,
                first.span,
                format!(
                    "{} `{}` needs StackState {}, but the pack is checked against {}",
                    f.kind.as_str(),
                    f.name,
                    short(&f.since),
                    target.describe()
                ),
            )
            .label(format!("used by {}", first.by))
            .note(format!("evidence: {} ({})", f.evidence, f.certainty.as_str()));
            if let Some(also) = &f.also {
                d = d.note(format!("older evidence: {also}"));
            }
            if !certain {
                if let Some(n) = &f.note {
                    d = d.note(n.clone());
                }
            }
            d = match (&target.server, target.floor_span) {
                (None, Some(span)) => d
                    .related(span, "the declared minimum")
                    .help(format!("raise min-stackstate-version to {}, or stop using it", f.since)),
                _ => d.help(format!("this needs a StackState {} or later server", f.since)),
            };
            diags.push(also_used(d, uses));
            continue;
        }
        if let Some(dep) = &f.deprecated {
            if target.reaches(dep) {
                let d = Diagnostic::new(
                    &rules::DEPRECATED_FEATURE,
                    first.span,
                    format!(
                        "{} `{}` is deprecated since StackState {}",
                        f.kind.as_str(),
                        f.name,
                        short(dep)
                    ),
                )
                .label(format!("used by {}", first.by))
                .note(format!(
                    "evidence: {}",
                    f.deprecated_evidence.as_deref().unwrap_or(&f.evidence)
                ))
                .help("plan a replacement: deprecated features are removed in a later StackState");
                let d = match &f.until {
                    Some(u) => d.note(format!(
                        "removed in StackState {} (evidence: {})",
                        short(u),
                        f.until_evidence.as_deref().unwrap_or(&f.evidence)
                    )),
                    None => d,
                };
                diags.push(also_used(d, uses));
            }
        }
    }
    for (name, (uses, row)) in &unversioned {
        let Some(first) = uses.first() else { continue };
        let mut d = Diagnostic::new(
            &rules::UNVERSIONED_FEATURE,
            first.span,
            format!("`{name}` belongs to the StackPack 2.0 era: no StackState 4.x/5.x version knows it, so the archive would not import"),
        )
        .label(format!("used by {}", first.by))
        .note(format!("evidence: {}", row.evidence))
        .help("StackPack 1.0 archives are for StackState 4.x/5.x: remove it, or write the pack in the StackPack 2.0 format (`stackpack new --format v2`)");
        if let Some(n) = &row.note {
            d = d.note(n.clone());
        }
        diags.push(also_used(d, uses));
    }
    for (name, uses) in &unknown {
        let Some(first) = uses.first() else { continue };
        let trimmed = name.trim();
        // A `_type` no StackState knows fails the import: an error here, because lint of the
        // built archive rejects it (SP717) and `build` must not write what lint rejects.
        if !KNOWN_TYPES.contains(&trimmed) {
            let d = Diagnostic::new(
                &rules::UNKNOWN_STJ_TYPE,
                first.span,
                format!("StackState knows no `_type` `{name}`: the archive would not import"),
            )
            .label(format!("used by {}", first.by));
            let d = match crate::diag::did_you_mean(trimmed, KNOWN_TYPES) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("use a type from the STJ reference (ComponentType, Sync, QueryView, …)"),
            };
            diags.push(also_used(d, uses));
            continue;
        }
        let d = Diagnostic::new(
            &rules::NOT_IN_TABLE,
            first.span,
            format!("node type `{name}` is not in the compatibility table: its StackState version is not checked"),
        )
        .label(format!("used by {}", first.by));
        let d = if trimmed != name {
            d.help(format!("remove the spaces around `{trimmed}`"))
        } else {
            d.note(format!(
                "`{name}` is an STJ type, but the compatibility table has no row for it yet"
            ))
        };
        diags.push(also_used(d, uses));
    }
}

/// Point at further uses of the same feature (at most five, then a count).
fn also_used(mut d: Diagnostic, uses: &[&Use]) -> Diagnostic {
    const SHOWN: usize = 5;
    for u in uses.iter().skip(1).take(SHOWN) {
        if Some(u.span) != d.span {
            d = d.related(u.span, format!("also used by {}", u.by));
        }
    }
    if uses.len() > SHOWN + 1 {
        d = d.note(format!("used {} times in all", uses.len()));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classic lint accepts exactly the `_type`s of [`KNOWN_TYPES`] (SP717 otherwise), so every
    /// node type the table versions must be in it, and no 2.0-era type may be.
    #[test]
    fn the_known_stj_types_cover_the_table() {
        let Ok(t) = table::table() else { panic!("table") };
        let missing: Vec<&str> = t
            .of_kind(FeatureKind::NodeType)
            .map(|f| f.name.as_str())
            .filter(|n| !KNOWN_TYPES.contains(n))
            .collect();
        assert!(
            missing.is_empty(),
            "node types of the table missing from KNOWN_TYPES: {missing:?}"
        );
        for n in ["Dashboard", "OtelComponentMapping", "MainMenuGroup"] {
            assert!(
                t.unversioned(FeatureKind::NodeType, n).is_some(),
                "{n} is a 2.0-era row"
            );
            assert!(!KNOWN_TYPES.contains(&n), "{n} is not a 4.x/5.x type");
        }
    }

    /// Every row key the usage extraction can produce exists in the embedded table.
    #[test]
    fn every_used_key_is_in_the_table() {
        let Ok(t) = table::table() else { panic!("table") };
        let src = include_str!("usage.rs");
        let mut n = 0;
        for part in src.split('"').skip(1).step_by(2) {
            let looks_like_key = [
                "helper_",
                "node_",
                "param_type_",
                "check_return_",
                "conf_",
                "field_",
                "agg_",
            ]
            .iter()
            .any(|p| part.starts_with(p))
                && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            if looks_like_key {
                n += 1;
                assert!(t.feature(part).is_some(), "usage.rs names unknown table key `{part}`");
            }
        }
        assert!(n > 30, "expected to find the keys of usage.rs, found {n}");
    }
}
