//! `.stj` templates of a classic pack: rendered at import time the way StackState does (with
//! [`crate::template::render_import`]), parsed as JSON with spans mapped back to the template
//! source, and checked (`reference/stackpack-v1-format.md` §7 items 7-21).
//!
//! Import arguments are rendered as themselves (`{{instanceName}}` stays `{{instanceName}}`), so
//! the parsed nodes hold identifiers and names in the form the author wrote; `get` renders a
//! fake positive id that is recorded with its URN.

use super::conf::Conf;
use super::pack::Files;
use super::rules;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::paths::{normalize, PathProblem};
use crate::load::tree::{Kind, Value};
use crate::model::stj_types::KNOWN_TYPES;
use crate::source::{FileId, Span, Spanned};
use crate::template::{self, ArgKind, Encoding, ImportContext, TagKind};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Fields whose negative integer value is a reference to an `id` of the same file.
const REF_KEYS: [&str; 19] = [
    "dataSource",
    "extTopology",
    "templateFunction",
    "mappingFunction",
    "componentIdExtractorFunction",
    "relationIdExtractorFunction",
    "function",
    "parameter",
    "stream",
    "relationType",
    "componentType",
    "type",
    "layer",
    "domain",
    "environments",
    "environment",
    "source",
    "target",
    "checkFunction",
];

/// Variables every import gets in the multi-instance pattern (§3).
pub const STANDARD_VARS: [&str; 3] = ["topicName", "instanceId", "instanceName"];

/// Whether a template is imported into the pack (shared) or an instance namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Shared,
    Instance,
}

/// An `importSnapshot` call found in the provisioning script.
#[derive(Debug, Clone)]
pub struct ImportCall {
    /// Path relative to `provisioning/`, as written.
    pub target: Spanned<String>,
    pub scope: Scope,
}

/// One top-level node of an `.stj`.
#[derive(Debug, Clone)]
pub struct StjNode {
    /// `_type`, trimmed.
    pub stj_type: String,
    pub identifier: Option<Spanned<String>>,
    pub value: Value,
}

/// One rendered and parsed `.stj`.
#[derive(Debug, Clone)]
pub struct StjFile {
    /// Pack-relative path (`provisioning/templates/x.stj`).
    pub rel: String,
    pub file: FileId,
    pub scope: Scope,
    pub nodes: Vec<StjNode>,
    /// `get` ids rendered into this file → (URN, selector).
    pub gets: HashMap<i64, (String, Option<String>)>,
}

/// The provisioning class file and its `importSnapshot` calls.
#[derive(Debug, Default)]
pub struct Provisioning {
    pub class_file: Option<String>,
    pub script: Option<FileId>,
    pub imports: Vec<ImportCall>,
}

/// Check the provisioning class and read its `importSnapshot` targets (§7 item 7).
pub fn provisioning(conf: &Conf, files: &mut Files, diags: &mut Diagnostics) -> Provisioning {
    let mut out = Provisioning::default();
    let Some(class) = &conf.provision else { return out };
    let rel = format!("provisioning/{}.groovy", class.value);
    if !files.exists(&rel) {
        let groovies: Vec<String> = files
            .under("provisioning/")
            .filter(|p| p.ends_with(".groovy") && !p["provisioning/".len()..].contains('/'))
            .cloned()
            .collect();
        let mut d = Diagnostic::new(
            &rules::PROVISION_MISSING,
            class.span,
            format!("provisioning class file `{rel}` does not exist"),
        )
        .label("no such class file");
        d = match did_you_mean(&rel, groovies.iter().map(String::as_str)) {
            Some(s) => d.help(format!(
                "did you mean `{}`? `provision` must equal the class and file name",
                s.trim_start_matches("provisioning/").trim_end_matches(".groovy")
            )),
            None => d.help(format!(
                "add {rel} declaring `class {} extends ProvisioningScript`",
                class.value
            )),
        };
        diags.push(d);
        return out;
    }
    out.class_file = Some(rel.clone());
    let Some(id) = files.text(&rel, diags) else { return out };
    out.script = Some(id);
    let text = files.source_text(id).to_string();
    if let (false, Some((other, at))) = (declares_class(&text, &class.value), provisioning_class(&text)) {
        // A real script that declares another class (`class AutoSyncProvision` in
        // `SplunkTopologyProvision.groovy`, a bug in a published fork): StackState cannot load
        // the conf's class from it. An error, not the placeholder note.
        diags.push(
            Diagnostic::new(
                &rules::PROVISION_UNDECLARED,
                Span::new(id, at, at + other.len()),
                format!(
                    "`{rel}` declares `class {other}`, but the conf's `provision` is `{}`",
                    class.value
                ),
            )
            .severity(crate::diag::Severity::Error)
            .label("StackState looks for the conf's class in this file")
            .related(class.span, "the conf names this class")
            .help(format!(
                "rename the class to `{}`, or set `provision = \"{other}\"` and rename the file",
                class.value
            )),
        );
    } else if !declares_class(&text, &class.value) {
        diags.push(
            Diagnostic::new(
                &rules::PROVISION_UNDECLARED,
                Span::new(id, 0, text.lines().next().map_or(0, str::len)),
                format!(
                    "`{rel}` does not declare `class {} extends ProvisioningScript`",
                    class.value
                ),
            )
            .help("the class name must equal the conf's `provision` value")
            .note("a placeholder script (as in the public source copies of real packs) cannot install the pack"),
        );
    }
    for (target, span, scope) in import_snapshot_calls(&text) {
        let target = Spanned::new(target, Span::new(id, span.0, span.1));
        match normalize(&target.value) {
            Ok(norm) => {
                let path = format!("provisioning/{norm}");
                if !files.exists(&path) {
                    let cands: Vec<String> = files.under("provisioning/").cloned().collect();
                    let mut d = Diagnostic::new(
                        &rules::IMPORT_TARGET_MISSING,
                        target.span,
                        format!("`importSnapshot` target `{path}` does not exist"),
                    )
                    .label("no such template");
                    d = match did_you_mean(&path, cands.iter().map(String::as_str)) {
                        Some(s) => d.help(format!("did you mean `{}`?", s.trim_start_matches("provisioning/"))),
                        None => d.help("paths are relative to provisioning/, e.g. `templates/x.stj`"),
                    };
                    diags.push(d);
                }
            }
            Err(p) => diags.push(
                Diagnostic::new(
                    &rules::IMPORT_TARGET_MISSING,
                    target.span,
                    format!(
                        "`importSnapshot` target `{}` is not usable: {}",
                        target.value,
                        p.message()
                    ),
                )
                .help("write a path relative to provisioning/"),
            ),
        }
        out.imports.push(ImportCall { target, scope });
    }
    let first = |s: Scope| out.imports.iter().position(|c| c.scope == s);
    if let (Some(i), Some(sh)) = (first(Scope::Instance), first(Scope::Shared)) {
        if i < sh {
            if let (Some(inst), Some(shared)) = (out.imports.get(i), out.imports.get(sh)) {
                diags.push(
                    Diagnostic::new(
                        &rules::IMPORT_ORDER,
                        inst.target.span,
                        format!("the instance template `{}` is imported before the shared one", inst.target.value),
                    )
                    .related(shared.target.span, "shared template imported here")
                    .help("import the shared template first: `stackPack().importSnapshot(…) >> instance().importSnapshot(…)`")
                    .note("instance templates `get` shared nodes, which must exist when they are imported"),
                );
            }
        }
    }
    out
}

