//! The compatibility table: which StackState version introduced (and removed) each node type,
//! field, STJ helper and conf key, and which StackState version each `common` pack version needs.
//!
//! The table is data, not code: `data/stackstate-compat.toml` (a verbatim copy of the project's
//! reference research file) is embedded with `include_str!` and parsed once, on first use. Every
//! row keeps its evidence string so that diagnostics can cite it.

use super::super::model::version::parse_stackstate;
use semver::Version;
use serde::Deserialize;
use std::sync::OnceLock;

/// The embedded TOML text.
pub const SOURCE: &str = include_str!("../../data/stackstate-compat.toml");

/// How sure the table is about a row's `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Certainty {
    /// Shown on the cited docs branch.
    Documented,
    /// Only seen in real StackPacks.
    Repo,
    /// Combined from several facts (see the row's note).
    Inferred,
}

impl Certainty {
    pub fn as_str(self) -> &'static str {
        match self {
            Certainty::Documented => "documented",
            Certainty::Repo => "repo",
            Certainty::Inferred => "inferred",
        }
    }
}

/// What a row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeatureKind {
    NodeType,
    Field,
    StjHelper,
    ConfKey,
    Other,
}

impl FeatureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureKind::NodeType => "node type",
            FeatureKind::Field => "field",
            FeatureKind::StjHelper => "STJ helper",
            FeatureKind::ConfKey => "conf key",
            FeatureKind::Other => "feature",
        }
    }
}

#[derive(Debug, Deserialize)]
struct RawFeature {
    key: String,
    kind: FeatureKind,
    name: String,
    since: String,
    until: Option<String>,
    deprecated: Option<String>,
    since_patch: Option<String>,
    evidence: String,
    also: Option<String>,
    until_evidence: Option<String>,
    deprecated_evidence: Option<String>,
    certainty: Certainty,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawCommon {
    version: String,
    declared_min_stackstate_alongside: Option<String>,
    evidence: String,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawUnversioned {
    name: String,
    kind: FeatureKind,
    evidence: String,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawMeta {
    oldest_version_branch: String,
}

#[derive(Debug, Deserialize)]
struct RawTable {
    meta: RawMeta,
    #[serde(default)]
    feature: Vec<RawFeature>,
    #[serde(default)]
    common_dependency: Vec<RawCommon>,
    #[serde(default)]
    unversioned: Vec<RawUnversioned>,
}

/// One `[[feature]]` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub key: String,
    pub kind: FeatureKind,
    pub name: String,
    /// First StackState version (`"4.3"` → 4.3.0; `since_patch` when the release notes name one).
    pub since: Version,
    /// The version in which the feature is documented as removed.
    pub until: Option<Version>,
    pub deprecated: Option<Version>,
    pub evidence: String,
    /// Further evidence, usually a real pack that used the feature before the documented `since`.
    pub also: Option<String>,
    pub until_evidence: Option<String>,
    pub deprecated_evidence: Option<String>,
    pub certainty: Certainty,
    pub note: Option<String>,
}

impl Feature {
    /// Whether a use newer than the target is an error (`true`) or a warning. Only a row that is
    /// documented on the cited branch, and not contradicted by older real-pack evidence (`also`),
    /// is certain enough to fail a build: the docs lag the product.
    pub fn is_certain(&self) -> bool {
        self.certainty == Certainty::Documented && self.also.is_none()
    }
}

/// One `[[common_dependency]]` row: a version of the `common` StackPack.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonVersion {
    pub version: Version,
    /// The minimum StackState version packs declare together with this common version.
    pub min_stackstate: Option<Version>,
    pub evidence: String,
    pub note: Option<String>,
}

/// One `[[unversioned]]` row: exists, but no StackState 4.x/5.x version documents it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unversioned {
    pub name: String,
    pub kind: FeatureKind,
    pub evidence: String,
    pub note: Option<String>,
}

/// The parsed table.
#[derive(Debug, Clone)]
pub struct Table {
    pub features: Vec<Feature>,
    pub common: Vec<CommonVersion>,
    pub unversioned: Vec<Unversioned>,
    /// The oldest docs branch (4.0): a `since` equal to it means "this version or older".
    pub oldest_documented: Version,
}

impl Table {
    /// Parse a table from TOML text.
    pub fn parse(text: &str) -> Result<Table, String> {
        let raw: RawTable = toml::from_str(text).map_err(|e| format!("compatibility table: {e}"))?;
        let v = |s: &str, what: &str| parse_stackstate(s).map_err(|e| format!("compatibility table, {what}: {e}"));
        let mut features = Vec::with_capacity(raw.feature.len());
        for f in raw.feature {
            let since = match &f.since_patch {
                Some(p) => v(p, &f.key)?,
                None => v(&f.since, &f.key)?,
            };
            features.push(Feature {
                since,
                until: f.until.as_deref().map(|u| v(u, &f.key)).transpose()?,
                deprecated: f.deprecated.as_deref().map(|u| v(u, &f.key)).transpose()?,
                key: f.key,
                kind: f.kind,
                name: f.name,
                evidence: f.evidence,
                also: f.also,
                until_evidence: f.until_evidence,
                deprecated_evidence: f.deprecated_evidence,
                certainty: f.certainty,
                note: f.note,
            });
        }
        let mut common = Vec::with_capacity(raw.common_dependency.len());
        for c in raw.common_dependency {
            common.push(CommonVersion {
                version: Version::parse(&c.version)
                    .map_err(|e| format!("compatibility table, common {}: {e}", c.version))?,
                min_stackstate: c
                    .declared_min_stackstate_alongside
                    .as_deref()
                    .map(|m| v(m, "common dependency"))
                    .transpose()?,
                evidence: c.evidence,
                note: c.note,
            });
        }
        let unversioned = raw
            .unversioned
            .into_iter()
            .map(|u| Unversioned {
                name: u.name,
                kind: u.kind,
                evidence: u.evidence,
                note: u.note,
            })
            .collect();
        Ok(Table {
            features,
            common,
            unversioned,
            oldest_documented: v(&raw.meta.oldest_version_branch, "meta")?,
        })
    }

