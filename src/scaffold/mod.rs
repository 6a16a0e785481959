//! `stackpack new`: a new pack from templates embedded in the binary (`templates/new/`), so it
//! works offline. The pack lints clean and builds as created (a test runs new → lint → build);
//! every file starts with a comment saying what to edit (images excepted: the pack's README
//! lists them).
//!
//! Templates use `@@NAME@@` (pack name), `@@DISPLAY@@` (display name), `@@TOPIC@@` (the name
//! with `_` for `-`, as topic names use) and `@@STEP@@` (the install step of multi-instance
//! packs); Handlebars tags in them are the pack's own and stay as written.
//!
//! Extension point for other source formats: [`Layout`] names what is generated; a format has a
//! variant there and its own file list ([`V1_FILES`], [`V2_FILES`] for StackPack 2.0).

use std::path::{Path, PathBuf};

/// Which files of `templates/new/` a pack gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Both,
    Single,
    Multi,
}

/// The embedded templates of the declarative (1.0 archive) format: `(variant, path, bytes)`.
const V1_FILES: &[(Variant, &str, &[u8])] = &[
    (
        Variant::Both,
        "README.md",
        include_bytes!("../../templates/new/common/README.md"),
    ),
    (
        Variant::Both,
        "changelog/unreleased/first-release.yaml",
        include_bytes!("../../templates/new/common/changelog/unreleased/first-release.yaml"),
    ),
    (
        Variant::Both,
        "icons/component.png",
        include_bytes!("../../templates/new/common/icons/component.png"),
    ),
    (
        Variant::Both,
        "resources/deprovisioning.md",
        include_bytes!("../../templates/new/common/resources/deprovisioning.md"),
    ),
    (
        Variant::Both,
        "resources/error.md",
        include_bytes!("../../templates/new/common/resources/error.md"),
    ),
    (
        Variant::Both,
        "resources/installed.md",
        include_bytes!("../../templates/new/common/resources/installed.md"),
    ),
    (
        Variant::Both,
        "resources/logo.png",
        include_bytes!("../../templates/new/common/resources/logo.png"),
    ),
    (
        Variant::Both,
        "resources/overview.md",
        include_bytes!("../../templates/new/common/resources/overview.md"),
    ),
    (
        Variant::Both,
        "resources/provisioning.md",
        include_bytes!("../../templates/new/common/resources/provisioning.md"),
    ),
    (
        Variant::Both,
        "resources/waiting-for-data.md",
        include_bytes!("../../templates/new/common/resources/waiting-for-data.md"),
    ),
    (
        Variant::Both,
        "scripts/component-ids.groovy",
        include_bytes!("../../templates/new/common/scripts/component-ids.groovy"),
    ),
    (
        Variant::Both,
        "scripts/down.groovy",
        include_bytes!("../../templates/new/common/scripts/down.groovy"),
    ),
    (
        Variant::Both,
        "scripts/relation-ids.groovy",
        include_bytes!("../../templates/new/common/scripts/relation-ids.groovy"),
    ),
    (
        Variant::Both,
        "templates/relation.json.handlebars",
        include_bytes!("../../templates/new/common/templates/relation.json.handlebars"),
    ),
    (
        Variant::Single,
        "stackpack.toml",
        include_bytes!("../../templates/new/single/stackpack.toml"),
    ),
    (
        Variant::Single,
        "nodes/pipeline.yaml",
        include_bytes!("../../templates/new/single/nodes/pipeline.yaml"),
    ),
    (
        Variant::Single,
        "nodes/types.yaml",
        include_bytes!("../../templates/new/single/nodes/types.yaml"),
    ),
    (
        Variant::Single,
        "resources/not-installed.md",
        include_bytes!("../../templates/new/single/resources/not-installed.md"),
    ),
    (
        Variant::Single,
        "templates/component.json.handlebars",
        include_bytes!("../../templates/new/single/templates/component.json.handlebars"),
    ),
    (
        Variant::Multi,
        "stackpack.toml",
        include_bytes!("../../templates/new/multi/stackpack.toml"),
    ),
    (
        Variant::Multi,
        "nodes/pipeline.yaml",
        include_bytes!("../../templates/new/multi/nodes/pipeline.yaml"),
    ),
    (
        Variant::Multi,
        "nodes/types.yaml",
        include_bytes!("../../templates/new/multi/nodes/types.yaml"),
    ),
    (
        Variant::Multi,
        "resources/not-installed.md",
        include_bytes!("../../templates/new/multi/resources/not-installed.md"),
    ),
    (
        Variant::Multi,
        "templates/component.json.handlebars",
        include_bytes!("../../templates/new/multi/templates/component.json.handlebars"),
    ),
];