fn declares_class(text: &str, class: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("class ") {
        let after = rest[i + 6..].trim_start();
        if let Some(tail) = after.strip_prefix(class) {
            if tail.starts_with(|c: char| c.is_whitespace() || c == '{') {
                return true;
            }
        }
        rest = &rest[i + 6..];
    }
    false
}

/// The first `class X extends ProvisioningScript` of a script: (X, offset of X).
fn provisioning_class(text: &str) -> Option<(String, usize)> {
    let mut from = 0;
    while let Some(i) = text[from..].find("class ").map(|i| i + from) {
        let start = i + 6;
        let after = &text[start..];
        let lead = after.len() - after.trim_start().len();
        let name: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = after.trim_start()[name.len()..].trim_start();
        if !name.is_empty()
            && rest.starts_with("extends")
            && rest["extends".len()..].trim_start().starts_with("ProvisioningScript")
        {
            return Some((name, start + lead));
        }
        from = start;
    }
    None
}

/// `importSnapshot("templates/x.stj", …)` calls: (path, byte range of the path, scope).
fn import_snapshot_calls(text: &str) -> Vec<(String, (usize, usize), Scope)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("importSnapshot(") {
        let at = from + i;
        let open = at + "importSnapshot(".len();
        let before = &text[at.saturating_sub(40)..at];
        let scope = if before.contains("instance()") {
            Scope::Instance
        } else {
            Scope::Shared
        };
        // The first string literal among the arguments (the older 3-argument form passes a
        // namespace expression first).
        let close = text[open..].find(')').map_or(text.len(), |c| open + c);
        let args = &text[open..close];
        if let Some(q) = args.find(['"', '\'']) {
            let quote = args.as_bytes()[q];
            if let Some(len) = args[q + 1..].find(quote as char) {
                let s = open + q + 1;
                out.push((text[s..s + len].to_string(), (s, s + len), scope));
            }
        }
        from = open;
    }
    out
}

/// Render context: arguments render as themselves, `get` records its target.
struct Ctx<'a> {
    files: &'a Files,
    /// Included templates already reported as broken: rendered empty, not reported again.
    broken: &'a BTreeSet<String>,
    gets: RefCell<Vec<(String, Option<String>)>>,
    /// Position of each target in `gets` (so each `get` costs O(log n), not a scan).
    get_index: RefCell<BTreeMap<(String, Option<String>), usize>>,
}

pub const GET_BASE: i64 = 1_000_000_000;

impl ImportContext for Ctx<'_> {
    fn arg(&self, name: &str) -> Option<String> {
        Some(format!("{{{{{name}}}}}"))
    }
    fn get(&self, urn: &str, selector: Option<&str>) -> Result<i64, String> {
        let mut gets = self.gets.borrow_mut();
        let mut index = self.get_index.borrow_mut();
        let key = (urn.to_string(), selector.map(str::to_string));
        let i = match index.get(&key) {
            Some(&i) => i,
            None => {
                index.insert(key.clone(), gets.len());
                gets.push(key);
                gets.len() - 1
            }
        };
        Ok(GET_BASE + i as i64)
    }
    fn include(&self, path: &str, encoding: Encoding) -> Result<String, String> {
        // Problems with include targets are reported (with their location) before rendering;
        // here a missing file renders empty so the rest of the file can still be checked.
        let Ok(norm) = normalize(path) else {
            return Ok(String::new());
        };
        let path = format!("provisioning/{norm}");
        if self.broken.contains(&path) {
            return Ok(String::new());
        }
        let Some(bytes) = self.files.bytes(&path) else {
            return Ok(String::new());
        };
        Ok(match encoding {
            Encoding::Base64 => format!(
                "data:image/{};base64,{}",
                image_type(&norm).unwrap_or("png"),
                base64(bytes)
            ),
            _ => String::from_utf8_lossy(bytes).to_string(),
        })
    }
}

