//! Rules of the StackState version compatibility (SP5xx): SP500-SP519 version checks of the
//! pack against StackState versions, SP520-SP529 upgrade safety against a baseline release.

use crate::diag::{Rule, Severity};

pub const MISSING_MIN_VERSION: Rule = Rule {
    code: "SP500",
    name: "missing-min-stackstate-version",
    // Required (issue 4): without it no version check can run. `stackpack import` infers it for
    // classic packs from their `common` dependency (the compat table's evidence).
    severity: Severity::Error,
    summary: "The manifest does not say which StackState version the pack needs, so no version check \
              can run and nothing tells a server whether the pack installs there.",
    example: "stackpack.toml without `min-stackstate-version = \"4.3.0\"`",
};
pub const FEATURE_TOO_NEW: Rule = Rule {
    code: "SP501",
    name: "feature-newer-than-stackstate",
    severity: Severity::Error,
    summary: "The pack uses a node type, field, STJ helper or conf key that the documented first \
              StackState version of is newer than the declared minimum (or than `--stackstate-version`).",
    example: "min-stackstate-version = \"4.0\" with a template using `{{# each … }}` (documented from 4.2)",
};
pub const FEATURE_MAYBE_TOO_NEW: Rule = Rule {
    code: "SP502",
    name: "feature-possibly-newer-than-stackstate",
    severity: Severity::Warning,
    summary: "As SP501, for a feature whose first version is only inferred or seen in real packs (or \
              contradicted by older real-pack evidence): the docs lag the product, so it may exist earlier.",
    example: "min-stackstate-version = \"4.0\" with `docs-url` (seen from StackState 5.1 in real packs)",
};
pub const MAX_BELOW_MIN: Rule = Rule {
    code: "SP503",
    name: "max-below-min-stackstate-version",
    severity: Severity::Error,
    summary: "The maximum StackState version is below the minimum: no server can install the pack.",
    example: "min-stackstate-version = \"4.3\" and max-stackstate-version = \"4.2\"",
};
pub const REMOVED_FEATURE: Rule = Rule {
    code: "SP504",
    name: "removed-feature",
    severity: Severity::Error,
    summary: "The pack uses a feature that a StackState version inside its supported range removed.",
    example: "a verbatim `BaselineFunction` node (removed in 4.5) without max-stackstate-version below 4.5",
};
pub const DEPENDENCY_TOO_NEW: Rule = Rule {
    code: "SP505",
    name: "dependency-needs-newer-stackstate",
    severity: Severity::Error,
    summary: "A dependency version (the `common` StackPack) is only shipped with a newer StackState \
              than the declared minimum.",
    example: "min-stackstate-version = \"4.0\" with [dependencies] common = \"2.5.0\" (needs 4.3)",
};
pub const UNVERSIONED_FEATURE: Rule = Rule {
    code: "SP506",
    name: "unversioned-feature",
    severity: Severity::Error,
    summary: "The pack uses a node type or field that exists only in the StackPack 2.0 / SUSE \
              Observability era: no StackState 4.x/5.x version knows it, so the 1.0 archive would \
              not import (lint of the built archive rejects its `_type`, SP717).",
    example: "stj-nodes: [{ id: d, type: Dashboard, … }]",
};
pub const NOT_IN_TABLE: Rule = Rule {
    code: "SP507",
    name: "unknown-to-compat-table",
    severity: Severity::Info,
    summary: "A node type or dependency version is not in the compatibility table, so its StackState \
              version is not checked.",
    example: "[dependencies] common = \"2.6.0\"",
};
pub const UNKNOWN_STJ_TYPE: Rule = Rule {
    code: "SP511",
    name: "unknown-stj-type",
    severity: Severity::Error,
    summary: "A `_type` written in a verbatim node or a template's JSON that no StackState version \
              knows (a typo): the archive would not import (lint of the built archive rejects it, \
              SP717).",
    example: "stj-nodes: [{ id: m, type: Moniter, … }]",
};
pub const SERVER_OUT_OF_RANGE: Rule = Rule {
    code: "SP508",
    name: "stackstate-version-out-of-range",
    severity: Severity::Error,
    summary: "`--stackstate-version X`: X is below the pack's minimum or above its maximum, so the \
              server refuses the pack (StackState checks this from 4.5).",
    example: "stackpack lint --stackstate-version 4.2.0 on a pack with min-stackstate-version = \"4.3\"",
};
pub const DEPRECATED_FEATURE: Rule = Rule {
    code: "SP509",
    name: "deprecated-feature",
    severity: Severity::Warning,
    summary: "The pack uses a feature that a StackState version inside its supported range deprecates.",
    example: "a verbatim `Baseline` node (deprecated in 4.3) with min-stackstate-version = \"4.3\"",
};
pub const BELOW_OLDEST_DOCUMENTED: Rule = Rule {
    code: "SP510",
    name: "stackstate-older-than-docs",
    severity: Severity::Warning,
    summary: "The version checked against is older than the oldest documented StackState (4.0): \
              features are only checked from 4.0 on.",
    example: "min-stackstate-version = \"1.15.7\"",
};
pub const BUMP_TOO_SMALL: Rule = Rule {
    code: "SP520",
    name: "version-bump-too-small",
    severity: Severity::Error,
    summary: "Compared with the baseline release, the changes need a bigger version bump: removing, \
              re-keying or re-typing a shared node is breaking (major), adding nodes needs a minor bump.",
    example: "version 4.3.2 after 4.3.1 with a check function removed (needs 5.0.0)",
};
pub const BASELINE_CHANGES: Rule = Rule {
    code: "SP521",
    name: "baseline-changes",
    severity: Severity::Info,
    summary: "What changed since the baseline release, when the version bump is big enough.",
    example: "lint --baseline previous.sts",
};
pub const BASELINE_UNREADABLE: Rule = Rule {
    code: "SP522",
    name: "baseline-unreadable",
    severity: Severity::Error,
    summary: "The baseline given with `--baseline` cannot be read, built or compared.",
    example: "lint --baseline missing.sts",
};
pub const VERSION_NOT_INCREASED: Rule = Rule {
    code: "SP523",
    name: "version-not-increased",
    severity: Severity::Error,
    summary: "The pack's version is not greater than the baseline release's: versions only go up.",
    example: "version 4.3.1 with --baseline stackstate-agent-v2-4.3.1.sts",
};

pub const RULES: &[&Rule] = &[
    &MISSING_MIN_VERSION,
    &FEATURE_TOO_NEW,
    &FEATURE_MAYBE_TOO_NEW,
    &MAX_BELOW_MIN,
    &REMOVED_FEATURE,
    &DEPENDENCY_TOO_NEW,
    &UNVERSIONED_FEATURE,
    &NOT_IN_TABLE,
    &SERVER_OUT_OF_RANGE,
    &DEPRECATED_FEATURE,
    &BELOW_OLDEST_DOCUMENTED,
    &UNKNOWN_STJ_TYPE,
    &BUMP_TOO_SMALL,
    &BASELINE_CHANGES,
    &BASELINE_UNREADABLE,
    &VERSION_NOT_INCREASED,
];
