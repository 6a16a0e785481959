//! Rules of the compile stage and of reading and writing archives (SP8xx).
//!
//! SP800–SP849 belong to safe archive reading ([`super::read`]).
//! SP850–SP899 belong to the compiler and the archive writer: problems that only show when the
//! model is turned into archive entries. The check stage reports most mistakes earlier; these
//! rules are the compiler's own guard so that no broken archive is ever written.

use crate::diag::{Rule, Severity};

pub const ARCHIVE_UNREADABLE: Rule = Rule {
    code: "SP800",
    name: "archive-unreadable",
    severity: Severity::Error,
    summary: "The file is not a readable ZIP archive (truncated, corrupt, encrypted or not a zip at all).",
    example: "a `.sts` that is really a tar.gz",
};
pub const ARCHIVE_UNSAFE_NAME: Rule = Rule {
    code: "SP801",
    name: "archive-unsafe-entry-name",
    severity: Severity::Error,
    summary: "An archive entry name with `..`, an absolute path, a backslash or a drive letter: extracting it could write outside the target directory, so the archive is refused.",
    example: "an entry named `../../etc/cron.d/evil`",
};
pub const ARCHIVE_ENTRY_TOO_LARGE: Rule = Rule {
    code: "SP802",
    name: "archive-entry-too-large",
    severity: Severity::Error,
    summary: "An entry decompresses to more than the per-entry cap: a decompression bomb or a file that does not belong in a StackPack.",
    example: "a 2 GiB zero-filled entry that compresses to 2 MB",
};
pub const ARCHIVE_TOO_LARGE: Rule = Rule {
    code: "SP803",
    name: "archive-too-large",
    severity: Severity::Error,
    summary: "The entries together decompress to more than the total cap, or the archive has too many entries.",
    example: "100 000 entries of 20 KiB each",
};
pub const ARCHIVE_SYMLINK: Rule = Rule {
    code: "SP804",
    name: "archive-symlink-ignored",
    severity: Severity::Warning,
    summary: "A symbolic-link entry: it is ignored, because following it could read or write outside the archive.",
    example: "provisioning/link -> /etc/passwd",
};
pub const ARCHIVE_DUPLICATE_ENTRY: Rule = Rule {
    code: "SP805",
    name: "archive-read-duplicate-entry",
    severity: Severity::Error,
    summary: "Two entries with the same path: which one a reader keeps is undefined.",
    example: "stackpack.conf stored twice",
};

pub const UNRESOLVED_REFERENCE: Rule = Rule {
    code: "SP850",
    name: "compile-unresolved-reference",
    severity: Severity::Error,
    summary: "A reference names no node of the expected kind in the pack or its dependencies, so no id can be emitted for it.",
    example: "syncs: [{ data-source: agnet, … }]",
};
pub const CROSS_FILE_REFERENCE: Rule = Rule {
    code: "SP851",
    name: "compile-cross-scope-reference",
    severity: Severity::Error,
    summary: "A reference cannot be written across STJ files: a shared node pointing at an instance node, or a sync whose data source is in the other file.",
    example: "a shared sync whose data source has `scope: instance`",
};
pub const UNSAFE_INCLUDE_PATH: Rule = Rule {
    code: "SP852",
    name: "compile-unsafe-include-path",
    severity: Severity::Error,
    summary: "A file name cannot be written inside an `include` expression (it contains `\"`, `\\`, `{`, `}` or a control character).",
    example: "script: scripts/say \"hi\".groovy",
};
pub const DUPLICATE_ENTRY: Rule = Rule {
    code: "SP853",
    name: "archive-duplicate-entry",
    severity: Severity::Error,
    summary: "Two different sources would be written to the same archive path.",
    example: "scripts/a.groovy and a.groovy both become provisioning/scripts/a.groovy",
};
pub const MISPLACED_FILE: Rule = Rule {
    code: "SP854",
    name: "compile-misplaced-file",
    severity: Severity::Error,
    summary: "A page or logo lies outside `resources/`, or an `[archive] include` path outside `provisioning/` and `resources/`.",
    example: "[pages] overview = \"docs/overview.md\"",
};
pub const OUTPUT_TEMPLATE: Rule = Rule {
    code: "SP855",
    name: "compile-output-template",
    severity: Severity::Error,
    summary: "A template of a generated file (`stackpack.conf.hbs`, `provision.groovy.hbs`) does not parse or render.",
    example: "--templates dir whose stackpack.conf.hbs has `{{#if x}}` without `{{/if}}`",
};
pub const SYNC_TEMPLATE: Rule = Rule {
    code: "SP856",
    name: "compile-sync-template",
    severity: Severity::Error,
    summary: "A component or relation template cannot be converted to its STJ form (a Handlebars syntax error).",
    example: "{{#if element.data.name}} without {{/if}}",
};
pub const UNSAFE_URN: Rule = Rule {
    code: "SP857",
    name: "compile-unsafe-urn",
    severity: Severity::Error,
    summary: "A URN that must be written inside `{{ get \"…\" }}` contains `\"`, `\\` or a Handlebars expression.",
    example: "identifier: urn:stackpack:x:shared:layer:{{instanceName}} referenced from another file",
};
pub const TOPIC: Rule = Rule {
    code: "SP858",
    name: "compile-topic",
    severity: Severity::Error,
    summary: "The provisioning script cannot compute a data source's topic to wait for its data.",
    example: "topic: \"sts_topo_{{unknown}}\"",
};
pub const UNREADABLE: Rule = Rule {
    code: "SP859",
    name: "compile-unreadable-file",
    severity: Severity::Error,
    summary: "A file that goes into the archive is missing or cannot be read (or an `[archive] include` path matches no file).",
    example: "[archive] include = [\"provisioning/lib\"] without that directory",
};

pub const ARCHIVE_RATIO: Rule = Rule {
    code: "SP806",
    name: "archive-inflation-ratio",
    severity: Severity::Error,
    summary: "An archive whose entries decompress to more than 200 times its size (beyond 64 MiB): a decompression bomb under the size caps; reading stops there.",
    example: "a 463 KB .sts holding 4 entries of 255 MiB of zeros",
};

pub const RULES: &[&Rule] = &[
    &ARCHIVE_UNREADABLE,
    &ARCHIVE_UNSAFE_NAME,
    &ARCHIVE_ENTRY_TOO_LARGE,
    &ARCHIVE_TOO_LARGE,
    &ARCHIVE_SYMLINK,
    &ARCHIVE_DUPLICATE_ENTRY,
    &ARCHIVE_RATIO,
    &UNRESOLVED_REFERENCE,
    &CROSS_FILE_REFERENCE,
    &UNSAFE_INCLUDE_PATH,
    &DUPLICATE_ENTRY,
    &MISPLACED_FILE,
    &OUTPUT_TEMPLATE,
    &SYNC_TEMPLATE,
    &UNSAFE_URN,
    &TOPIC,
    &UNREADABLE,
];
