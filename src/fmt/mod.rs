//! `stackpack fmt`: the canonical layout of a pack's YAML and TOML sources.
//!
//! YAML goes through `pretty_yaml`, TOML through `taplo`'s formatter, both of which keep
//! comments. The canonical form: two-space indentation, block sequences indented under their
//! key, double quotes where quotes are needed, one space after `#`-comments' values, no
//! trailing whitespace, at most one blank line in a row (two in TOML), exactly one trailing
//! newline, lines up to 100 columns, and keys in the canonical order of their file's format
//! ([`order`]: the order of the format docs, unknown keys last in written order), each key moving
//! with the comments directly above it and on its line ([`reorder`]).
//!
//! A file is only ever rewritten to text that parses to the same data: after formatting, both
//! texts are parsed (`serde_yaml`, `toml`) and compared; when they differ, or the file does not
//! parse, it is left alone and reported. Formatting is idempotent (tested on the example pack
//! and every fixture).

use std::path::{Path, PathBuf};

pub mod emit;
pub mod order;
mod reorder;

pub use order::{role_of, Role};

/// A formattable source kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Yaml,
    Toml,
}

/// The kind of a file by its extension.
pub fn kind_of(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "yaml" | "yml" | "sty" => Some(Kind::Yaml),
        "toml" => Some(Kind::Toml),
        _ => None,
    }
}

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The file does not parse: `stackpack lint` locates the problem.
    Syntax(String),
    /// The formatter's output would not mean the same as the input (a formatter bug): the
    /// file is left as it is.
    ChangesMeaning,
    /// The formatter's layout of a multi-line flow collection (`[ … ]`, `{ … }`) would not be
    /// valid YAML 1.2 (closing bracket at its key's indentation): the file is left as it is.
    FlowLayout,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Syntax(m) => write!(f, "does not parse ({m}); `stackpack lint` shows where"),
            Error::ChangesMeaning => {
                f.write_str("left as it is: formatting it would change its data (please report this)")
            }
            Error::FlowLayout => f.write_str(
                "left as it is: a multi-line `[ … ]` or `{ … }` here cannot be laid out canonically \
                 as valid YAML 1.2; write it in block style (`- item` lines, `key: value` lines)",
            ),
        }
    }
}

const WIDTH: usize = 100;

fn yaml_options(trim_trailing_whitespace: bool) -> pretty_yaml::config::FormatOptions {
    let mut o = pretty_yaml::config::FormatOptions::default();
    o.layout.print_width = WIDTH;
    o.layout.indent_width = 2;
    o.language.quotes = pretty_yaml::config::Quotes::PreferDouble;
    o.language.indent_block_sequence_in_map = true;
    o.language.trim_trailing_whitespaces = trim_trailing_whitespace;
    o.language.trim_trailing_zero = false;
    // `{dependency: common, to: 2.5.0}`, as the changelog docs write flow maps.
    o.language.brace_spacing = false;
    o
}

fn toml_options() -> taplo::formatter::Options {
    taplo::formatter::Options {
        column_width: WIDTH,
        indent_string: "  ".into(),
        trailing_newline: true,
        allowed_blank_lines: 2,
        align_comments: false,
        align_single_comments: false,
        ..taplo::formatter::Options::default()
    }
}

/// YAML's data, for the meaning check: every document of the stream.
fn yaml_data(text: &str) -> Result<Vec<serde_yaml::Value>, String> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        docs.push(serde_yaml::Value::deserialize(doc).map_err(|e| e.to_string())?);
    }
    Ok(docs)
}

/// Whether the loader's YAML 1.2 parser (`saphyr`) reads `text` without a syntax error.
fn strict_yaml_ok(text: &str) -> bool {
    saphyr_parser::Parser::new_from_str(text).all(|event| event.is_ok())
}

/// Run a formatter that might panic on input it does not expect as a normal error.
fn guarded(f: impl FnOnce() -> Result<String, String> + std::panic::UnwindSafe) -> Result<String, Error> {
    match std::panic::catch_unwind(f) {
        Ok(r) => r.map_err(Error::Syntax),
        Err(_) => Err(Error::ChangesMeaning),
    }
}

