//! `stackpack lint` on a classic pack (a directory with `stackpack.conf`, or a `.sts`).

use super::conf::{self, Conf};
use super::pack::{Files, OpenError, Origin};
use super::rules;
use super::stj::{self, Provisioning, Templates};
use crate::diag::{Diagnostic, Diagnostics};

/// A classic pack read and checked.
#[derive(Debug)]
pub struct Classic {
    pub files: Files,
    pub conf: Conf,
    pub provisioning: Provisioning,
    pub templates: Templates,
}

/// Read and check the pack at `path`. `Ok(None)`: an archive refused by the safe reader
/// (the diagnostics say why; nothing else can be checked).
pub fn analyse(path: &std::path::Path, diags: &mut Diagnostics) -> Result<Option<Classic>, OpenError> {
    let Some(files) = Files::open(path, diags)? else {
        return Ok(None);
    };
    Ok(Some(analyse_files(files, diags)))
}

/// Check a classic pack already in memory (a source tree or an archive's entries).
pub fn analyse_files(mut files: Files, diags: &mut Diagnostics) -> Classic {
    check_layout(&files, diags);
    let conf = conf::load(&mut files, diags);
    let provisioning = stj::provisioning(&conf, &mut files, diags);
    let templates = stj::analyse(&conf, &provisioning, &mut files, diags);
    identity_breaking_strings(&mut files, diags);
    check_common_dependency(&conf, &mut files, diags);
    if let Origin::Archive(p) = &files.origin {
        if let (Some(n), Some(v)) = (&conf.name, &conf.version) {
            let expected = format!("{}-{}.sts", n.value, v.value);
            let actual = p
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            if actual != expected {
                diags.push(
                    Diagnostic::at_path(
                        &rules::ARCHIVE_FILE_NAME,
                        files.display_root(),
                        format!("archive is named `{actual}`, not `{expected}`"),
                    )
                    .help("StackState uses the conf's name and version, but `<name>-<version>.sts` avoids confusion"),
                );
            }
        }
    }
    Classic {
        files,
        conf,
        provisioning,
        templates,
    }
}

/// §7 item 5: templates use `urn:stackpack:common:` but `common` is not a dependency.
fn check_common_dependency(conf: &Conf, files: &mut Files, diags: &mut Diagnostics) {
    if conf.value.is_none() || conf.has_dependency("common") {
        return;
    }
    let paths: Vec<String> = files
        .under("provisioning/")
        .filter(|p| p.ends_with(".stj") || p.ends_with(".handlebars") || p.ends_with(".json"))
        .cloned()
        .collect();
    for p in paths {
        let Some(id) = files.text(&p, diags) else { continue };
        if let Some(i) = files.source_text(id).find("urn:stackpack:common") {
            diags.push(
                Diagnostic::new(
                    &rules::CONF_VALUE,
                    crate::source::Span::new(id, i, i + "urn:stackpack:common".len()),
                    "templates use `urn:stackpack:common` but `common` is not a dependency in stackpack.conf",
                )
                .help("add `dependencies { common: \"2.5.1\" }` (the version the pack was tested with)"),
            );
            return;
        }
    }
}

/// §7 items 6 and 23: StackPack 2.0 files and entries outside the three roots.
fn check_layout(files: &Files, diags: &mut Diagnostics) {
    for path in files.files.keys() {
        if path == "stackpack.yaml" || path.ends_with(".sty") {
            diags.push(
                Diagnostic::at_path(&rules::V2_MARKER, files.display(path), format!("`{path}` belongs to the StackPack 2.0 format"))
                    .help("a 1.0 pack has stackpack.conf and .stj templates; remove the file or build a 2.0 pack with other tools"),
            );
            continue;
        }
        let ok = path == "stackpack.conf"
            || path.starts_with("provisioning/")
            || path.starts_with("resources/")
            || path.starts_with("META-INF/");
        if !ok {
            diags.push(
                Diagnostic::at_path(
                    &rules::ARCHIVE_LAYOUT,
                    files.display(path),
                    format!("`{path}` is outside stackpack.conf, provisioning/ and resources/"),
                )
                .help("StackState ignores it; remove it, or move it under resources/"),
            );
        }
    }
}

