//! Rules of the load stage (SP0xx): files that cannot be read or parsed, and the generic shape
//! errors found while reading them into the model.

use crate::diag::{Rule, Severity};

pub const IO_ERROR: Rule = Rule {
    code: "SP001",
    name: "unreadable-file",
    severity: Severity::Error,
    summary: "A pack file cannot be read or is not UTF-8 text, so nothing in it can be checked.",
    example: "nodes/views.yaml saved as UTF-16",
};
pub const YAML_SYNTAX: Rule = Rule {
    code: "SP002",
    name: "yaml-syntax",
    severity: Severity::Error,
    summary: "A node file is not valid YAML.",
    example: "component-types: [ {id: host }",
};
pub const TOML_SYNTAX: Rule = Rule {
    code: "SP003",
    name: "toml-syntax",
    severity: Severity::Error,
    summary: "The manifest is not valid TOML.",
    example: "version = ",
};
pub const UNKNOWN_FIELD: Rule = Rule {
    code: "SP004",
    name: "unknown-field",
    severity: Severity::Error,
    summary: "A field that the object does not have: usually a typo that would silently be ignored.",
    example: "component-types: [{ id: host, icno: icons/host.png }]",
};
pub const WRONG_TYPE: Rule = Rule {
    code: "SP005",
    name: "wrong-type",
    severity: Severity::Error,
    summary: "A value of the wrong type (a list where text is expected, …).",
    example: "multi-instance = \"yes\"",
};
pub const MISSING_FIELD: Rule = Rule {
    code: "SP006",
    name: "missing-field",
    severity: Severity::Error,
    summary: "A required field is missing.",
    example: "syncs: [{ id: agent }]   # no data-source",
};
pub const UNKNOWN_KIND: Rule = Rule {
    code: "SP007",
    name: "unknown-node-kind",
    severity: Severity::Error,
    summary: "A top-level key of a node file is not a node kind.",
    example: "component-type: [...]   # the kind is `component-types`",
};
pub const INVALID_VALUE: Rule = Rule {
    code: "SP008",
    name: "invalid-value",
    severity: Severity::Error,
    summary: "A value outside the allowed set or pattern (an unknown enum value, a malformed id or version).",
    example: "dependency-direction: sideways",
};
pub const PATH_ESCAPES: Rule = Rule {
    code: "SP009",
    name: "path-outside-pack",
    severity: Severity::Error,
    summary: "A path that leaves the pack directory (absolute, `..`, or a symlink to the outside): builds must only read the pack.",
    example: "script: ../../etc/passwd",
};
pub const FILE_NOT_FOUND: Rule = Rule {
    code: "SP010",
    name: "file-not-found",
    severity: Severity::Error,
    summary: "A file named by the sources does not exist in the pack.",
    example: "icon: icons/hots.png",
};
pub const DUPLICATE_KEY: Rule = Rule {
    code: "SP011",
    name: "duplicate-key",
    severity: Severity::Error,
    summary: "The same key twice in one mapping: YAML keeps only one of them.",
    example: "name: a\\nname: b",
};
pub const LINK_LOOP: Rule = Rule {
    code: "SP012",
    name: "directory-link-loop",
    severity: Severity::Error,
    summary: "A symlink to a directory that is already part of the pack (an ancestor, or one walked before): following it would copy the same files again, or endlessly.",
    example: "resources/a -> .",
};
pub const NOT_REGULAR: Rule = Rule {
    code: "SP013",
    name: "not-a-regular-file",
    severity: Severity::Error,
    summary: "A pack file that is a FIFO, a device, a socket or a directory: reading it could block or never end, so it is not opened.",
    example: "changelog/unreleased/x.yaml is a named pipe",
};
pub const BUDGET: Rule = Rule {
    code: "SP014",
    name: "budget-exceeded",
    severity: Severity::Error,
    summary: "One run reads at most 1 GiB of pack files, 200 000 files and directories, 64 directory levels, and 1 000 000 values expanded from YAML aliases: a pack beyond that is refused instead of exhausting time or memory.",
    example: "300 node files each expanding 90 000 alias values",
};
pub const MISPLACED_NODE_FILE: Rule = Rule {
    code: "SP016",
    name: "misplaced-node-file",
    severity: Severity::Error,
    summary: "A YAML file outside `nodes/` whose top-level key is a node kind: only `nodes/` is read, so its nodes would silently be missing from the archive.",
    example: "views.yaml at the pack root, node/views.yaml",
};
pub const NODE_FILE_EXTENSION: Rule = Rule {
    code: "SP017",
    name: "node-file-extension",
    severity: Severity::Error,
    summary: "A file under `nodes/` ending in `.json` or an upper-case `.YAML`/`.YML`: only `.yaml` and `.yml` are read, so its nodes would silently be missing.",
    example: "nodes/views.json, nodes/views.YAML",
};
pub const INEXACT_NUMBER: Rule = Rule {
    code: "SP018",
    name: "inexact-number",
    severity: Severity::Error,
    summary: "A YAML number that the STJ cannot hold as written: infinite or NaN (JSON has neither), an integer beyond 64 bits, or a decimal with more digits than a double keeps. It would silently become `null` or another number.",
    example: "threshold: 1e999",
};

pub const RULES: &[&Rule] = &[
    &IO_ERROR,
    &YAML_SYNTAX,
    &TOML_SYNTAX,
    &UNKNOWN_FIELD,
    &WRONG_TYPE,
    &MISSING_FIELD,
    &UNKNOWN_KIND,
    &INVALID_VALUE,
    &PATH_ESCAPES,
    &FILE_NOT_FOUND,
    &DUPLICATE_KEY,
    &LINK_LOOP,
    &NOT_REGULAR,
    &BUDGET,
    &MISPLACED_NODE_FILE,
    &NODE_FILE_EXTENSION,
    &INEXACT_NUMBER,
];