fn image_type(path: &str) -> Option<&'static str> {
    let ext = path.rsplit('.').next()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "png",
        "jpg" | "jpeg" => "jpeg",
        "gif" => "gif",
        "svg" => "svg+xml",
        _ => return None,
    })
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(T[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The `.stj` files of the pack in import order: those named by `importSnapshot` first (in call
/// order), then any other `.stj` under `provisioning/`.
pub fn stj_paths(files: &Files, prov: &Provisioning) -> Vec<(String, Option<Scope>)> {
    let mut out: Vec<(String, Option<Scope>)> = Vec::new();
    for call in &prov.imports {
        if let Ok(norm) = normalize(&call.target.value) {
            let p = format!("provisioning/{norm}");
            if files.exists(&p) && !out.iter().any(|(q, _)| *q == p) {
                out.push((p, Some(call.scope)));
            }
        }
    }
    for p in files.under("provisioning/") {
        if p.ends_with(".stj") && !out.iter().any(|(q, _)| q == p) {
            out.push((p.clone(), None));
        }
    }
    out
}

/// Everything found in the templates of a pack.
#[derive(Debug, Default)]
pub struct Templates {
    pub files: Vec<StjFile>,
    /// Included files (pack-relative) that failed their own template scan.
    pub broken_includes: BTreeSet<String>,
}

/// Render, parse and check every `.stj` of the pack.
pub fn analyse(conf: &Conf, prov: &Provisioning, files: &mut Files, diags: &mut Diagnostics) -> Templates {
    let mut out = Templates::default();
    let script_text = prov
        .script
        .map(|id| files.source_text(id).to_string())
        .unwrap_or_default();
    let mut known_vars: Vec<String> = STANDARD_VARS.iter().map(|s| s.to_string()).collect();
    known_vars.extend(conf.steps.iter().map(|s| s.name.value.clone()));
    let mut included_checked: BTreeSet<String> = BTreeSet::new();
    // (URN, selector) gets to check once all identifiers are known: (target, selector, span).
    let mut get_refs: Vec<(String, Option<String>, Span)> = Vec::new();

    for (rel, scope) in stj_paths(files, prov) {
        let Some(id) = files.text(&rel, diags) else { continue };
        let text = files.source_text_shared(id);
        let scope = scope.unwrap_or(
            if text.contains("{{instanceId}}") || text.contains("{{ instanceId }}") {
                Scope::Instance
            } else {
                Scope::Shared
            },
        );
        let scanned = match template::scan(&text, &[]) {
            Ok(s) => s,
            Err(e) => {
                diags.push(
                    Diagnostic::new(
                        &rules::TEMPLATE_SYNTAX,
                        Span::new(id, e.range.start, e.range.end),
                        e.message,
                    )
                    .help("fix the Handlebars syntax; sync-time blocks are written `\\{{#if x\\}}…\\{{/if\\}}`"),
                );
                continue;
            }
        };
        for w in &scanned.warnings {
            diags.push(
                Diagnostic::new(
                    &rules::TEMPLATE_SYNTAX,
                    Span::new(id, w.range.start, w.range.end),
                    w.message.clone(),
                )
                .severity(crate::diag::Severity::Warning),
            );
        }
        if check_tags(id, &scanned, diags) {
            continue;
        }
        // Unknown variables are reported once per file, at their first use.
        let mut reported_vars: BTreeSet<String> = BTreeSet::new();
        for tag in &scanned.tags {
            if tag.escaped || !matches!(tag.kind, TagKind::Expr | TagKind::Raw) {
                continue;
            }
            match tag.head.as_str() {
                "include" => {
                    check_include(
                        tag,
                        id,
                        &rel,
                        files,
                        diags,
                        &mut included_checked,
                        &mut out.broken_includes,
                        &mut get_refs,
                        &known_vars,
                    );
                }
                "get" | "getFirstExisting" => {
                    let sel = tag
                        .args
                        .get(1)
                        .filter(|a| a.kind == ArgKind::String)
                        .map(|a| a.text.clone());
                    if let Some(a) = tag.args.first().filter(|a| a.kind == ArgKind::String) {
                        get_refs.push((a.text.clone(), sel, Span::new(id, a.range.start, a.range.end)));
                    }
                }
                head if tag.args.is_empty()
                    && !head.contains('.')
                    && !head.is_empty()
                    && !known_vars.iter().any(|v| v == head)
                    && !mentions(&script_text, head)
                    && reported_vars.insert(head.to_string()) =>
                {
                    diags.push(
                            Diagnostic::new(
                                &rules::IMPORT_VARIABLE,
                                Span::new(id, tag.range.start, tag.range.end),
                                format!("`{head}` is not a standard import argument and the provisioning script does not mention it"),
                            )
                            .label("renders empty unless the script passes it")
                            .help(format!(
                                "pass it in the import arguments, or use one of {} or a step name",
                                STANDARD_VARS.join(", ")
                            )),
                        );
                }
                _ => {}
            }
        }
        let ctx = Ctx {
            files,
            broken: &out.broken_includes,
            gets: RefCell::new(Vec::new()),
            get_index: RefCell::new(BTreeMap::new()),
        };
        let rendered = match template::render_import(&text, &ctx) {
            Ok(r) => r,
            Err(e) => {
                diags.push(Diagnostic::new(
                    &rules::TEMPLATE_SYNTAX,
                    Span::new(id, e.range.start, e.range.end),
                    e.message,
                ));
                continue;
            }
        };
        let gets: HashMap<i64, (String, Option<String>)> = ctx
            .gets
            .into_inner()
            .into_iter()
            .enumerate()
            .map(|(i, g)| (GET_BASE + i as i64, g))
            .collect();
        let map = |o: usize| rendered.source_offset(o);
        let mut doc = match super::json::parse(id, &rendered.text) {
            Ok(v) => v,
            Err(e) => {
                let at = map(e.offset);
                let end = (at + 1).min(text.len());
                diags.push(
                    Diagnostic::new(&rules::STJ_NOT_JSON, Span::new(id, at, end), format!("the rendered template is not valid JSON: {}", e.message))
                        .label("here, after import-time rendering")
                        .help("StackState renders the Handlebars first and parses the output as JSON; check commas, brackets and quotes around this point"),
                );
                out.files.push(StjFile {
                    rel,
                    file: id,
                    scope,
                    nodes: Vec::new(),
                    gets,
                });
                continue;
            }
        };
        super::json::remap(&mut doc, id, &map);
        let heads = check_document(&doc, &rel, diags);
        // The nodes are moved out of the document, not copied: a 10 000-node file held its
        // whole tree twice (issue 15: on this machine every fresh megabyte costs a millisecond).
        let nodes = take_nodes(doc, heads);
        out.files.push(StjFile {
            rel,
            file: id,
            scope,
            nodes,
            gets,
        });
    }

    check_pack_wide(conf, &out, &get_refs, diags);
    out
}

fn mentions(script: &str, word: &str) -> bool {
    let mut from = 0;
    while let Some(i) = script[from..].find(word) {
        let s = from + i;
        let e = s + word.len();
        let ok_before = s == 0 || !script.as_bytes()[s - 1].is_ascii_alphanumeric();
        let ok_after = e >= script.len() || !script.as_bytes()[e].is_ascii_alphanumeric();
        if ok_before && ok_after {
            return true;
        }
        from = e;
    }
    false
}

/// Check one `include` tag; scan the included template once. Returns whether the target is usable.
#[allow(clippy::too_many_arguments)]
fn check_include(
    tag: &template::Tag,
    id: FileId,
    stj_rel: &str,
    files: &mut Files,
    diags: &mut Diagnostics,
    checked: &mut BTreeSet<String>,
    broken: &mut BTreeSet<String>,
    get_refs: &mut Vec<(String, Option<String>, Span)>,
    known_vars: &[String],
) -> bool {
    let Some(arg) = tag.args.first() else {
        diags.push(
            Diagnostic::new(
                &rules::INCLUDE_MISSING,
                Span::new(id, tag.range.start, tag.range.end),
                "`include` needs a path",
            )
            .help("write `{{ include \"./scripts/x.groovy\" }}`"),
        );
        return false;
    };
    let span = Span::new(id, arg.range.start, arg.range.end);
    if arg.kind != ArgKind::String {
        diags.push(
            Diagnostic::new(&rules::INCLUDE_MISSING, span, "`include` takes a quoted path")
                .help("write the path in double quotes"),
        );
        return false;
    }
    let encoding = match tag.args.get(1) {
        None => Encoding::Handlebars,
        Some(e) => match e.text.as_str() {
            "handlebars" => Encoding::Handlebars,
            "identity" => Encoding::Identity,
            "base64" => Encoding::Base64,
            other => {
                diags.push(
                    Diagnostic::new(
                        &rules::INCLUDE_ENCODING,
                        Span::new(id, e.range.start, e.range.end),
                        format!("unknown include encoding `{other}`"),
                    )
                    .help("use \"handlebars\" (the default), \"identity\" or \"base64\""),
                );
                return false;
            }
        },
    };
    let norm = match normalize(&arg.text) {
        Ok(n) => n,
        Err(p) => {
            let rule = if matches!(p, PathProblem::Empty) {
                &rules::INCLUDE_MISSING
            } else {
                &rules::INCLUDE_ESCAPES
            };
            diags.push(
                Diagnostic::new(
                    rule,
                    span,
                    format!(
                        "include path `{}` is not allowed: {}",
                        arg.text,
                        p.message().replace("pack directory", "provisioning/ directory")
                    ),
                )
                .label("must stay inside provisioning/")
                .help("included files must live under provisioning/; paths are relative to it"),
            );
            return false;
        }
    };
    let path = format!("provisioning/{norm}");
    if !files.exists(&path) {
        let mut d = Diagnostic::new(
            &rules::INCLUDE_MISSING,
            span,
            format!("include target `{path}` does not exist"),
        )
        .label("no such file under provisioning/");
        let dir = stj_rel.rsplit_once('/').map_or("", |(d, _)| d);
        let relative_to_stj = format!("{dir}/{norm}");
        if files.exists(&relative_to_stj) {
            d = d.help(format!(
                "paths are relative to provisioning/, not to the .stj: write `./{}`",
                relative_to_stj.trim_start_matches("provisioning/")
            ));
        } else {
            // Suggest only files of the same kind (an icon for an icon).
            let ext = path
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default();
            let cands: Vec<String> = files
                .under("provisioning/")
                .filter(|p| {
                    p.rsplit_once('.')
                        .map(|(_, e)| e.to_ascii_lowercase())
                        .unwrap_or_default()
                        == ext
                })
                .cloned()
                .collect();
            d = match did_you_mean(&path, cands.iter().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `./{}`?", s.trim_start_matches("provisioning/"))),
                None => d.help("add the file under provisioning/ or fix the path (relative to provisioning/)"),
            };
        }
        diags.push(d);
        return false;
    }
    if encoding == Encoding::Base64 && image_type(&norm).is_none() {
        diags.push(
            Diagnostic::new(
                &rules::INCLUDE_ENCODING,
                span,
                format!("`base64` include of `{norm}`, which is not a png, jpg, gif or svg image"),
            )
            .help("base64 is for icons; include text with the default encoding or \"identity\""),
        );
        return false;
    }
    if encoding == Encoding::Identity && in_json_string(files.source_text(id), tag.range.start) {
        diags.push(
            Diagnostic::new(
                &rules::IDENTITY_IN_STRING,
                Span::new(id, tag.range.start, tag.range.end),
                format!("`{norm}` is included with \"identity\" inside a JSON string"),
            )
            .label("no published pack proves this encoding")
            .note("nothing public says `identity` output is JSON-escaped: the text is taken verbatim, so the STJ stays JSON only while the file has no `\"`, `\\`, newline or control character")
            .help("include the file in the default mode and escape its `{{`/`}}` as `\\{{`/`\\}}`, as the published packs do"),
        );
    }
    if encoding == Encoding::Handlebars && norm.ends_with(".groovy") && checked.insert(path.clone()) {
        if let Some(inc) = files.text(&path, diags) {
            let text = files.source_text(inc);
            if let Some((i, what)) = stray_braces(text, known_vars) {
                diags.push(
                    Diagnostic::new(&rules::GROOVY_BRACES, Span::new(inc, i, i + 2), format!("`{norm}` is included in `handlebars` mode but contains an unescaped `{what}`"))
                    .label("evaluated by the import pass")
                    .related(span, "included here")
                    .help("escape the braces as `\\{{` / `\\}}` (the import pass gives back `{{` / `}}`); only `{{var}}` of an import argument is meant to be substituted"),
                );
            }
        }
    }
    if encoding == Encoding::Handlebars && !norm.ends_with(".groovy") && checked.insert(path.clone()) {
        if let Some(inc) = files.text(&path, diags) {
            let text = files.source_text(inc).to_string();
            match template::scan(&text, &[]) {
                Err(e) => {
                    broken.insert(path.clone());
                    diags.push(
                        Diagnostic::new(
                            &rules::TEMPLATE_SYNTAX,
                            Span::new(inc, e.range.start, e.range.end),
                            e.message,
                        )
                        .help("sync-time tags are written escaped and balanced: `\\{{#if x\\}}…\\{{/if\\}}`"),
                    );
                }
                Ok(s) => {
                    if check_tags(inc, &s, diags) {
                        broken.insert(path.clone());
                    }
                    for w in &s.warnings {
                        diags.push(
                            Diagnostic::new(
                                &rules::TEMPLATE_SYNTAX,
                                Span::new(inc, w.range.start, w.range.end),
                                w.message.clone(),
                            )
                            .severity(crate::diag::Severity::Warning),
                        );
                    }
                    for t in &s.tags {
                        if t.head == "get" {
                            if let Some(a) = t.args.first().filter(|a| a.kind == ArgKind::String) {
                                let sel = t
                                    .args
                                    .get(1)
                                    .filter(|a| a.kind == ArgKind::String)
                                    .map(|a| a.text.clone());
                                get_refs.push((a.text.clone(), sel, Span::new(inc, a.range.start, a.range.end)));
                            }
                        }
                    }
                }
            }
            check_type_literals(inc, &text, diags);
        }
    }
    true
}

/// Whether offset `at` of an STJ text lies inside a JSON string literal (`"…{{ include … }}…"`):
/// an odd number of unescaped `"` precede it on its line. Tags never span lines in STJ.
fn in_json_string(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut inside = false;
    let mut escaped = false;
    for b in text[line_start..at].bytes() {
        match b {
            b'\\' if !escaped => escaped = true,
            b'"' if !escaped => inside = !inside,
            _ => escaped = false,
        }
        if b != b'\\' {
            escaped = false;
        }
    }
    inside
}

/// The first unescaped `{{` or `}}` of a Groovy body that the import pass would touch, except
/// the `{{var}}` tags of import arguments (`known`), which are substituted on purpose (the
/// Splunk and SolarWinds packs inject `{{instanceName}}` this way).
pub fn stray_braces(text: &str, known: &[String]) -> Option<(usize, &'static str)> {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        let pair = &b[i..i + 2];
        let escaped = i > 0 && b[i - 1] == b'\\';
        if pair == b"{{" && !escaped {
            let rest = &text[i + 2..];
            let var = rest.find("}}").map(|e| rest[..e].trim());
            match var {
                Some(v) if known.iter().any(|k| k == v) => {
                    i += 2 + rest.find("}}").unwrap_or(0) + 2;
                    continue;
                }
                _ => return Some((i, "{{")),
            }
        }
        if pair == b"}}" && !escaped {
            return Some((i, "}}"));
        }
        if (pair == b"{{" || pair == b"}}") && escaped {
            i += 2;
            continue;
        }
        i += 1;
    }
    None
}

/// `"_type": "X"` literals in a template body that cannot be parsed as JSON before sync time.
fn check_type_literals(id: FileId, text: &str, diags: &mut Diagnostics) {
    let mut from = 0;
    while let Some(i) = text[from..].find("\"_type\"") {
        let mut p = from + i + 7;
        from = p;
        let b = text.as_bytes();
        while p < b.len() && b[p].is_ascii_whitespace() {
            p += 1;
        }
        if b.get(p) != Some(&b':') {
            continue;
        }
        p += 1;
        while p < b.len() && b[p].is_ascii_whitespace() {
            p += 1;
        }
        if b.get(p) != Some(&b'"') {
            continue;
        }
        let start = p + 1;
        let Some(len) = text[start..].find('"') else { continue };
        let value = &text[start..start + len];
        if value.contains("{{") || value.contains('\\') {
            continue;
        }
        check_type_value(value, Span::new(id, start - 1, start + len + 1), diags);
    }
}

fn check_type_value(value: &str, span: Span, diags: &mut Diagnostics) {
    let trimmed = value.trim();
    if trimmed != value {
        diags.push(
            Diagnostic::new(
                &rules::TYPE_WHITESPACE,
                span,
                format!("`_type` \"{value}\" has surrounding whitespace"),
            )
            .label("whitespace inside the type name")
            .help(format!("write \"{trimmed}\"")),
        );
    }
    if !KNOWN_TYPES.contains(&trimmed) {
        let mut d = Diagnostic::new(&rules::UNKNOWN_TYPE, span, format!("unknown `_type` \"{trimmed}\""))
            .label("not an STJ type");
        d = match did_you_mean(trimmed, KNOWN_TYPES) {
            Some(s) => d.help(format!("did you mean \"{s}\"?")),
            None => d.help("use a node type from the STJ reference (ComponentType, Sync, QueryView, …)"),
        };
        diags.push(d);
    }
}

/// Envelope, types, ids and id references of one rendered file. Returns its top-level nodes.
/// What [`check_document`] found out about one node of the `nodes` list, by its index there.
struct NodeHead {
    index: usize,
    stj_type: String,
    identifier: Option<Spanned<String>>,
}

/// The nodes of a checked document (see [`NodeHead`]), moved out of it.
fn take_nodes(doc: Value, heads: Vec<NodeHead>) -> Vec<StjNode> {
    let Kind::Map(mut root) = doc.kind else {
        return Vec::new();
    };
    // The first `nodes` key, as `Map::get` (which `check_document` used) finds it.
    let Some(entry) = root.entries.iter_mut().find(|(k, _)| k.value == "nodes") else {
        return Vec::new();
    };
    let Kind::Seq(items) = std::mem::replace(&mut entry.1.kind, Kind::Null) else {
        return Vec::new();
    };
    let mut items: Vec<Option<Value>> = items.into_iter().map(Some).collect();
    heads
        .into_iter()
        .filter_map(|h| {
            Some(StjNode {
                value: items.get_mut(h.index)?.take()?,
                stj_type: h.stj_type,
                identifier: h.identifier,
            })
        })
        .collect()
}

fn check_document(doc: &Value, rel: &str, diags: &mut Diagnostics) -> Vec<NodeHead> {
    let Some(root) = doc.as_map() else {
        diags.push(
            Diagnostic::new(
                &rules::STJ_ENVELOPE,
                doc.span.sub(0, 1),
                format!("`{rel}` renders to {}, not an object with `nodes`", doc.type_name()),
            )
            .help("wrap the nodes: `{ \"nodes\": [ … ], \"timestamp\": \"…\", \"version\": \"0.1\" }`"),
        );
        return Vec::new();
    };
    let Some(nodes) = root.get("nodes") else {
        diags.push(
            Diagnostic::new(
                &rules::STJ_ENVELOPE,
                doc.span.sub(0, 1),
                format!("`{rel}` has no `nodes` list"),
            )
            .help("put the nodes in `\"nodes\": [ … ]`"),
        );
        return Vec::new();
    };
    let Some(items) = nodes.as_seq() else {
        diags.push(Diagnostic::new(
            &rules::STJ_ENVELOPE,
            nodes.span,
            format!("`nodes` must be a list, found {}", nodes.type_name()),
        ));
        return Vec::new();
    };
    let missing: Vec<&str> = ["timestamp", "version"]
        .into_iter()
        .filter(|k| root.get(k).is_none() && root.get("_version").is_none())
        .collect();
    if !missing.is_empty() {
        diags.push(
            Diagnostic::new(
                &rules::STJ_ENVELOPE_FIELDS,
                doc.span.sub(0, 1),
                format!("the envelope of `{rel}` lacks {}", missing.join(" and ")),
            )
            .help("real packs write `\"timestamp\": \"2019-11-27T15:29:42Z\", \"version\": \"0.1\"`"),
        );
    }
    // Monitors need STJ 1.0.39 (§4.1, §7 item 15).
    let stj_version = root.get("_version").and_then(Value::as_str).map(|v| {
        let parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        (
            parts.first().copied().unwrap_or(0),
            parts.get(1).copied().unwrap_or(0),
            parts.get(2).copied().unwrap_or(0),
        )
    });
    if stj_version.is_none_or(|v| v < (1, 0, 39)) {
        for item in items {
            let t = item
                .as_map()
                .and_then(|m| m.get("_type"))
                .and_then(Value::as_str)
                .map(str::trim);
            if let Some(t @ ("Monitor" | "MonitorFunction")) = t {
                diags.push(
                    Diagnostic::new(
                        &rules::MONITOR_VERSION,
                        item.span.sub(0, 1),
                        format!("{t} in `{rel}`, whose envelope has no `_version` of 1.0.39 or later"),
                    )
                    .help("add `\"_version\": \"1.0.39\"` to the envelope (monitors exist from StackState 5.0)"),
                );
            }
        }
    }
    // ids of the file.
    let mut ids: BTreeMap<i64, Span> = BTreeMap::new();
    let mut refs: Vec<(String, i64, Span)> = Vec::new();
    walk(doc, None, &mut |key, v| {
        if let Kind::Map(m) = &v.kind {
            if let Some(t) = m.get("_type") {
                if let Some(s) = t.as_str() {
                    if !s.contains("{{") {
                        check_type_value(s, t.span, diags);
                    }
                }
            }
            if let Some(idv) = m.get("id") {
                if let Kind::Int(n) = idv.kind {
                    if n < 0 {
                        if let Some(first) = ids.get(&n) {
                            diags.push(
                                Diagnostic::new(
                                    &rules::DUPLICATE_ID,
                                    idv.span,
                                    format!("id {n} is used twice in `{rel}`"),
                                )
                                .label("duplicate id")
                                .related(*first, "first used here")
                                .help("give every node and nested object of a file its own negative id"),
                            );
                        } else {
                            ids.insert(n, idv.span);
                        }
                    }
                }
            }
        }
        if let Kind::Map(m) = &v.kind {
            if m.get("_type").and_then(Value::as_str).map(str::trim) == Some("Parameter") {
                if let Some(t) = m.get("type") {
                    if let Some(ts) = t.as_str() {
                        if !PARAM_TYPES.contains(&ts) {
                            diags.push(
                                Diagnostic::new(
                                    &rules::UNUSUAL_VALUE,
                                    t.span,
                                    format!("parameter type `{ts}` is not one StackState packs use"),
                                )
                                .help(format!("known types: {}", PARAM_TYPES.join(", "))),
                            );
                        }
                    }
                }
            }
        }
        if let (Some(key), Kind::Str(sv)) = (key, &v.kind) {
            if key == "returnTypes" && sv != "HEALTH_STATE" && sv != "RUN_STATE" {
                diags.push(
                    Diagnostic::new(
                        &rules::UNUSUAL_VALUE,
                        v.span,
                        format!("return type `{sv}` is not HEALTH_STATE or RUN_STATE"),
                    )
                    .help("check functions return `HEALTH_STATE` or `RUN_STATE`"),
                );
            }
            if key == "mergeStrategy" && sv != "MergePreferTheirs" && !sv.contains("{{") {
                diags.push(
                    Diagnostic::new(
                        &rules::UNUSUAL_VALUE,
                        v.span,
                        format!("merge strategy `{sv}` is not used by any published pack"),
                    )
                    .help("real packs use \"MergePreferTheirs\""),
                );
            }
        }
        if let (Some(key), Kind::Int(n)) = (key, &v.kind) {
            if *n < 0 && REF_KEYS.contains(&key) {
                refs.push((key.to_string(), *n, v.span));
            }
        }
    });
    for (key, n, span) in refs {
        if !ids.contains_key(&n) {
            let mut d = Diagnostic::new(
                &rules::DANGLING_ID,
                span,
                format!("`{key}` refers to id {n}, which no object in `{rel}` has"),
            )
            .label("no object with this id in this file");
            let nearest = ids.keys().min_by_key(|k| (**k - n).abs());
            d = match nearest {
                Some(k) => d.help(format!("ids are local to one file; the closest id here is {k}. To refer to a node of another file use `{{{{ get \"<urn>\" }}}}`")),
                None => d.help("ids are local to one file; to refer to a node of another file use `{{ get \"<urn>\" }}`"),
            };
            diags.push(d);
        }
    }
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(m) = item.as_map() else {
            diags.push(Diagnostic::new(
                &rules::STJ_ENVELOPE,
                item.span,
                format!("a node must be an object, found {}", item.type_name()),
            ));
            continue;
        };
        let Some(t) = m.get("_type").and_then(Value::as_str) else {
            diags.push(
                Diagnostic::new(&rules::UNKNOWN_TYPE, item.span.sub(0, 1), "node without a `_type`")
                    .help("every node names its type, e.g. `\"_type\": \"ComponentType\"`"),
            );
            continue;
        };
        check_node_shape(t.trim(), m, item.span.sub(0, 1), diags);
        let identifier = m
            .get("identifier")
            .and_then(|v| v.as_str().map(|s| Spanned::new(s.to_string(), v.span)));
        out.push(NodeHead {
            index,
            stj_type: t.trim().to_string(),
            identifier,
        });
    }
    out
}

fn walk<'v>(v: &'v Value, key: Option<&'v str>, f: &mut dyn FnMut(Option<&'v str>, &'v Value)) {
    f(key, v);
    match &v.kind {
        Kind::Map(m) => m.entries.iter().for_each(|(k, c)| walk(c, Some(&k.value), f)),
        // Elements of a list are checked under the list's key (`environments: [-3]`).
        Kind::Seq(items) => items.iter().for_each(|c| walk(c, key, f)),
        _ => {}
    }
}

