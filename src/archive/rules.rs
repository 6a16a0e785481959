//! Rules of the reading and writing archives (SP8xx). SP800-SP849: reading `.sts` archives
//! ([`super::read`]).

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
    name: "archive-duplicate-entry",
    severity: Severity::Error,
    summary: "Two entries with the same path: which one a reader keeps is undefined.",
    example: "stackpack.conf stored twice",
};

pub const RULES: &[&Rule] = &[
    &ARCHIVE_UNREADABLE,
    &ARCHIVE_UNSAFE_NAME,
    &ARCHIVE_ENTRY_TOO_LARGE,
    &ARCHIVE_TOO_LARGE,
    &ARCHIVE_SYMLINK,
    &ARCHIVE_DUPLICATE_ENTRY,
];
