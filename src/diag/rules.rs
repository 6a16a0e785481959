//! Rules about the diagnostics themselves: per-location suppression comments (SP903–SP905),
//! and the count of repeated findings held back (SP807, `cascade::cap_repeats`).

use super::{Rule, Severity};

pub const SUPPRESSION_WITHOUT_REASON: Rule = Rule {
    code: "SP903",
    name: "suppression-without-reason",
    severity: Severity::Warning,
    summary:
        "A `# stackpack: allow CODE` comment without a reason suppresses nothing: say why the finding does not apply.",
    example: "data-source: agent  # stackpack: allow SP403",
};
pub const UNUSED_SUPPRESSION: Rule = Rule {
    code: "SP904",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "A `# stackpack: allow CODE reason` comment matches no finding on its line: remove it, it would hide a future one.",
    example: "id: host  # stackpack: allow SP901 kept for the next release (but host is used)",
};
pub const INVALID_SUPPRESSION: Rule = Rule {
    code: "SP905",
    name: "invalid-suppression",
    severity: Severity::Warning,
    summary: "A `# stackpack: …` comment that is not `allow CODE[,CODE…] reason`, names an unknown code, or names an error (errors cannot be suppressed).",
    example: "# stackpack: allow SP205 the dependency is installed by hand",
};

pub const RULES: &[&Rule] = &[
    &SUPPRESSION_WITHOUT_REASON,
    &UNUSED_SUPPRESSION,
    &INVALID_SUPPRESSION,
    // The repeat cap of the diagnostics model (src/diag/cascade.rs).
    &super::cascade::REPEATS_CAPPED,
];