/// Identifier shape, namespaces, duplicates, `get` resolution, sync-time template syntax.
fn check_pack_wide(conf: &Conf, t: &Templates, get_refs: &[(String, Option<String>, Span)], diags: &mut Diagnostics) {
    let name = conf.name();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut params: HashMap<&str, Vec<&str>> = HashMap::new();
    for file in &t.files {
        for node in &file.nodes {
            if let Some(m) = node.value.as_map() {
                if let Some(tpl) = m.get("handlebarsTemplate") {
                    if let Some(s) = tpl.as_str() {
                        // A broken included file was already reported where it is broken.
                        if t.broken_includes.is_empty() {
                            if let Err(e) = template::scan(s, &[]) {
                                diags.push(
                                    Diagnostic::new(&rules::SYNC_TEMPLATE_SYNTAX, tpl.span, format!("the imported template body does not parse: {}", e.message))
                                        .help("the text after import rendering is a Handlebars template rendered per topology element; fix the blocks and tags"),
                                );
                            }
                        }
                    }
                }
            }
            let Some(ident) = &node.identifier else { continue };
            let urn = ident.value.as_str();
            if let Some(p) = node
                .value
                .as_map()
                .and_then(|m| m.get("parameters"))
                .and_then(Value::as_seq)
            {
                params.insert(
                    urn,
                    p.iter().filter_map(|x| x.as_map()?.get("name")?.as_str()).collect(),
                );
            }
            if let Some(first) = seen.get(urn) {
                diags.push(
                    Diagnostic::new(
                        &rules::DUPLICATE_IDENTIFIER,
                        ident.span,
                        format!("identifier `{urn}` is used by two nodes"),
                    )
                    .label("duplicate identifier")
                    .related(*first, "first used here")
                    .help("identifiers must be unique in the pack: the second import would overwrite the first node"),
                );
            } else {
                seen.insert(urn, ident.span);
            }
            // Namespace (§7 item 12).
            if !name.is_empty() && urn.starts_with("urn:stackpack:") {
                let (want, what) = match file.scope {
                    Scope::Shared => (format!("urn:stackpack:{name}:shared:"), "the shared (pack) namespace"),
                    Scope::Instance => (
                        format!("urn:stackpack:{name}:instance:{{{{instanceId}}}}:"),
                        "an instance namespace",
                    ),
                };
                if !urn.starts_with(&want) {
                    diags.push(
                        Diagnostic::new(&rules::URN_NAMESPACE, ident.span, format!("`{urn}` is imported into {what} but lies outside `{want}`"))
                            .help(format!("start the identifier with `{want}`"))
                            .note("a namespace import removes nodes of its namespace that it does not create; nodes outside it are not cleaned up"),
                    );
                }
            }
            // Shape (§4.1) with import arguments filled in.
            let concrete = urn
                .replace("{{instanceId}}", "1234")
                .replace("{{ instanceId }}", "1234");
            let user: Vec<String> = tag_vars(urn).into_iter().filter(|v| v != "instanceId").collect();
            if !user.is_empty() {
                diags.push(
                    Diagnostic::new(
                        &rules::URN_SHAPE,
                        ident.span,
                        format!(
                            "identifier `{urn}` splices import input (`{}`) into the URN",
                            user.join("`, `")
                        ),
                    )
                    .label("user input may contain upper case, spaces or `/`")
                    .help("build identifiers from `{{instanceId}}` only; put user input in names"),
                );
            } else if !concrete.contains("{{") && !urn_matches_pattern(&concrete) {
                diags.push(
                    Diagnostic::new(&rules::URN_SHAPE, ident.span, format!("identifier `{urn}` does not match the URN pattern"))
                        .help("identifiers are `urn:<prefix>:<type>:<name>` in lower case without spaces: ^urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,\\-.:=@;$_!*'%/?#]+$"),
                );
            }
        }
    }
    for (target, selector, span) in get_refs {
        let known = seen.contains_key(target.as_str());
        let pack = crate::model::resolve::urn_pack(target);
        if known {
            if let (Some(sel), Some(ps)) = (selector, params.get(target.as_str())) {
                if let Some(pname) = sel.strip_prefix("Type=Parameter;Name=") {
                    if !ps.contains(&pname) {
                        diags.push(
                            Diagnostic::new(
                                &rules::GET_UNRESOLVED,
                                *span,
                                format!("`{target}` has no parameter `{pname}`"),
                            )
                            .help(format!("its parameters are: {}", ps.join(", "))),
                        );
                    }
                }
            }
            continue;
        }
        match pack {
            Some(p) if p != name && conf.has_dependency(p) => {}
            Some(p) if p != name => diags.push(
                Diagnostic::new(
                    &rules::GET_UNRESOLVED,
                    *span,
                    format!("`get` refers to `{target}` of pack `{p}`, which is not a declared dependency"),
                )
                .help(format!("add `dependencies {{ {p}: \"<version>\" }}` to stackpack.conf")),
            ),
            _ => {
                let mut d = Diagnostic::new(
                    &rules::GET_UNRESOLVED,
                    *span,
                    format!("`get` refers to `{target}`, which no template of this pack creates"),
                )
                .label("unknown URN");
                d = match did_you_mean(target, seen.keys().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("create the node in a template imported earlier, or fix the URN"),
                };
                diags.push(d);
            }
        }
    }
}

