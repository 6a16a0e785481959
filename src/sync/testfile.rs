//! The pack's test files: every `*.yaml`/`*.yml` under `tests/` (JSON files there are data
//! that tests point at). The format is documented in `docs/testing.md` and published as
//! `schemas/sync-test.schema.json`.
//!
//! ```yaml
//! template: agent-host-template        # component or relation template: short id or URN
//! mapping: agent-container-mapping     # optional: the mapping function that runs first
//! id-extractor: agent-component-id-extractor   # optional
//! import-args: { instanceId: 7 }       # optional: import-time variables
//! cases:
//!   - name: rich host
//!     element: { externalId: "urn:host:/a", type: { name: host }, data: { host: a } }
//!     # or element-file: elements/host.json
//!     mapped: { … }                    # optional: the element after the mapping function
//!     id: { externalId: …, identifiers: [ … ], type: host }   # optional: id extractor result
//!     expect: { … }                    # optional: the produced JSON, or expect-file: x.json
//! ```

use super::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::tree::{Fields, Kind, Value as Tree};
use crate::model::Pack;
use crate::source::{FileId, Span, Spanned};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The keys of a test file, in the order the docs and the schema list them.
pub const FILE_KEYS: [&str; 5] = ["template", "mapping", "id-extractor", "import-args", "cases"];
/// The keys of a case.
pub const CASE_KEYS: [&str; 9] = [
    "name",
    "element",
    "element-file",
    "mapped",
    "mapped-file",
    "id",
    "id-file",
    "expect",
    "expect-file",
];

/// Where an expectation lives.
#[derive(Debug, Clone)]
pub enum Source {
    /// In the test file, at this span (rewritten in place by `--update`). An empty value
    /// (`expect:` with nothing after it) has no span of its own: the key's span is kept.
    Inline { value: Span, key: Span, empty: bool },
    /// In a JSON file: pack-relative path; the span of the `…-file` value.
    File { rel: String, span: Span },
}

/// An expected value (`expect`, `mapped`, `id`).
#[derive(Debug, Clone)]
pub struct Expectation {
    pub source: Source,
    /// `None` when the file does not exist yet (`--update` creates it).
    pub value: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: Spanned<String>,
    pub element: Value,
    pub element_span: Span,
    pub mapped: Option<Expectation>,
    pub id: Option<Expectation>,
    pub expect: Option<Expectation>,
}

#[derive(Debug, Clone)]
pub struct TestFile {
    /// Pack-relative path.
    pub rel: String,
    pub file: FileId,
    pub template: Spanned<String>,
    pub mapping: Option<Spanned<String>>,
    pub id_extractor: Option<Spanned<String>>,
    pub import_args: Map<String, Value>,
    pub cases: Vec<Case>,
}

/// Pack-relative paths of the test files, sorted.
pub fn discover(pack: &Pack) -> Vec<String> {
    pack.files
        .iter()
        .filter(|(rel, f)| rel.starts_with("tests/") && (rel.ends_with(".yaml") || rel.ends_with(".yml")) && !f.escapes)
        .map(|(rel, _)| rel.clone())
        .collect()
}

/// Read and parse one test file, registering it in `pack.sources`.
pub fn read(pack: &mut Pack, rel: &str, diags: &mut Diagnostics) -> Option<TestFile> {
    let (file, doc) = read_document(
        &mut pack.sources,
        &pack.root,
        &pack.canonical_root,
        rel,
        "write `template: <id>` and `cases:` (see docs/testing.md)",
        diags,
    )?;
    parse(pack, rel, file, &doc, diags)
}

/// The test file `rel` of the pack rooted at `root` (v1 or 2.0), read through the pack's safe
/// reader, registered in `sources`, as its first YAML document. An unreadable, unparsable or
/// empty file is a finding (`empty_help` says what to write) and `None`.
pub fn read_document(
    sources: &mut crate::source::SourceMap,
    root: &Path,
    canonical_root: &Path,
    rel: &str,
    empty_help: &str,
    diags: &mut Diagnostics,
) -> Option<(FileId, Tree)> {
    let (path, text) = match read_text_in(root, canonical_root, rel) {
        Ok((path, Some(text))) => (path, text),
        failed => {
            let e = failed.err().unwrap_or_else(|| "it does not exist".to_string());
            diags.push(Diagnostic::at_path(
                &rules::TEST_FILE_INVALID,
                rel.to_string(),
                format!("cannot read test file `{rel}`: {e}"),
            ));
            return None;
        }
    };
    let file = sources.add(rel.to_string(), Some(&path), text);
    let docs = crate::load::yaml::parse(file, sources.file(file), diags)?;
    let Some(doc) = docs.into_iter().next() else {
        diags.push(
            Diagnostic::new(
                &rules::TEST_FILE_INVALID,
                Span::file_start(file),
                "the test file is empty",
            )
            .help(empty_help.to_string()),
        );
        return None;
    };
    Some((file, doc))
}