fn format_yaml(text: &str, trim_trailing_whitespace: bool) -> Result<String, Error> {
    let input = text.to_string();
    let options = yaml_options(trim_trailing_whitespace);
    guarded(move || pretty_yaml::format_text(&input, &options).map_err(|e| e.to_string()))
}

fn format_toml(text: &str) -> Result<String, Error> {
    let input = text.to_string();
    guarded(move || Ok(taplo::formatter::format(&input, toml_options())))
}

/// The canonical text of a source whose keys keep their written order ([`Role::Other`]).
pub fn format_text(kind: Kind, text: &str) -> Result<String, Error> {
    format_source(kind, Role::Other, text)
}

/// The canonical text of a source of `role`: formatted, then its keys in the canonical order
/// of [`order`]. The result always parses to the same data as `text` (maps compared without
/// regard to order): a formatting that would not is refused ([`Error::ChangesMeaning`]), a
/// reordering that would not is dropped (the file is only formatted).
pub fn format_source(kind: Kind, role: Role, text: &str) -> Result<String, Error> {
    let normalized: String = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let ctx = order::root(role);
    let out = match kind {
        Kind::Yaml => {
            let before = yaml_data(&normalized).map_err(Error::Syntax)?;
            // The output must also stay readable by the tool's own (YAML 1.2) reader when the
            // input was: `serde_yaml` alone accepts layouts the loader rejects (a flow list's
            // closing `]` at its key's indentation).
            let strict = strict_yaml_ok(&normalized);
            let same = |t: &str| yaml_data(t).ok().as_ref() == Some(&before) && (!strict || strict_yaml_ok(t));
            // Trailing whitespace is trimmed everywhere, except where it is data: on the
            // lines of a block scalar (`|`), as published packs' multi-line queries have
            // it. The formatter trims it there too, so a text it would change is formatted
            // again with the trailing whitespace kept.
            let mut trim = true;
            let mut out = format_yaml(&normalized, trim)?;
            if !same(&out) {
                trim = false;
                out = format_yaml(&normalized, trim)?;
                if !same(&out) {
                    let data_kept = yaml_data(&out).ok().as_ref() == Some(&before);
                    return Err(if data_kept {
                        Error::FlowLayout
                    } else {
                        Error::ChangesMeaning
                    });
                }
            }
            let ordered = reorder::yaml(&out, ctx);
            let out = match (ordered != out).then(|| format_yaml(&ordered, trim)) {
                Some(Ok(o)) if same(&o) => o,
                _ => out,
            };
            let ended = end_with_one_newline(&out);
            return Ok(if same(&ended) {
                ended
            } else {
                format!("{}\n", out.trim_end_matches('\n'))
            });
        }
        Kind::Toml => {
            let before: toml::Table = normalized
                .parse()
                .map_err(|e: toml::de::Error| Error::Syntax(e.message().to_string()))?;
            let parsed = taplo::parser::parse(&normalized);
            if let Some(e) = parsed.errors.first() {
                return Err(Error::Syntax(e.to_string()));
            }
            let same = |t: &str| t.parse::<toml::Table>().ok().as_ref() == Some(&before);
            let out = format_toml(&normalized)?;
            if !same(&out) {
                return Err(Error::ChangesMeaning);
            }
            let ordered = reorder::toml(&out, ctx);
            match (ordered != out).then(|| format_toml(&ordered)) {
                Some(Ok(o)) if same(&o) => o,
                _ => out,
            }
        }
    };
    Ok(end_with_one_newline(&out))
}

/// `text` ending in exactly one newline, without trailing blanks (empty when all blank).
fn end_with_one_newline(text: &str) -> String {
    let mut out = text.trim_end_matches(['\n', ' ']).to_string();
    out.push('\n');
    if out.trim().is_empty() {
        out.clear();
    }
    out
}

/// `text`, YAML generated by a command that writes pack sources (`release`, `changelog add`,
/// `import`), in the form `stackpack fmt` gives it, so that `fmt --check` in CI passes right
/// after those commands. Generated text always parses; should the formatter refuse it anyway,
/// the text is kept as generated (still valid YAML, only not canonical).
pub fn canonical_yaml(role: Role, text: String) -> String {
    format_source(Kind::Yaml, role, &text).unwrap_or(text)
}

