//! Stage 4, **compile**: the typed model → the files of a StackPack 1.0 archive.
//!
//! [`compile`] turns a checked [`Pack`] into a sorted list of archive entries: `stackpack.conf`,
//! the provisioning script, the `.stj` templates with the scripts, sync templates and icons they
//! include, and everything under `resources/`. What goes where, the escaping rules and how ids
//! are assigned are documented in `docs/compile.md`.

pub mod conf;
pub mod json;
pub mod provision;
pub mod stj;
pub mod templates;

use crate::archive::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Pack;
use crate::source::Span;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the compiler needs besides the pack.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// A directory whose `*.hbs` files replace the embedded templates of the same name.
    pub templates: Option<PathBuf>,
    /// Rendered release notes, written to `resources/RELEASE.md` (and named by `releaseNotes`).
    pub release_notes: Option<String>,
    /// Unix time written into the STJ envelopes' `timestamp` (the build's fixed time).
    pub timestamp: i64,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            templates: None,
            release_notes: None,
            timestamp: crate::archive::write::DEFAULT_EPOCH,
        }
    }
}

/// One file of the archive (defined by the archive stage, which must not depend on this one).
pub use crate::archive::{Data, Entry};

/// The compiled pack: archive entries sorted by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// `<name>-<version>.sts`.
    pub file_name: String,
    pub entries: Vec<Entry>,
}

impl Compiled {
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.entries
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.entries[i].data.bytes())
    }
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.path.as_str())
    }
}

/// Where an archive entry comes from (to tell a harmless repeat from a clash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A pack file copied (or converted) under its pack-relative path.
    File(String),
    /// A generated file, described in words.
    Generated(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(p) => write!(f, "`{p}`"),
            Source::Generated(what) => f.write_str(what),
        }
    }
}

/// The archive entries being collected.
#[derive(Debug, Default)]
pub struct Files {
    entries: BTreeMap<String, (Source, Data)>,
}

impl Files {
    /// Add an entry. The same source added twice with the same bytes is kept once; anything else
    /// landing on a taken path is an [`rules::DUPLICATE_ENTRY`] error.
    pub fn add(
        &mut self,
        path: String,
        source: Source,
        data: impl Into<Data>,
        span: Option<Span>,
        diags: &mut Diagnostics,
    ) {
        let data = data.into();
        if let Some((existing, bytes)) = self.entries.get(&path) {
            if *existing == source && *bytes == data {
                return;
            }
            let msg = format!("{source} and {existing} would both be written to `{path}` in the archive");
            let d = match span {
                Some(span) => Diagnostic::new(&rules::DUPLICATE_ENTRY, span, msg),
                None => Diagnostic::at_path(&rules::DUPLICATE_ENTRY, path.clone(), msg),
            };
            diags.push(
                d.label("clashes with another archive entry").help(
                    "rename or move one of the files (see docs/compile.md for where each file goes in the archive)",
                ),
            );
            return;
        }
        self.entries.insert(path, (source, data));
    }

    fn into_entries(self) -> Vec<Entry> {
        self.entries
            .into_iter()
            .map(|(path, (_, data))| Entry { path, data })
            .collect()
    }
}