fn parse(pack: &Pack, rel: &str, file: FileId, doc: &Tree, diags: &mut Diagnostics) -> Option<TestFile> {
    let mut f = Fields::new(doc, "test file", diags)?;
    let template = f.req_str("template", diags);
    let mapping = f.opt_str("mapping", diags);
    let id_extractor = f.opt_str("id-extractor", diags);
    let import_args = match f.opt_map("import-args", diags) {
        Some((m, _)) => m.entries.iter().map(|(k, v)| (k.value.clone(), v.to_json())).collect(),
        None => Map::new(),
    };
    let cases_tree = f.opt_seq("cases", diags);
    let span = f.span;
    f.finish(diags);
    let template = template?;
    let Some(cases_tree) = cases_tree.filter(|c| !c.is_empty()) else {
        diags.push(
            Diagnostic::new(&rules::TEST_FILE_INVALID, span, "the test file has no `cases`")
                .help("add `cases:` with at least one `- name: …` and `element: …`"),
        );
        return None;
    };
    let dir = Path::new(rel).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut cases = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for c in cases_tree {
        if let Some(case) = parse_case(pack, &dir, c, diags) {
            if !names.insert(case.name.value.clone()) {
                diags.push(
                    Diagnostic::new(
                        &rules::TEST_FILE_INVALID,
                        case.name.span,
                        format!("two cases are named `{}`", case.name.value),
                    )
                    .help("give every case of a file its own name"),
                );
                continue;
            }
            cases.push(case);
        }
    }
    Some(TestFile {
        rel: rel.to_string(),
        file,
        template,
        mapping,
        id_extractor,
        import_args,
        cases,
    })
}

fn parse_case(pack: &Pack, dir: &Path, c: &Tree, diags: &mut Diagnostics) -> Option<Case> {
    let mut f = Fields::new(c, "test case", diags)?;
    let name = f.req_str("name", diags);
    let element_inline = f.raw("element");
    let element_file = f.opt_str("element-file", diags);
    let mapped = expectation(pack, dir, &mut f, "mapped", "mapped-file", diags);
    let id = expectation(pack, dir, &mut f, "id", "id-file", diags);
    let expect = expectation(pack, dir, &mut f, "expect", "expect-file", diags);
    let span = f.span;
    f.finish(diags);
    let name = name?;
    let (element, element_span) = inline_or_file(
        element_inline,
        element_file,
        dir,
        &|rel| read_json(pack, rel),
        ("element", "element-file"),
        &name.value,
        span,
        "add `element: { externalId: …, type: { name: … }, data: { … } }`",
        diags,
    )?;
    let ok = element
        .get("externalId")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
        && element.pointer("/type/name").and_then(Value::as_str).is_some();
    if !ok {
        diags.push(
            Diagnostic::new(
                &rules::TEST_FILE_INVALID,
                element_span,
                format!("the element of case `{}` needs a non-empty `externalId` and a `type: {{ name: … }}`", name.value),
            )
            .help("write the element as the sync receives it: externalId, type.name, data (relations: sourceExternalId, targetExternalId)"),
        );
        return None;
    }
    Some(Case {
        name,
        element,
        element_span,
        mapped,
        id,
        expect,
    })
}

/// A case input written inline (`key`) or in a file (`file_key`, relative to the test file's
/// directory `dir`, read with `read`): exactly one of them. `help` says how to add it when
/// neither is there.
#[allow(clippy::too_many_arguments)]
pub fn inline_or_file(
    inline: Option<&Tree>,
    file: Option<Spanned<String>>,
    dir: &Path,
    read: &dyn Fn(&str) -> Result<Option<Value>, String>,
    (key, file_key): (&str, &str),
    case: &str,
    span: Span,
    help: &str,
    diags: &mut Diagnostics,
) -> Option<(Value, Span)> {
    match (inline, file) {
        (Some(v), None) => Some((v.to_json(), v.span)),
        (None, Some(p)) => {
            let rel = join(dir, &p.value);
            match read(&rel) {
                Ok(Some(v)) => Some((v, p.span)),
                Ok(None) => {
                    diags.push(missing_file(&p, &rel, "the file does not exist"));
                    None
                }
                Err(why) => {
                    diags.push(missing_file(&p, &rel, &why));
                    None
                }
            }
        }
        (Some(v), Some(_)) => {
            diags.push(
                Diagnostic::new(
                    &rules::TEST_FILE_INVALID,
                    v.span,
                    format!("a case has both `{key}` and `{file_key}`"),
                )
                .help("keep one of them"),
            );
            None
        }
        (None, None) => {
            diags.push(
                Diagnostic::new(
                    &rules::TEST_FILE_INVALID,
                    span,
                    format!("case `{case}` has no `{key}` (or `{file_key}`)"),
                )
                .help(help),
            );
            None
        }
    }
}