/// Helpers that only make sense per topology element (sync time).
const SYNC_HELPERS: [&str; 5] = ["getOrCreate", "identifier", "concat", "resolve", "resolveOrCreate"];
const CREATABLE: [&str; 5] = ["Environment", "Layer", "Domain", "ComponentType", "RelationType"];

/// Sync-time expressions left unescaped, legacy helpers and `getOrCreate` arguments (§7 items
/// 17 and 19). Returns whether an error was reported.
fn check_tags(id: FileId, scanned: &template::Scanned, diags: &mut Diagnostics) -> bool {
    let mut bad = false;
    let mut legacy: BTreeSet<String> = BTreeSet::new();
    for tag in &scanned.tags {
        if matches!(tag.kind, TagKind::Comment | TagKind::Else | TagKind::BlockClose) {
            continue;
        }
        let span = Span::new(id, tag.range.start, tag.range.end);
        let element_arg = tag
            .args
            .iter()
            .any(|a| a.kind == ArgKind::Path && a.text.split('.').next() == Some("element"));
        if !tag.escaped && (tag.root() == "element" || element_arg || SYNC_HELPERS.contains(&tag.head.as_str())) {
            bad = true;
            diags.push(
                Diagnostic::new(
                    &rules::SYNC_TAG_UNESCAPED,
                    span,
                    "sync-time expression written unescaped: it runs at import time",
                )
                .label("evaluated while the template is imported")
                .help("escape it for the sync pass: `\\{{ … \\}}` (blocks too: `\\{{#if x\\}}…\\{{/if\\}}`)"),
            );
        }
        if matches!(tag.head.as_str(), "resolve" | "resolveOrCreate") && legacy.insert(tag.head.clone()) {
            let n = scanned.tags.iter().filter(|t| t.head == tag.head).count();
            let mut d = Diagnostic::new(
                &rules::LEGACY_HELPER,
                span,
                format!("legacy helper `{}` looks nodes up by name", tag.head),
            )
            .help(if tag.head == "resolve" {
                "use `get \"<urn>\"`"
            } else {
                "use `getOrCreate <urn> <create-urn in urn:system:auto> \"Type=<T>;Name=<N>\"`"
            });
            if n > 1 {
                d = d.note(format!("used {n} times in this file; only the first is shown"));
            }
            diags.push(d);
        }
        if tag.head == "getOrCreate" {
            if let Some(a) = tag.args.get(1) {
                let ok = match a.kind {
                    ArgKind::String => a.text.starts_with("urn:system:auto"),
                    ArgKind::SubExpr => a.text.contains("\"urn:system:auto\""),
                    _ => true,
                };
                if !ok {
                    bad = true;
                    diags.push(
                        Diagnostic::new(
                            &rules::GET_OR_CREATE,
                            Span::new(id, a.range.start, a.range.end),
                            "`getOrCreate` must create in `urn:system:auto`",
                        )
                        .help("the second argument is the URN of the node to create: `(identifier \"urn:system:auto\" \"<Type>\" <name>)`"),
                    );
                }
            }
            match tag.args.get(2) {
                Some(a) if matches!(a.kind, ArgKind::String | ArgKind::SubExpr) => {
                    let ty = a
                        .text
                        .split("Type=")
                        .nth(1)
                        .map(|r| r.split(';').next().unwrap_or("").to_string());
                    let shaped = a.text.contains(";Name=");
                    let ok = matches!(&ty, Some(t) if shaped && CREATABLE.contains(&t.as_str()));
                    if !ok {
                        bad = true;
                        diags.push(
                            Diagnostic::new(
                                &rules::GET_OR_CREATE,
                                Span::new(id, a.range.start, a.range.end),
                                "the third argument of `getOrCreate` must be `Type=<T>;Name=<N>` with T one of Environment, Layer, Domain, ComponentType, RelationType",
                            )
                            .help("e.g. \"Type=ComponentType;Name=Generic component\""),
                        );
                    }
                }
                Some(_) => {}
                None => {
                    bad = true;
                    diags.push(
                        Diagnostic::new(
                            &rules::GET_OR_CREATE,
                            span,
                            "`getOrCreate` takes three arguments: a URN, a create-URN and `Type=<T>;Name=<N>`",
                        )
                        .help("add the missing arguments"),
                    );
                }
            }
        }
    }
    bad
}