/// SP742 → SP743: an `"identity"` include inside a JSON string (SP742, reported where the
/// templates are checked) of a file whose text is not a valid JSON string body as it stands.
/// Identity text is included verbatim ([`crate::template::IdentityInclude`]): on a server that
/// does not escape it the STJ is not JSON, so that case is an error, reported once at the
/// include with the first offending character. The import renderer analysed the node with the
/// escaped text, so no JSON syntax error follows from it. A text that needs no escaping keeps
/// the SP742 warning (harmless, but unproven).
fn identity_breaking_strings(files: &mut Files, diags: &mut Diagnostics) {
    let mut breaking = Vec::new();
    let mut seen: std::collections::HashMap<String, Option<(usize, bool)>> = std::collections::HashMap::new();
    for (i, d) in diags.iter().enumerate() {
        if d.code != rules::IDENTITY_IN_STRING.code {
            continue;
        }
        let Some(span) = d.span else { continue };
        let source = files.source_text(span.file);
        let tag_text = source.get(span.start as usize..span.end as usize).unwrap_or("");
        let Ok(scanned) = crate::template::scan(tag_text, &[]) else {
            continue;
        };
        let Some(arg) = scanned.tags.first().and_then(|t| t.args.first()) else {
            continue;
        };
        let Ok(norm) = crate::load::paths::normalize(&arg.text) else {
            continue;
        };
        let path = format!("provisioning/{norm}");
        // Each file is examined once, however many includes name it.
        let found = match seen.get(&path) {
            Some(f) => *f,
            None => {
                let Some(bytes) = files.bytes(&path) else { continue };
                let utf8 = std::str::from_utf8(bytes).is_ok();
                let f =
                    crate::template::first_json_string_breaker(&String::from_utf8_lossy(bytes)).map(|at| (at, utf8));
                seen.insert(path.clone(), f);
                f
            }
        };
        if let Some((at, utf8)) = found {
            breaking.push((i, norm, path, at, utf8));
        }
    }
    let mut replace = std::collections::BTreeMap::new();
    for (i, norm, path, at, utf8) in breaking {
        // Point at the character in the included file (when it is text: a file that is not
        // UTF-8 gets no second finding from being opened here).
        let place = if utf8 { files.text(&path, diags) } else { None }.map(|id| {
            let text = files.source_text(id);
            let end = text
                .get(at..)
                .and_then(|t| t.chars().next())
                .map_or(at, |c| at + c.len_utf8());
            crate::source::Span::new(id, at, end)
        });
        let what = files
            .bytes(&path)
            .and_then(|b| if utf8 { b.get(at) } else { None })
            .map(|b| match b {
                b'"' => "a `\"`",
                b'\\' => "a `\\`",
                b'\n' => "a line break",
                b'\t' => "a tab",
                _ => "a control character",
            })
            .unwrap_or("a character JSON strings cannot hold");
        replace.insert(i, (norm, place, what));
    }
    for (i, d) in diags.iter_mut().enumerate() {
        let Some((norm, place, what)) = replace.remove(&i) else {
            continue;
        };
        let Some(span) = d.span else { continue };
        let mut e = Diagnostic::new(
            &rules::IDENTITY_BREAKS_STRING,
            span,
            format!("`{norm}` is included with \"identity\" inside a JSON string, but its text has {what}"),
        )
        .label("included as is, the STJ is not JSON here")
        .note("identity text is copied verbatim: nothing public says StackState JSON-escapes it, so the rendered STJ would not be JSON and the import would fail")
        .help(format!("include the file in the default mode, `{{{{ include \"./{norm}\" }}}}`, and escape any `{{{{`/`}}}}` in it as `\\{{{{`/`\\}}}}`, as the published packs do"));
        if let Some(p) = place {
            e = e.related(p, format!("{what} here"));
        }
        *d = e;
    }
}
