//! Rules of the changelog and release notes (SP6xx).

use crate::diag::{Rule, Severity};

pub const CHANGELOG_PATH: Rule = Rule {
    code: "SP600",
    name: "changelog-path",
    severity: Severity::Error,
    summary: "The manifest's `changelog` directory is missing, absolute, more than one level outside the pack, or a symlink leading elsewhere.",
    example: "changelog = \"/home/me/changelog\"",
};
pub const UNKNOWN_CHANGE_KIND: Rule = Rule {
    code: "SP601",
    name: "unknown-change-kind",
    severity: Severity::Error,
    summary: "A changelog entry (or label override) names a kind that does not exist, so its version bump and label are unknown.",
    example: "kind: feture",
};
pub const INVALID_DATE: Rule = Rule {
    code: "SP602",
    name: "invalid-release-date",
    severity: Severity::Error,
    summary: "A release date is not a valid `YYYY-MM-DD` date.",
    example: "date: 2021-02-30",
};
pub const DATES_OUT_OF_ORDER: Rule = Rule {
    code: "SP603",
    name: "release-dates-out-of-order",
    severity: Severity::Error,
    summary: "A newer version has an earlier date than an older one: one of the two is wrong.",
    example: "4.2.1 dated 2021-03-11, 4.3.1 dated 2021-03-01",
};
pub const INVALID_VERSION: Rule = Rule {
    code: "SP604",
    name: "invalid-release-version",
    severity: Severity::Error,
    summary: "A release version is not semver (MAJOR.MINOR.PATCH), or does not match its file name.",
    example: "version: 4.3",
};
pub const DUPLICATE_VERSION: Rule = Rule {
    code: "SP605",
    name: "duplicate-release-version",
    severity: Severity::Error,
    summary: "Two release files describe the same version.",
    example: "releases/4.3.1.yaml and releases/4.3.1-again.yaml both say `version: 4.3.1`",
};
pub const MANIFEST_VERSION_MISMATCH: Rule = Rule {
    code: "SP606",
    name: "manifest-version-not-released",
    severity: Severity::Error,
    summary: "The manifest version must be the newest release, or newer than it with unreleased changelog fragments describing the changes.",
    example: "version = \"4.4.0\" with no fragment in changelog/unreleased/",
};
pub const UNANNOUNCED_BUMP: Rule = Rule {
    code: "SP607",
    name: "unannounced-version-bump",
    severity: Severity::Error,
    summary: "The manifest's minimum StackState version or a dependency version changed since the last release, and no changelog fragment says so.",
    example: "[dependencies] common = \"2.5.1\" while the last release recorded 2.5.0",
};
pub const RELEASE_BUMP_MISSING: Rule = Rule {
    code: "SP608",
    name: "release-bump-not-noted",
    severity: Severity::Error,
    summary: "A release records a different minimum StackState version or dependency version than the release before it, but has no entry saying so.",
    example: "4.3.1 records common 2.5.0, 4.2.1 recorded 2.3.1, no `bump: {dependency: common, …}` entry",
};
pub const BUMP_DISAGREES: Rule = Rule {
    code: "SP609",
    name: "bump-entry-disagrees",
    severity: Severity::Error,
    summary: "A version-bump entry names other versions than the ones recorded in its release or the one before it.",
    example: "bump: {dependency: common, from: 2.3.1, to: 2.4.0} in a release that records common 2.5.0",
};
pub const EMPTY_RELEASE: Rule = Rule {
    code: "SP610",
    name: "empty-release",
    severity: Severity::Warning,
    summary: "A release without entries renders as a heading with nothing under it.",
    example: "entries: []",
};
pub const TEMPLATE_ERROR: Rule = Rule {
    code: "SP611",
    name: "release-notes-template",
    severity: Severity::Error,
    summary: "A release-notes template (built-in or from `--templates`) does not parse or fails to render.",
    example: "{{#each releases}} without {{/each}}",
};
pub const INTERRUPTED_CHANGE: Rule = Rule {
    code: "SP612",
    name: "interrupted-change",
    severity: Severity::Warning,
    summary: "The pack holds the journal or staged files of an interrupted `release` or `changelog add`: it may be half-released until `stackpack release --dry-run` completes (or rolls back) the change.",
    example: ".stackpack-journal.json left by a `release` killed after deciding its change",
};

pub const RULES: &[&Rule] = &[
    &CHANGELOG_PATH,
    &UNKNOWN_CHANGE_KIND,
    &INVALID_DATE,
    &DATES_OUT_OF_ORDER,
    &INVALID_VERSION,
    &DUPLICATE_VERSION,
    &MANIFEST_VERSION_MISMATCH,
    &UNANNOUNCED_BUMP,
    &RELEASE_BUMP_MISSING,
    &BUMP_DISAGREES,
    &EMPTY_RELEASE,
    &TEMPLATE_ERROR,
    &INTERRUPTED_CHANGE,
];