/// The embedded templates of a StackPack 2.0 pack (`templates/new/v2/`): `(path, bytes)`.
const V2_FILES: &[(&str, &[u8])] = &[
    ("README.md", include_bytes!("../../templates/new/v2/README.md")),
    (
        "changelog/unreleased/first-release.yaml",
        include_bytes!("../../templates/new/v2/changelog/unreleased/first-release.yaml"),
    ),
    (
        "resources/configuration.md",
        include_bytes!("../../templates/new/v2/resources/configuration.md"),
    ),
    (
        "resources/detailed-overview.md",
        include_bytes!("../../templates/new/v2/resources/detailed-overview.md"),
    ),
    (
        "resources/error.md",
        include_bytes!("../../templates/new/v2/resources/error.md"),
    ),
    (
        "resources/installed.md",
        include_bytes!("../../templates/new/v2/resources/installed.md"),
    ),
    (
        "resources/logo.png",
        include_bytes!("../../templates/new/v2/resources/logo.png"),
    ),
    (
        "resources/overview.md",
        include_bytes!("../../templates/new/v2/resources/overview.md"),
    ),
    (
        "resources/provisioning.md",
        include_bytes!("../../templates/new/v2/resources/provisioning.md"),
    ),
    (
        "settings/mappings/components.sty",
        include_bytes!("../../templates/new/v2/settings/mappings/components.sty"),
    ),
    (
        "stackpack-targets.toml",
        include_bytes!("../../templates/new/v2/stackpack-targets.toml"),
    ),
    (
        "stackpack.yaml",
        include_bytes!("../../templates/new/v2/stackpack.yaml"),
    ),
    (
        "tests/components.yaml",
        include_bytes!("../../templates/new/v2/tests/components.yaml"),
    ),
];

/// What kind of pack to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The declarative format of docs/format.md, built into a StackPack 1.0 archive.
    V1 { multi_instance: bool },
    /// A StackPack 2.0 pack for SUSE Observability (docs/v2.md): `stackpack.yaml`, an OTel
    /// component mapping under `settings/`, its offline test under `tests/`, the pages.
    V2,
}

/// Options of [`create`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Pack name: lower-case ASCII letters, digits and `-`.
    pub name: String,
    /// Title; default: the name's words capitalised (`acme-db` → `Acme Db`).
    pub display_name: Option<String>,
    pub layout: Layout,
}

/// Why no pack was created.
#[derive(Debug)]
pub enum Error {
    /// The name is not a valid pack name (with a suggestion).
    InvalidName(String),
    /// The directory exists and is not empty.
    Exists(PathBuf),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::InvalidName(m) => f.write_str(m),
            Error::Exists(p) => write!(
                f,
                "`{}` already exists and is not empty: choose another directory",
                p.display()
            ),
            Error::Io(p, e) => write!(f, "cannot write `{}`: {e} (nothing was created)", p.display()),
        }
    }
}

impl std::error::Error for Error {}

/// The pack name rule of the manifest (`SP008` otherwise): `^[a-z0-9][a-z0-9-]*$`.
pub fn check_name(name: &str) -> Result<(), Error> {
    let ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        return Ok(());
    }
    let suggestion: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let hint = if suggestion.is_empty() {
        String::new()
    } else {
        format!("; for example `{suggestion}` (set the title with --display-name)")
    };
    Err(Error::InvalidName(format!(
        "`{}` is not a valid pack name: use lower-case ASCII letters, digits and `-`, not starting with `-`{hint}",
        crate::diag::escape::escape(name)
    )))
}