/// The YAML and TOML files a pack's sources are made of: the manifest, the node files and any
/// other YAML/TOML file of the pack, and the changelog directory's files (which may lie beside
/// the pack). Hidden files and symlinks that leave the pack are not included.
pub fn pack_sources(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for dir in [Some(root.to_path_buf()), changelog_dir(root)].into_iter().flatten() {
        if !dir.is_dir() {
            continue;
        }
        out.extend(sources_below(&dir)?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every YAML/TOML file below `dir` (with the loader's walk: no hidden files, no escaping
/// symlinks, bounded depth).
pub fn sources_below(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let canonical = dir
        .canonicalize()
        .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut ignored = crate::diag::Diagnostics::new();
    let files = crate::load::discover(dir, &canonical, &mut ignored).map_err(|e| e.to_string())?;
    Ok(files
        .iter()
        .filter(|(rel, f)| !f.escapes && kind_of(Path::new(rel)).is_some())
        .map(|(_, f)| f.path.clone())
        .collect())
}

/// The manifest's `changelog` directory when it lies outside the pack (`../changelog`).
fn changelog_dir(root: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(root.join(crate::load::MANIFEST)).ok()?;
    let table: toml::Table = text.parse().ok()?;
    let rel = table.get("changelog")?.as_str()?;
    if !rel.starts_with("../") || rel[3..].contains("..") || rel.contains('\\') {
        return None;
    }
    Some(root.join(rel))
}

/// What [`format_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Unchanged,
    /// Reformatted (or, with `check`, would be).
    Changed,
}

/// Format one file in place (atomically), or with `check` only tell whether it would change.
pub fn format_file(path: &Path, check: bool) -> Result<Outcome, String> {
    let kind = kind_of(path).ok_or_else(|| "is not a YAML or TOML file".to_string())?;
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.file_type().is_file() {
        return Err("is not a regular file: left alone".to_string());
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
    let formatted = format_source(kind, role_of(path), &text).map_err(|e| e.to_string())?;
    if formatted == text {
        return Ok(Outcome::Unchanged);
    }
    if !check {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new()
            .prefix(".stackpack-fmt-")
            .tempfile_in(dir)
            .map_err(|e| e.to_string())?;
        use std::io::Write;
        tmp.write_all(formatted.as_bytes()).map_err(|e| e.to_string())?;
        let _ = tmp.as_file().set_permissions(meta.permissions());
        tmp.persist(path).map_err(|e| e.error.to_string())?;
    }
    Ok(Outcome::Changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_is_canonical_with_comments_kept() {
        let text =
            "# head\ncomponent-types:\n- id: 'a'   # trailing\n  name:    A\n\n\n\nrelation-types:\n    - id: b\n";
        let out = format_text(Kind::Yaml, text).unwrap_or_default();
        assert!(out.contains("# head") && out.contains("# trailing"), "{out}");
        assert!(out.contains("  - id: \"a\""), "{out}");
        assert_eq!(format_text(Kind::Yaml, &out).as_ref(), Ok(&out), "idempotent");
    }

    #[test]
    fn toml_is_canonical_with_comments_kept() {
        let text =
            "# manifest\nname=\"a\"   # the name\ncategories = [ \"x\",\"y\" ]\n[dependencies]\ncommon =   \"2.5.0\"";
        let out = format_text(Kind::Toml, text).unwrap_or_default();
        assert!(out.contains("name = \"a\"") && out.contains("# the name"), "{out}");
        assert!(out.ends_with("common = \"2.5.0\"\n"), "{out}");
        assert_eq!(format_text(Kind::Toml, &out).as_ref(), Ok(&out), "idempotent");
    }

    #[test]
    fn trailing_blanks_inside_block_scalars_are_kept() {
        // A multi-line query whose lines end in a blank (as published 2.0 packs write them):
        // the blank is part of the string, so it stays; other lines are still tidied.
        let text = "nodes:\n    - query: |\n        a or \n        b\n      name:   'x'   \n";
        let out = format_text(Kind::Yaml, text);
        assert_eq!(
            out.as_deref(),
            Ok("nodes:\n  - query: |\n      a or \n      b\n    name: \"x\"\n"),
            "{out:?}"
        );
        let out = out.unwrap_or_default();
        assert_eq!(yaml_data(&out), yaml_data(text));
        assert_eq!(format_text(Kind::Yaml, &out).as_ref(), Ok(&out), "idempotent");
        // At the very end of the file too.
        let last = "q: |\n  a \n  b \n";
        let out = format_text(Kind::Yaml, last).unwrap_or_default();
        assert_eq!(yaml_data(&out), yaml_data(last), "{out:?}");
    }

    #[test]
    fn output_stays_readable_by_the_loader() {
        // A JSON-style flow list under a key (what `stackpack test --update` wrote): the
        // formatter would put its closing `]` at the key's indentation, which serde_yaml reads
        // and the loader's YAML 1.2 parser rejects.
        let text = "cases:\n  - name: a\n    relations: [\n        {\n          \"a\": \"b\"\n        }\n      ]\n";
        assert!(strict_yaml_ok(text));
        match format_text(Kind::Yaml, text) {
            Ok(out) => assert!(strict_yaml_ok(&out), "{out}"),
            Err(e) => assert_eq!(e, Error::FlowLayout),
        }
    }

    #[test]
    fn broken_files_are_refused() {
        assert!(matches!(format_text(Kind::Yaml, "a: [\n"), Err(Error::Syntax(_))));
        assert!(matches!(format_text(Kind::Toml, "a = \n"), Err(Error::Syntax(_))));
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    fn nodes(text: &str) -> String {
        format_source(Kind::Yaml, Role::V1Nodes, text).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn maps_compare_without_order() {
        assert_eq!(yaml_data("a: 1\nb: 2\n"), yaml_data("b: 2\na: 1\n"));
        let a: toml::Table = "a = 1\nb = 2\n".parse().unwrap_or_default();
        let b: toml::Table = "b = 2\na = 1\n".parse().unwrap_or_default();
        assert_eq!(a, b);
        assert_ne!(
            yaml_data("- a\n- b\n"),
            yaml_data("- b\n- a\n"),
            "lists keep their order"
        );
    }

    #[test]
    fn node_files_get_the_documented_order_with_their_comments() {
        let text = "# head\n\nsyncs:\n  - name: S # trailing\n    # about id\n    id: s\nlayers:\n  - order: 1\n    zzz: unknown\n    aaa: unknown\n    id: l\n";
        let want = "# head\n\nlayers:\n  - id: l\n    order: 1\n    zzz: unknown\n    aaa: unknown\nsyncs:\n  # about id\n  - id: s\n    name: S # trailing\n";
        assert_eq!(nodes(text), want);
        assert_eq!(nodes(want), want, "idempotent");
    }

    #[test]
    fn flow_and_multi_document_yaml_stay_safe() {
        // Flow mappings are not reordered; each document is ordered on its own.
        let text = "views:\n  - {query: q, id: v}\n---\nsyncs:\n  - name: s\n    id: s\n---\n- just\n- a list\n";
        let want = "views:\n  - {query: q, id: v}\n---\nsyncs:\n  - id: s\n    name: s\n---\n- just\n- a list\n";
        assert_eq!(nodes(text), want);
        // Reordering that would change the data (an alias before its anchor) is dropped.
        let anchored = "layers:\n  - name: &n Layer\n    id: *n\n";
        let out = nodes(anchored);
        assert_eq!(yaml_data(&out).ok(), yaml_data(anchored).ok(), "{out}");
    }

    #[test]
    fn toml_tables_and_arrays_of_tables_are_ordered() {
        let text = "# manifest\nversion = \"1.0.0\"\nname = \"a\" # id\n[lint]\nallow = []\n\n# install inputs\n[[steps]]\ndisplay = \"URL\"\nname = \"url\"\n[[steps]]\nname = \"b\"\ndisplay = \"B\"\n[dependencies]\nz = \"1.0.0\"\ncommon = \"2.5.0\"\n";
        let out = format_source(Kind::Toml, Role::Manifest, text).unwrap_or_default();
        let want = "# manifest\nname = \"a\" # id\nversion = \"1.0.0\"\n[dependencies]\nz = \"1.0.0\"\ncommon = \"2.5.0\"\n\n# install inputs\n[[steps]]\nname = \"url\"\ndisplay = \"URL\"\n[[steps]]\nname = \"b\"\ndisplay = \"B\"\n[lint]\nallow = []\n";
        assert_eq!(out, want);
        assert_eq!(
            format_source(Kind::Toml, Role::Manifest, &out).ok().as_deref(),
            Some(want)
        );
    }
}