    /// The feature with this key (`helper_include_encoding_identity`).
    pub fn feature(&self, key: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.key == key)
    }

    /// The feature of this kind and name (`NodeType`, `"ComponentType"`).
    pub fn by_name(&self, kind: FeatureKind, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.kind == kind && f.name == name)
    }

    /// All features of a kind.
    pub fn of_kind(&self, kind: FeatureKind) -> impl Iterator<Item = &Feature> {
        self.features.iter().filter(move |f| f.kind == kind)
    }

    /// The row of a `common` version.
    pub fn common_version(&self, version: &Version) -> Option<&CommonVersion> {
        self.common.iter().find(|c| &c.version == version)
    }

    /// A name listed as existing without any StackState version (StackPack 2.0 era).
    pub fn unversioned(&self, kind: FeatureKind, name: &str) -> Option<&Unversioned> {
        self.unversioned.iter().find(|u| u.kind == kind && u.name == name)
    }
}

/// The embedded table, parsed on first use. A broken embedded table is a build defect, caught by
/// this module's tests; at run time it degrades to an empty table plus an error message.
pub fn table() -> &'static Result<Table, String> {
    static TABLE: OnceLock<Result<Table, String>> = OnceLock::new();
    TABLE.get_or_init(|| Table::parse(SOURCE))
}

/// `4.3.0` → `4.3`, `4.5.0` → `4.5`, `5.1.9` → `5.1.9`: how versions are shown in messages.
pub fn short(v: &Version) -> String {
    if v.patch == 0 && v.pre.is_empty() {
        format!("{}.{}", v.major, v.minor)
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> &'static Table {
        match table() {
            Ok(t) => t,
            Err(e) => panic!("embedded table does not parse: {e}"),
        }
    }

    #[test]
    fn embedded_table_parses_and_keeps_every_row() {
        let t = t();
        // Row counts of the reference file at the time of copying.
        assert_eq!(t.features.len(), 160);
        assert_eq!(t.common.len(), 12);
        assert_eq!(t.unversioned.len(), 17);
        assert!(t.features.iter().all(|f| !f.evidence.is_empty()));
        assert!(t.common.iter().all(|c| !c.evidence.is_empty()));
        assert_eq!(t.oldest_documented, Version::new(4, 0, 0));
    }

    #[test]
    fn queries() {
        let t = t();
        let id = t
            .feature("helper_include_encoding_identity")
            .map(|f| (f.since.clone(), f.certainty));
        assert_eq!(id, Some((Version::new(4, 2, 0), Certainty::Documented)));
        let dv = t.by_name(FeatureKind::ConfKey, "docsUrl");
        assert_eq!(
            dv.map(|f| (f.since.clone(), f.is_certain())),
            Some((Version::new(5, 1, 0), false))
        );
        let bl = t.by_name(FeatureKind::NodeType, "BaselineFunction");
        assert_eq!(bl.and_then(|f| f.until.clone()), Some(Version::new(4, 5, 0)));
        // since_patch refines since.
        assert_eq!(
            t.feature("script_api_http_no_proxy").map(|f| f.since.clone()),
            Some(Version::new(5, 1, 9))
        );
        let c = t.common_version(&Version::new(2, 5, 0));
        assert_eq!(c.and_then(|c| c.min_stackstate.clone()), Some(Version::new(4, 3, 0)));
        assert!(c.is_some_and(|c| c.evidence == "4.4:stackpacks/integrations/kubernetes.md"));
        assert!(t.unversioned(FeatureKind::NodeType, "Dashboard").is_some());
        // A documented row with older real-pack evidence is not certain.
        assert!(t
            .by_name(FeatureKind::NodeType, "ArgumentDoubleVal")
            .is_some_and(|f| !f.is_certain()));
        assert!(t
            .by_name(FeatureKind::NodeType, "ArgumentStringVal")
            .is_some_and(|f| f.is_certain()));
    }

    #[test]
    fn bad_tables_are_errors_not_panics() {
        assert!(Table::parse("[meta]\noldest_version_branch = \"4.x\"\n").is_err());
        assert!(Table::parse("not toml at all = = =").is_err());
        let ok = Table::parse("[meta]\noldest_version_branch = \"4.0\"\n");
        assert!(ok.is_ok_and(|t| t.features.is_empty()));
    }

    #[test]
    fn short_versions() {
        assert_eq!(short(&Version::new(4, 3, 0)), "4.3");
        assert_eq!(short(&Version::new(5, 1, 9)), "5.1.9");
    }
}