/// Compile `pack` into archive entries. Returns the compiler's findings (all errors) when any
/// entry cannot be produced; nothing partial is returned.
pub fn compile(pack: &Pack, opts: &CompileOptions) -> Result<Compiled, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut files = Files::default();
    let m = &pack.manifest;
    let tpl = templates::Templates::new(opts.templates.clone());

    // resources/ as is.
    for (rel, file) in &pack.files {
        if rel.starts_with("resources/") && !file.escapes {
            copy_file(pack, rel, rel, None, &mut files, &mut diags);
        }
    }
    // [archive] include, verbatim.
    for inc in &m.include {
        if !(inc.value.starts_with("provisioning/") || inc.value.starts_with("resources/")) {
            diags.push(
                Diagnostic::new(
                    &rules::MISPLACED_FILE,
                    inc.span,
                    format!(
                        "`{}` is neither under `provisioning/` nor under `resources/`",
                        inc.value
                    ),
                )
                .label("copied to the same path in the archive")
                .help("StackState only reads `provisioning/` and `resources/`; move the file under one of them"),
            );
            continue;
        }
        let under = format!("{}/", inc.value);
        let matched: Vec<&String> = pack
            .files
            .keys()
            .filter(|k| **k == inc.value || k.starts_with(&under))
            .collect();
        if matched.is_empty() {
            diags.push(
                Diagnostic::new(
                    &rules::UNREADABLE,
                    inc.span,
                    format!("`{}` matches no file of the pack", inc.value),
                )
                .label("nothing to copy into the archive")
                .help("name a file or a directory of the pack, relative to the pack directory"),
            );
        }
        for rel in matched {
            copy_file(pack, rel, rel, Some(inc.span), &mut files, &mut diags);
        }
    }
    if let Some(notes) = &opts.release_notes {
        files.add(
            "resources/RELEASE.md".into(),
            Source::Generated("the release notes rendered from the changelog".into()),
            notes.clone().into_bytes(),
            None,
            &mut diags,
        );
    }

    // STJ.
    let plan = stj::plan(pack);
    let stamp = crate::archive::write::iso8601(opts.timestamp);
    let shared_name = m.shared_template_name();
    let instance_name = m.instance_template_name();
    let mut stj_files = vec![(shared_name.clone(), &plan.shared)];
    if !plan.instance.is_empty() {
        stj_files.push((instance_name.clone(), &plan.instance));
    }
    for (name, nodes) in stj_files {
        if !valid_file_name(&name) {
            let span = if name == shared_name {
                m.provisioning.shared_template.as_ref().map(|s| s.span)
            } else {
                m.provisioning.instance_template.as_ref().map(|s| s.span)
            };
            diags.push(
                Diagnostic::new(
                    &rules::UNSAFE_INCLUDE_PATH,
                    span.unwrap_or(m.name.span),
                    format!("`{name}` is not a plain file name for an STJ template"),
                )
                .help("use letters, digits, `-`, `_` and `.` only, ending in `.stj`"),
            );
            continue;
        }
        if let Some(text) = stj::compile_file(pack, nodes, &stamp, &mut files, &mut diags) {
            files.add(
                format!("provisioning/templates/{name}"),
                Source::Generated(format!("the STJ template `{name}`")),
                text.into_bytes(),
                None,
                &mut diags,
            );
        }
    }

    // Provisioning script.
    let class = m.provision_class();
    let script_path = format!("provisioning/{class}.groovy");
    if !is_groovy_class_name(&class) {
        let span = m.provisioning.class.as_ref().map(|c| c.span).unwrap_or(m.name.span);
        diags.push(
            Diagnostic::new(
                &rules::UNSAFE_INCLUDE_PATH,
                span,
                format!("`{class}` is not a valid Groovy class name"),
            )
            .help("use letters and digits, starting with a letter, e.g. `AcmeProvision`"),
        );
    } else if let Some(script) = &m.provisioning.script {
        copy_file(
            pack,
            &script.value,
            &script_path,
            Some(script.span),
            &mut files,
            &mut diags,
        );
    } else {
        let instance = (!plan.instance.is_empty()).then_some(instance_name.as_str());
        if let Some(text) = provision::render(pack, &class, &shared_name, instance, &plan, &tpl, &mut diags) {
            files.add(
                script_path,
                Source::Generated("the generated provisioning script".into()),
                text.into_bytes(),
                None,
                &mut diags,
            );
        }
    }

    // stackpack.conf.
    let has_release_notes = files.entries.contains_key("resources/RELEASE.md");
    if let Some(text) = conf::render(pack, &class, has_release_notes, &tpl, &mut diags) {
        files.add(
            "stackpack.conf".into(),
            Source::Generated("the generated stackpack.conf".into()),
            text.into_bytes(),
            None,
            &mut diags,
        );
    }

    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Compiled {
        file_name: format!("{}-{}.sts", m.name.value, m.version.value),
        entries: files.into_entries(),
    })
}

