//! Rules of the sync-chain tests (`stackpack render`, `stackpack test`): SP330–SP349 for what a
//! template produces, SP930–SP949 for the test files themselves.
//!
//! The lint-time rule (a template that cannot render JSON for any element) is
//! [`crate::check::rules::SYNC_TEMPLATE_NEVER_JSON`], because `lint` reports it.

use crate::diag::{Rule, Severity};

pub const RENDER_FAILED: Rule = Rule {
    code: "SP330",
    name: "sync-render-failed",
    severity: Severity::Error,
    summary: "Rendering a sync template on a sample element failed (broken syntax, a helper with wrong arguments).",
    example: "{{ concat }} with no arguments",
};
pub const UNRESOLVED_GET: Rule = Rule {
    code: "SP331",
    name: "sync-unresolved-get",
    severity: Severity::Error,
    summary: "At sync time a `get` named a URN that no node of the pack and no declared dependency provides: StackState fails the element.",
    example: "{{ get element.data.dataSource }} with data.dataSource = \"urn:stackpack:other:…\"",
};
pub const NOT_JSON: Rule = Rule {
    code: "SP332",
    name: "sync-output-not-json",
    severity: Severity::Error,
    summary: "The rendered template is not valid JSON: StackState rejects the element.",
    example: "\"name\": \"{{ element.data.name }}\" \"type\": … (missing comma)",
};
pub const MISSING_TYPE: Rule = Rule {
    code: "SP333",
    name: "sync-missing-type",
    severity: Severity::Error,
    summary: "A produced object has no `_type` (or the template produced no Component/Relation at all).",
    example: "{ \"name\": \"x\" }",
};
pub const EMPTY_NAME: Rule = Rule {
    code: "SP334",
    name: "sync-empty-name",
    severity: Severity::Error,
    summary: "A produced Component or Relation (or one of its streams, checks, labels) has an empty `name`.",
    example: "\"name\": \"{{ element.data.name }}\" on an element without data.name",
};
pub const NOT_AN_ID: Rule = Rule {
    code: "SP335",
    name: "sync-reference-not-an-id",
    severity: Severity::Error,
    summary: "`type`, `layer`, `domain`, `environments`, `source`, `target`, a stream's `dataSource` or a check's `function` is not a numeric node id after rendering.",
    example: "\"layer\": \"Machines\"",
};
pub const INVALID_LABEL: Rule = Rule {
    code: "SP336",
    name: "sync-invalid-label",
    severity: Severity::Error,
    summary: "A label is not an object `{ \"_type\": \"Label\", \"name\": \"…\" }` with a non-empty name.",
    example: "\"labels\": [\"env:prod\"]",
};
pub const INVALID_STREAM: Rule = Rule {
    code: "SP337",
    name: "sync-invalid-stream",
    severity: Severity::Error,
    summary: "A stream lacks a numeric `id` (or repeats one), a `dataSource`, a `_type` or a `query`.",
    example: "{ \"_type\": \"MetricStream\", \"name\": \"CPU\" }",
};
pub const CHECK_STREAM_UNKNOWN: Rule = Rule {
    code: "SP338",
    name: "sync-check-stream-unknown",
    severity: Severity::Error,
    summary: "A check argument's `stream` is not the id of one of the element's own streams.",
    example: "\"stream\": -9 with streams -1 and -2",
};
pub const INVALID_GET_OR_CREATE: Rule = Rule {
    code: "SP339",
    name: "sync-invalid-get-or-create",
    severity: Severity::Error,
    summary: "At sync time a `getOrCreate` got arguments StackState refuses: a create-URN outside `urn:system:auto:`, an empty name, or a `Type=…;Name=…` with another type.",
    example: "getOrCreate … (concat \"Type=Layer;Name=\" element.data.layer) with no data.layer",
};

pub const TEST_FILE_INVALID: Rule = Rule {
    code: "SP930",
    name: "sync-test-file-invalid",
    severity: Severity::Error,
    summary: "A file under `tests/` is not a valid test file (see docs/testing.md).",
    example: "cases: with a case that has no `element`",
};
pub const TEST_UNKNOWN_NODE: Rule = Rule {
    code: "SP931",
    name: "sync-test-unknown-node",
    severity: Severity::Error,
    summary: "A test names a template or mapping function the pack does not have.",
    example: "template: agent-hots-template",
};
pub const TEST_MISSING_FILE: Rule = Rule {
    code: "SP932",
    name: "sync-test-missing-file",
    severity: Severity::Error,
    summary: "A test's `element-file`, `mapped-file` or `expect-file` cannot be read or is not JSON.",
    example: "element-file: elements/missing.json",
};

pub const RULES: &[&Rule] = &[
    &RENDER_FAILED,
    &UNRESOLVED_GET,
    &NOT_JSON,
    &MISSING_TYPE,
    &EMPTY_NAME,
    &NOT_AN_ID,
    &INVALID_LABEL,
    &INVALID_STREAM,
    &CHECK_STREAM_UNKNOWN,
    &INVALID_GET_OR_CREATE,
    &TEST_FILE_INVALID,
    &TEST_UNKNOWN_NODE,
    &TEST_MISSING_FILE,
];