/// Required fields and script fields of top-level nodes (§7 item 13).
fn check_node_shape(t: &str, m: &crate::load::tree::Map, span: Span, diags: &mut Diagnostics) {
    let missing = |diags: &mut Diagnostics, field: &str, help: String| {
        diags.push(Diagnostic::new(&rules::NODE_SHAPE, span, format!("{t} node without `{field}`")).help(help));
    };
    match t {
        "IdExtractorFunction" if m.get("groovyScript").is_none() => missing(
            diags,
            "groovyScript",
            if m.get("script").is_some() {
                "IdExtractorFunction takes its body in `groovyScript`: rename `script`".into()
            } else {
                "add `\"groovyScript\": \"{{ include \\\"./scripts/x.groovy\\\" }}\"`".into()
            },
        ),
        "ComponentMappingFunction" | "RelationMappingFunction" | "CheckFunction" if m.get("script").is_none() => {
            missing(
                diags,
                "script",
                if m.get("groovyScript").is_some() {
                    format!("{t} takes its body in `script`: rename `groovyScript`")
                } else {
                    "add `\"script\": \"{{ include \\\"./scripts/x.groovy\\\" }}\"`".into()
                },
            )
        }
        "ComponentTemplateFunction" | "RelationTemplateFunction" if m.get("handlebarsTemplate").is_none() => missing(
            diags,
            "handlebarsTemplate",
            "add the template body, usually `{{ include \"./templates/x.json.handlebars\" }}`".into(),
        ),
        "Sync" => {
            for f in ["topologyDataQuery", "extTopology"] {
                if m.get(f).is_none() {
                    missing(
                        diags,
                        f,
                        format!("a Sync needs `{f}`: it says where topology comes from and how ids are extracted"),
                    );
                }
            }
        }
        "DataSource" => {
            let topic = m.get("config").and_then(Value::as_map).and_then(|c| c.get("topic"));
            if topic.is_none() {
                missing(
                    diags,
                    "config.topic",
                    "the topology data source reads the topic the agent writes to: `\"topic\": \"{{topicName}}\"`"
                        .into(),
                );
            }
        }
        "MonitorFunction" | "PropagationFunction" => {
            if let Some(v) = m.get("script") {
                if v.as_map().is_none() {
                    diags.push(
                        Diagnostic::new(
                            &rules::NODE_SHAPE,
                            v.span,
                            format!("the `script` of a {t} is an object"),
                        )
                        .help("write `{\"_type\": \"ScriptFunctionBody\", \"scriptBody\": \"…\"}`"),
                    );
                }
            }
        }
        _ => {}
    }
}