/// Resources from this size on are streamed into the archive instead of read whole.
const STREAM_FROM: u64 = 1 << 20;

fn copy_file(pack: &Pack, rel: &str, to: &str, span: Option<Span>, files: &mut Files, diags: &mut Diagnostics) {
    let Some(file) = pack.files.get(rel) else {
        // A missing file is reported by the model stage; a directory where a file (logo, page)
        // is named would silently leave the entry out of the archive.
        if std::fs::symlink_metadata(pack.root.join(rel)).is_ok_and(|m| m.is_dir()) {
            let msg = format!("`{rel}` is a directory, not a regular file; it cannot be packed");
            let d = match span {
                Some(s) => Diagnostic::new(&crate::load::rules::NOT_REGULAR, s, msg),
                None => Diagnostic::at_path(&crate::load::rules::NOT_REGULAR, rel.to_string(), msg),
            };
            diags.push(d.help("name a file inside the directory"));
        }
        return;
    };
    // A large resource no check read (a blob, an image, a long page) is not held at all: the
    // archive writer reads it piece by piece. Smaller ones are read now, without the loader's
    // cache (held once, in their entry).
    let data = if file.size >= STREAM_FROM && !file.is_cached() {
        file.streamed().map_err(std::io::Error::from).map(|s| {
            Data::File(crate::archive::FileData {
                display: file.path.display().to_string(),
                id: s.id,
                len: s.len,
                open: s.open,
            })
        })
    } else {
        file.bytes_uncached().map(Data::Bytes)
    };
    match data {
        Ok(data) => files.add(to.to_string(), Source::File(rel.to_string()), data, span, diags),
        Err(e) => {
            let msg = format!("cannot read `{rel}`: {e}");
            let d = match span {
                Some(s) => Diagnostic::new(&rules::UNREADABLE, s, msg),
                None => Diagnostic::at_path(&rules::UNREADABLE, file.path.display().to_string(), msg),
            };
            diags.push(d.help("check that the file exists and is readable, then build again"));
        }
    }
}

fn valid_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_groovy_class_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// [`resource_url`] for a path the pack names as a file (logo, page): a directory there is
/// SP013 (it would give an archive whose logo or page is missing).
pub(crate) fn resource_file_url(
    pack: &Pack,
    path: &crate::source::Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<String> {
    if !pack.files.contains_key(&path.value)
        && std::fs::symlink_metadata(pack.root.join(&path.value)).is_ok_and(|m| m.is_dir())
    {
        diags.push(
            Diagnostic::new(
                &crate::load::rules::NOT_REGULAR,
                path.span,
                format!("`{}` is a directory, not a regular file", path.value),
            )
            .label("names a directory")
            .help("name a file inside the directory"),
        );
        return None;
    }
    resource_url(path, diags)
}

/// A resources-relative URL for a page or the logo (`resources/overview.md` → `overview.md`).
/// Paths outside `resources/` are reported.
pub(crate) fn resource_url(path: &crate::source::Spanned<String>, diags: &mut Diagnostics) -> Option<String> {
    match path.value.strip_prefix("resources/") {
        Some(rest) => Some(rest.to_string()),
        None => {
            diags.push(
                Diagnostic::new(
                    &rules::MISPLACED_FILE,
                    path.span,
                    format!("`{}` is not under `resources/`", path.value),
                )
                .label("StackState only serves pages and the logo from `resources/`")
                .help(format!(
                    "move the file to `resources/` and write `resources/{}`",
                    path.value
                )),
            );
            None
        }
    }
}