pub fn missing_file(p: &Spanned<String>, rel: &str, why: &str) -> Diagnostic {
    Diagnostic::new(&rules::TEST_MISSING_FILE, p.span, format!("cannot use `{rel}`: {why}"))
        .help("paths are relative to the test file and stay inside the pack")
}

fn expectation(
    pack: &Pack,
    dir: &Path,
    f: &mut Fields<'_>,
    inline: &'static str,
    file_key: &'static str,
    diags: &mut Diagnostics,
) -> Option<Expectation> {
    expectation_in(&pack.root, &pack.canonical_root, dir, f, inline, file_key, diags)
}

/// An expectation of a test file, inline (`inline` key) or in a JSON file (`file_key`), for a
/// pack rooted at `root` (`canonical_root`: the same, canonicalized).
pub fn expectation_in(
    root: &Path,
    canonical_root: &Path,
    dir: &Path,
    f: &mut Fields<'_>,
    inline: &'static str,
    file_key: &'static str,
    diags: &mut Diagnostics,
) -> Option<Expectation> {
    let v = f.raw(inline);
    let key = f.key_span(inline);
    let p = f.opt_str(file_key, diags);
    match (v, p) {
        (Some(v), None) => {
            let empty = matches!(v.kind, Kind::Null);
            Some(Expectation {
                source: Source::Inline {
                    value: v.span,
                    key: key.unwrap_or(v.span),
                    empty,
                },
                // An empty expectation is there to be filled by `--update`.
                value: (!empty).then(|| v.to_json()),
            })
        }
        (None, Some(p)) => {
            let rel = join(dir, &p.value);
            match read_json_in(root, canonical_root, &rel) {
                Ok(value) => Some(Expectation {
                    source: Source::File { rel, span: p.span },
                    value,
                }),
                Err(why) => {
                    diags.push(missing_file(&p, &rel, &why));
                    None
                }
            }
        }
        (Some(v), Some(_)) => {
            diags.push(
                Diagnostic::new(
                    &rules::TEST_FILE_INVALID,
                    v.span,
                    format!("a case has both `{inline}` and `{file_key}`"),
                )
                .help("keep one of them"),
            );
            None
        }
        (None, None) => None,
    }
}

/// `dir/path`, normalised, as a pack-relative path (`..` that leaves the pack is kept so that
/// [`read_json`] refuses it).
pub fn join(dir: &Path, path: &str) -> String {
    let mut parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            s => parts.push(s.to_string()),
        }
    }
    parts.join("/")
}

/// Pack-relative path → absolute path, refusing paths that leave the pack.
pub fn pack_path(pack: &Pack, rel: &str) -> Result<PathBuf, String> {
    path_in(&pack.root, &pack.canonical_root, rel)
}

/// [`pack_path`] for a pack rooted at `root` (`canonical_root`: the same, canonicalized).
pub fn path_in(root: &Path, canonical_root: &Path, rel: &str) -> Result<PathBuf, String> {
    if rel.starts_with('/') || rel.split('/').any(|s| s == "..") || rel.contains('\\') {
        return Err("the path leaves the pack directory".into());
    }
    let path = root.join(rel);
    // The file, or (when it does not exist yet) its nearest existing ancestor, must resolve
    // inside the pack: a symbolic link must not lead reads or `--update` writes elsewhere.
    let existing = path.ancestors().find(|p| p.exists()).unwrap_or(root);
    match existing.canonicalize() {
        Ok(c) if c.starts_with(canonical_root) => Ok(path),
        Ok(_) => Err("the path leads outside the pack (symbolic link)".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// `Ok(None)`: the file does not exist.
fn read_json(pack: &Pack, rel: &str) -> Result<Option<Value>, String> {
    read_json_in(&pack.root, &pack.canonical_root, rel)
}

/// [`read_json`] for a pack rooted at `root`.
pub fn read_json_in(root: &Path, canonical_root: &Path, rel: &str) -> Result<Option<Value>, String> {
    match read_text_in(root, canonical_root, rel)?.1 {
        Some(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| format!("not valid JSON: {e}")),
        None => Ok(None),
    }
}

/// The text of the pack file `rel` (`None`: it does not exist), through [`path_in`] and the
/// pack's safe reader (`load::safe::read_in`: inside the pack, a regular file, bounded), with
/// the path it was read from.
fn read_text_in(root: &Path, canonical_root: &Path, rel: &str) -> Result<(PathBuf, Option<String>), String> {
    let path = path_in(root, canonical_root, rel)?;
    match crate::load::safe::read_in(canonical_root, &path, &crate::load::safe::Budget::default()) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(|t| (path, Some(t)))
            .map_err(|_| "it is not UTF-8 text".to_string()),
        Err(crate::load::safe::Refusal::Io(std::io::ErrorKind::NotFound, _)) => Ok((path, None)),
        Err(r) => Err(r.to_string()),
    }
}