/// Parameter types seen in packs and named in the docs (§4.2); others are warned about.
const PARAM_TYPES: [&str; 12] = [
    "STRUCT_TYPE",
    "EVENT_STREAM",
    "METRIC_STREAM",
    "RUN_STATE_VALUE",
    "STRING",
    "DOUBLE",
    "SCRIPT_METRIC_QUERY",
    "INTEGER",
    "LONG",
    "BOOLEAN",
    "HEALTH_STATE",
    "LOG_STREAM",
];

/// Variables of the `{{x}}` tags in a rendered string.
pub(crate) fn tag_vars(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        let v = after[..j].trim().to_string();
        if !out.contains(&v) {
            out.push(v);
        }
        rest = &after[j + 2..];
    }
    out
}

use crate::model::resolve::urn_matches_pattern;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_pattern() {
        assert!(urn_matches_pattern("urn:stackpack:sap:shared:layer:sap-instances"));
        assert!(!urn_matches_pattern("urn:stackpack:sap:shared:layer:SAP Instances"));
        assert!(!urn_matches_pattern("stackpack:sap"));
    }

    #[test]
    fn stray_braces_skip_escapes_and_import_variables() {
        let known = vec!["instanceName".to_string()];
        assert_eq!(stray_braces("a \\{{ b \\}} '{{instanceName}}' c", &known), None);
        assert_eq!(stray_braces("[a: [b: 1]]}}", &known), Some((11, "}}")));
        assert_eq!(stray_braces("x {{ other }}", &known), Some((2, "{{")));
        assert_eq!(stray_braces("x {{ instanceName }}", &[]), Some((2, "{{")));
    }

    #[test]
    fn json_string_position() {
        let t = "{\"script\": \"{{ include \\\"x\\\" }}\"}\n{{ include \"y\" }}";
        assert!(in_json_string(t, t.find("{{").unwrap_or(0)));
        assert!(!in_json_string(t, t.rfind("{{").unwrap_or(0)));
    }

    #[test]
    fn base64_encodes() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
    }

    #[test]
    fn finds_import_calls() {
        let g = r#"context().stackPack().importSnapshot("templates/a.stj", [:]) >>
  context().instance().importSnapshot('templates/b.stj', args)"#;
        let calls = import_snapshot_calls(g);
        let got: Vec<_> = calls.iter().map(|(p, _, s)| (p.as_str(), *s)).collect();
        assert_eq!(
            got,
            vec![("templates/a.stj", Scope::Shared), ("templates/b.stj", Scope::Instance)]
        );
        assert!(declares_class(
            "class AProvision extends ProvisioningScript {",
            "AProvision"
        ));
        assert!(!declares_class("return null", "AProvision"));
    }
}