/// `acme-db` → `Acme Db`.
pub fn default_display_name(name: &str) -> String {
    name.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The files of the new pack: `/`-separated relative path → bytes, sorted.
pub fn files(opts: &Options) -> Result<Vec<(String, Vec<u8>)>, Error> {
    check_name(&opts.name)?;
    let display = opts
        .display_name
        .clone()
        .unwrap_or_else(|| default_display_name(&opts.name));
    // The display name lands in TOML strings and YAML plain scalars: keep it to one line of
    // text without quotes or the characters that end a YAML plain scalar.
    let display: String = display
        .chars()
        .map(|c| {
            if c.is_control()
                || matches!(
                    c,
                    '"' | '\\'
                        | '#'
                        | ':'
                        | '{'
                        | '}'
                        | '['
                        | ']'
                        | ','
                        | '&'
                        | '*'
                        | '!'
                        | '|'
                        | '>'
                        | '%'
                        | '@'
                        | '`'
                )
            {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let display = if display.is_empty() {
        default_display_name(&opts.name)
    } else {
        display
    };
    let topic = opts.name.replace('-', "_");
    let chosen: Vec<(&str, &[u8])> = match opts.layout {
        Layout::V1 { multi_instance } => V1_FILES
            .iter()
            .filter(|(v, _, _)| match v {
                Variant::Both => true,
                Variant::Single => !multi_instance,
                Variant::Multi => multi_instance,
            })
            .map(|(_, p, b)| (*p, *b))
            .collect(),
        Layout::V2 => V2_FILES.to_vec(),
    };
    let mut out: Vec<(String, Vec<u8>)> = chosen
        .into_iter()
        .map(|(path, bytes)| {
            let bytes = match std::str::from_utf8(bytes) {
                Ok(text) => text
                    .replace("@@NAME@@", &opts.name)
                    .replace("@@DISPLAY@@", &display)
                    .replace("@@TOPIC@@", &topic)
                    .replace("@@STEP@@", "server_url")
                    .into_bytes(),
                Err(_) => bytes.to_vec(),
            };
            (path.replace('\\', "/"), bytes)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Create the pack in `dir` (which must not exist, or be empty). Written into a temporary
/// sibling directory first and renamed into place, so a failure leaves nothing behind.
/// Returns the relative paths written.
pub fn create(dir: &Path, opts: &Options) -> Result<Vec<String>, Error> {
    let files = files(opts)?;
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !empty || !dir.is_dir() {
            return Err(Error::Exists(dir.to_path_buf()));
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::Io(parent.clone(), e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".stackpack-new-")
        .tempdir_in(&parent)
        .map_err(|e| Error::Io(parent.clone(), e))?;
    for (rel, bytes) in &files {
        let path = tmp.path().join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::Io(dir.join(rel), e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::Io(dir.join(rel), e))?;
    }
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(|e| Error::Io(dir.to_path_buf(), e))?;
    }
    let tmp_path = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp_path, dir) {
        let _ = std::fs::remove_dir_all(&tmp_path);
        return Err(Error::Io(dir.to_path_buf(), e));
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/new");
        let mut on_disk = Vec::new();
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, base, out);
                } else if let Ok(rel) = p.strip_prefix(base) {
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        walk(&root, &root, &mut on_disk);
        on_disk.sort();
        let mut embedded: Vec<String> = V1_FILES
            .iter()
            .map(|(v, p, _)| {
                let d = match v {
                    Variant::Both => "common",
                    Variant::Single => "single",
                    Variant::Multi => "multi",
                };
                format!("{d}/{p}")
            })
            .collect();
        embedded.extend(V2_FILES.iter().map(|(p, _)| format!("v2/{p}")));
        embedded.sort();
        assert_eq!(
            on_disk, embedded,
            "templates/new and V1_FILES/V2_FILES differ: add the file there"
        );
    }

    #[test]
    fn names_are_checked_and_titles_derived() {
        assert!(check_name("acme-db").is_ok());
        let e = check_name("My Pack").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("`my-pack`"), "{e}");
        assert_eq!(default_display_name("acme-db"), "Acme Db");
    }

    #[test]
    fn placeholders_are_all_replaced() {
        for layout in [
            Layout::V1 { multi_instance: false },
            Layout::V1 { multi_instance: true },
            Layout::V2,
        ] {
            let opts = Options {
                name: "acme-db".into(),
                display_name: Some("ACME: \"DB\" # x".into()),
                layout,
            };
            for (p, b) in files(&opts).unwrap_or_default() {
                let t = String::from_utf8_lossy(&b);
                assert!(!t.contains("@@"), "{p} keeps a placeholder");
            }
        }
    }
}
