//! Running the pack's tests: for each case, the id extractor and mapping function (Groovy, when
//! an interpreter is there), then the template ([`super::evaluate`]), then the comparison with
//! the expectations. `--update` rewrites the expectations with what was produced.

use super::groovy::{self, Interpreter, Job};
use super::testfile::{self, Expectation, Source, TestFile};
use super::{evaluate, find_template, rules, Lookup};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::model::{Body, Node, NodeKind, Pack};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rewrite expectations with the produced values.
    pub update: bool,
    /// Do not run Groovy even when an interpreter is there.
    pub no_groovy: bool,
    /// Run only cases whose `<file> :: <case>` name contains this text.
    pub filter: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// `tests/agent-host.yaml`.
    pub file: String,
    pub case: String,
    /// The template's short id.
    pub template: String,
    /// Its file (`templates/components/agent-host.json.handlebars`).
    pub template_file: String,
    pub status: Status,
    /// Why it failed or was skipped, in words (one line each), besides the findings in `diags`.
    pub reasons: Vec<String>,
    /// Located findings (render errors, JSON, structure).
    pub diags: Vec<Diagnostic>,
    /// Expected vs produced, as a line diff.
    pub diffs: Vec<String>,
    /// What ran (`mapping agent-container-mapping (groovy)`, `template on the given mapped element`).
    pub notes: Vec<String>,
    pub output: Option<Value>,
    pub lookups: Vec<Lookup>,
    /// Expectations written by `--update`.
    pub updated: Vec<String>,
    /// 2.0 OTel cases: every mapping's verdict on every record ([`super::otel::Trace`] as JSON).
    pub trace: Vec<Value>,
    /// 2.0 OTel cases: lines shown under the case's line even when it passes (why a record
    /// matched no mapping).
    pub explain: Vec<String>,
}

/// The results of a run.
#[derive(Debug)]
pub struct Run {
    pub cases: Vec<CaseResult>,
    /// Problems of the test files themselves (each also fails the run).
    pub file_diags: Diagnostics,
    /// Whether Groovy steps ran, or why not.
    pub groovy: Interpreter,
    /// Whether any case needed Groovy.
    pub groovy_needed: bool,
}

impl Run {
    pub fn count(&self, s: Status) -> usize {
        self.cases.iter().filter(|c| c.status == s).count()
    }
    pub fn failed(&self) -> bool {
        self.count(Status::Failed) > 0 || self.file_diags.has_errors()
    }
}

fn find_function<'p>(pack: &'p Pack, name: &str, kinds: &[NodeKind]) -> Option<&'p Node> {
    pack.nodes
        .iter()
        .find(|n| kinds.contains(&n.kind) && (n.id.value == name.trim() || pack.urn(n) == name.trim()))
}

fn script_job(pack: &Pack, node: &Node, kind: &'static str, element: &Value) -> Option<Job> {
    let Body::Script(s) = &node.body else { return None };
    let (_, text) = pack.text(&s.script.value)?;
    Some(Job {
        kind,
        name: s.script.value.rsplit('/').next().unwrap_or("script.groovy").to_string(),
        script: text.to_string(),
        param: s.parameter.value.clone(),
        element: element.clone(),
    })
}

struct Planned {
    test: usize,
    case: usize,
    template: Option<usize>,
    mapping: Option<usize>,
    id_extractor: Option<usize>,
}

/// Run every test of `pack` (its `tests/` folder).
pub fn run(pack: &mut Pack, opts: &Options) -> Run {
    let mut file_diags = Diagnostics::new();
    let mut tests: Vec<TestFile> = Vec::new();
    for rel in testfile::discover(pack) {
        if let Some(t) = testfile::read(pack, &rel, &mut file_diags) {
            tests.push(t);
        }
    }
    let pack: &Pack = pack;
    // Resolve the nodes each test names.
    let mut planned = Vec::new();
    for (ti, t) in tests.iter().enumerate() {
        let template = find_template(pack, &t.template.value);
        if template.is_none() {
            let d = Diagnostic::new(
                &rules::TEST_UNKNOWN_NODE,
                t.template.span,
                format!(
                    "`{}` is no component or relation template of this pack",
                    t.template.value
                ),
            );
            let ids = pack
                .nodes
                .iter()
                .filter(|n| matches!(n.kind, NodeKind::ComponentTemplate | NodeKind::RelationTemplate))
                .map(|n| n.id.value.as_str());
            file_diags.push(match crate::diag::did_you_mean(&t.template.value, ids) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("name a template by its short id or URN"),
            });
            continue;
        }
        let relation = template.is_some_and(|n| n.kind == NodeKind::RelationTemplate);
        let mapping_kind = if relation {
            NodeKind::RelationMapping
        } else {
            NodeKind::ComponentMapping
        };
        let mut lookup = |name: &Option<crate::source::Spanned<String>>, kind: NodeKind| -> Result<Option<usize>, ()> {
            let Some(n) = name else { return Ok(None) };
            match find_function(pack, &n.value, &[kind]) {
                Some(node) => Ok(pack.nodes.iter().position(|x| std::ptr::eq(x, node))),
                None => {
                    file_diags.push(
                        Diagnostic::new(
                            &rules::TEST_UNKNOWN_NODE,
                            n.span,
                            format!("`{}` is no {} of this pack", n.value, kind.singular()),
                        )
                        .help("name it by its short id or URN"),
                    );
                    Err(())
                }
            }
        };
        let (Ok(mapping), Ok(id_extractor)) = (
            lookup(&t.mapping, mapping_kind),
            lookup(&t.id_extractor, NodeKind::IdExtractor),
        ) else {
            continue;
        };
        let template = template.and_then(|n| pack.nodes.iter().position(|x| std::ptr::eq(x, n)));
        for ci in 0..t.cases.len() {
            let name = format!("{} :: {}", t.rel, t.cases[ci].name.value);
            if opts.filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
                continue;
            }
            planned.push(Planned {
                test: ti,
                case: ci,
                template,
                mapping,
                id_extractor,
            });
        }
    }

    // Groovy steps, all in one interpreter run.
    let groovy_needed = planned.iter().any(|p| p.mapping.is_some() || p.id_extractor.is_some());
    let interpreter = if opts.no_groovy {
        Interpreter::Missing("--no-groovy".into())
    } else if groovy_needed {
        groovy::find()
    } else {
        Interpreter::Missing("no test needs it".into())
    };
    let mut jobs = Vec::new();
    // (planned index, "id" | "mapping") → job index
    let mut job_of: BTreeMap<(usize, &'static str), usize> = BTreeMap::new();
    if let Interpreter::Found(_) = interpreter {
        for (pi, p) in planned.iter().enumerate() {
            let case = &tests[p.test].cases[p.case];
            // Scripts get the element as given (plus `data: {}`); relation ids are added for
            // the template only.
            let element = super::render::complete_element(&case.element, false);
            for (slot, kind) in [(p.id_extractor, "id"), (p.mapping, "mapping")] {
                if let Some(job) = slot.and_then(|i| script_job(pack, &pack.nodes[i], kind, &element)) {
                    job_of.insert((pi, kind), jobs.len());
                    jobs.push(job);
                }
            }
        }
    }
    let mut groovy_results: Vec<Result<Value, String>> = Vec::new();
    let mut groovy_error = None;
    if let Interpreter::Found(path) = &interpreter {
        match groovy::run(path, &jobs) {
            Ok(r) => groovy_results = r,
            Err(e) => groovy_error = Some(e),
        }
    }

    let mut cases = Vec::new();
    let mut edits: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    for (pi, p) in planned.iter().enumerate() {
        let t = &tests[p.test];
        let case = &t.cases[p.case];
        let Some(tnode) = p.template.map(|i| &pack.nodes[i]) else {
            continue;
        };
        let template_file = match &tnode.body {
            Body::Template(tf) => tf.template.value.clone(),
            _ => String::new(),
        };
        let mut r = CaseResult {
            file: t.rel.clone(),
            case: case.name.value.clone(),
            template: tnode.id.value.clone(),
            template_file,
            status: Status::Passed,
            reasons: Vec::new(),
            diags: Vec::new(),
            diffs: Vec::new(),
            notes: Vec::new(),
            output: None,
            lookups: Vec::new(),
            updated: Vec::new(),
            trace: Vec::new(),
            explain: Vec::new(),
        };
        let result_of = |kind: &'static str| -> Option<Result<Value, String>> {
            if let Some(e) = &groovy_error {
                return Some(Err(format!("groovy failed: {e}")));
            }
            job_of.get(&(pi, kind)).and_then(|&j| groovy_results.get(j).cloned())
        };
        let mut updates: Vec<(&Expectation, Value)> = Vec::new();
        // Id extractor.
        if let Some(i) = p.id_extractor {
            let name = &pack.nodes[i].id.value;
            match result_of("id") {
                Some(Ok(v)) => {
                    r.notes.push(format!("id extractor `{name}` ran (groovy)"));
                    let ok = v
                        .get("externalId")
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty());
                    if !ok {
                        r.reasons
                            .push(format!("id extractor `{name}` returned no external id: {v}"));
                    }
                    compare(case.id.as_ref(), &v, "id extractor result", opts, &mut r, &mut updates);
                }
                Some(Err(e)) => r.reasons.push(format!("id extractor `{name}` failed: {e}")),
                None => r
                    .notes
                    .push(format!("id extractor `{name}` skipped: {}", why_not(&interpreter))),
            }
        }
        // Mapping function.
        let mut input = case.element.clone();
        if let Some(i) = p.mapping {
            let name = &pack.nodes[i].id.value;
            match result_of("mapping") {
                Some(Ok(v)) => {
                    r.notes.push(format!("mapping function `{name}` ran (groovy)"));
                    compare(case.mapped.as_ref(), &v, "mapped element", opts, &mut r, &mut updates);
                    input = v;
                }
                Some(Err(e)) => {
                    r.reasons.push(format!("mapping function `{name}` failed: {e}"));
                    input = Value::Null;
                }
                None => match case.mapped.as_ref().and_then(|m| m.value.clone()) {
                    Some(m) => {
                        r.notes.push(format!(
                            "mapping function `{name}` skipped ({}): the template ran on the case's `mapped` element",
                            why_not(&interpreter)
                        ));
                        input = m;
                    }
                    None => {
                        r.status = Status::Skipped;
                        r.reasons.push(format!(
                            "mapping function `{name}` cannot run ({}) and the case gives no `mapped` element",
                            why_not(&interpreter)
                        ));
                        cases.push(r);
                        continue;
                    }
                },
            }
        }
        if !input.is_null() {
            let mut args = super::render::default_import_args(pack);
            for (k, v) in &t.import_args {
                args.insert(k.clone(), v.clone());
            }
            let ev = evaluate(pack, tnode, &input, &args);
            r.lookups = ev.lookups;
            r.diags = ev.diags;
            if let Some(out) = &ev.output {
                compare(case.expect.as_ref(), out, "output", opts, &mut r, &mut updates);
            } else if case.expect.is_some() && opts.update {
                r.reasons.push("no JSON output to update the expectation with".into());
            }
            r.output = ev.output;
        }
        for (exp, value) in updates {
            match &exp.source {
                Source::Inline {
                    value: span,
                    key,
                    empty,
                } => {
                    let edit = Edit {
                        range: span.start as usize..span.end as usize,
                        key_end: key.end as usize,
                        empty: *empty,
                        value,
                    };
                    edits.entry(t.rel.clone()).or_default().push(edit);
                    r.updated.push(format!("{} (inline)", t.rel));
                }
                Source::File { rel, .. } => match write_json(pack, rel, &value) {
                    Ok(()) => r.updated.push(rel.clone()),
                    Err(e) => r.reasons.push(format!("cannot write `{rel}`: {e}")),
                },
            }
        }
        let errors = r.diags.iter().any(|d| d.severity == Severity::Error);
        if (errors || !r.reasons.is_empty()) && r.status != Status::Skipped {
            r.status = Status::Failed;
        }
        cases.push(r);
    }
    for (rel, mut list) in edits {
        if let Err(e) = rewrite_inline(pack, &rel, &mut list) {
            file_diags.push(Diagnostic::at_path(
                &rules::TEST_FILE_INVALID,
                rel.clone(),
                format!("cannot update `{rel}`: {e}"),
            ));
        }
    }
    Run {
        cases,
        file_diags,
        groovy: interpreter,
        groovy_needed,
    }
}

fn why_not(i: &Interpreter) -> String {
    match i {
        Interpreter::Missing(why) => why.clone(),
        Interpreter::Found(p) => format!("{} gave no result", p.display()),
    }
}

/// Compare `actual` with an expectation; on a difference record a diff (or, under `--update`,
/// queue the new value).
pub(crate) fn compare<'e>(
    exp: Option<&'e Expectation>,
    actual: &Value,
    what: &str,
    opts: &Options,
    r: &mut CaseResult,
    updates: &mut Vec<(&'e Expectation, Value)>,
) {
    let Some(exp) = exp else { return };
    if exp.value.as_ref() == Some(actual) {
        return;
    }
    if opts.update {
        updates.push((exp, actual.clone()));
        return;
    }
    let expected = exp.value.as_ref().map(pretty).unwrap_or_default();
    let where_ = match &exp.source {
        Source::Inline { .. } => "inline".to_string(),
        Source::File { rel, .. } => rel.clone(),
    };
    if exp.value.is_none() {
        r.reasons.push(format!(
            "the expected {what} ({where_}) does not exist yet: run with --update"
        ));
        return;
    }
    r.reasons
        .push(format!("the {what} differs from the expectation ({where_})"));
    r.diffs.push(format!(
        "--- expected {what} ({where_})\n+++ produced\n{}",
        diff(&expected, &pretty(actual))
    ));
}

pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn write_json(pack: &Pack, rel: &str, v: &Value) -> Result<(), String> {
    write_json_at(&testfile::pack_path(pack, rel)?, v)
}

/// Write `v` as pretty JSON to `path` (atomically, creating its directory).
pub(crate) fn write_json_at(path: &std::path::Path, v: &Value) -> Result<(), String> {
    let dir = path.parent().ok_or("no parent directory")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    atomic_write(path, format!("{}\n", pretty(v)).as_bytes())
}

fn atomic_write(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().ok_or("no parent directory")?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| e.to_string())?;
    tmp.write_all(bytes).map_err(|e| e.to_string())?;
    tmp.persist(path).map_err(|e| e.to_string())?;
    Ok(())
}

/// A block value's span runs up to the next token: drop the trailing blank and comment lines,
/// which belong to what follows.
fn trim_block(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let Some(slice) = text.get(range.clone()) else {
        return range;
    };
    let mut len = slice.trim_end().len();
    while let Some(nl) = slice[..len].rfind('\n') {
        if !slice[nl + 1..len].trim_start().starts_with('#') {
            break;
        }
        len = slice[..nl].trim_end().len();
    }
    range.start..range.start + len
}

/// One inline expectation to rewrite.
pub(crate) struct Edit {
    pub(crate) range: std::ops::Range<usize>,
    pub(crate) key_end: usize,
    pub(crate) empty: bool,
    pub(crate) value: Value,
}

/// Replace inline expectations of one test file by the new values, written in YAML block style
/// (as `stackpack new` writes them and `stackpack fmt` keeps them) indented under their key;
/// scalars and empty lists or maps stay on the key's line as JSON. The rest of the file
/// (comments included) is kept.
fn rewrite_inline(pack: &Pack, rel: &str, edits: &mut [Edit]) -> Result<(), String> {
    rewrite_inline_at(&testfile::pack_path(pack, rel)?, edits)
}

/// [`rewrite_inline`] of the file at `path`.
pub(crate) fn rewrite_inline_at(path: &std::path::Path, edits: &mut [Edit]) -> Result<(), String> {
    let mut text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    edits.sort_by_key(|e| std::cmp::Reverse(e.key_end));
    for e in edits.iter() {
        // An empty value: everything after the key on its line becomes `: <value>`, except a
        // trailing `# comment`, which stays on the key's line.
        let mut comment = String::new();
        let range = if e.empty {
            let end = text
                .get(e.key_end..)
                .and_then(|r| r.find('\n'))
                .map_or(text.len(), |n| e.key_end + n);
            let rest = text.get(e.key_end..end).unwrap_or("");
            if let Some(at) = rest.find(" #").or_else(|| rest.find("\t#")) {
                comment = format!(" {}", rest[at..].trim());
            }
            e.key_end..end
        } else {
            trim_block(&text, e.range.clone())
        };
        if range.end > text.len()
            || range.start > range.end
            || !text.is_char_boundary(range.start)
            || !text.is_char_boundary(range.end)
        {
            return Err("the file changed during the run".into());
        }
        let line_start = text[..range.start].rfind('\n').map_or(0, |n| n + 1);
        let before = &text[line_start..range.start];
        let key_indent = before.len() - before.trim_start().len();
        let on_key_line = e.empty || !before.trim().is_empty();
        // A value on the key's line is indented one step deeper than the key; a block value
        // keeps its own column.
        let indent = if on_key_line {
            key_indent + 2
        } else {
            before.chars().count()
        };
        let pad = " ".repeat(indent);
        let (range, replacement) = match block_yaml(&e.value) {
            Some(block) => {
                let body = indented(&block, &pad);
                if on_key_line {
                    // `key:` then the block on the following lines (no blank after the colon).
                    let start = text[..range.start].trim_end_matches(' ').len();
                    let lead = if e.empty { ":" } else { "" };
                    (
                        start.max(line_start)..range.end,
                        format!("{lead}{comment}\n{pad}{body}"),
                    )
                } else {
                    (range, body)
                }
            }
            None => {
                let body = indented(&pretty(&e.value), &pad);
                let lead = if e.empty { ": " } else { "" };
                (range, format!("{lead}{body}{comment}"))
            }
        };
        text.replace_range(range, &replacement);
    }
    atomic_write(path, text.as_bytes())
}

/// `v` in YAML block style (no trailing newline), when it is a non-empty list or map that
/// reads back as the same value; `None` for scalars, empty collections and anything the YAML
/// writer cannot round-trip (those are written as JSON).
fn block_yaml(v: &Value) -> Option<String> {
    let nonempty = match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        _ => false,
    };
    if !nonempty {
        return None;
    }
    let text = serde_yaml::to_string(v).ok()?;
    // In `stackpack fmt`'s layout (lists indented under their key), so that a formatted test
    // file stays formatted after an update.
    let text = crate::fmt::format_text(crate::fmt::Kind::Yaml, &text).unwrap_or(text);
    let back: Value = serde_yaml::from_str(&text).ok()?;
    (back == *v).then(|| text.trim_end_matches('\n').to_string())
}

/// `text` with every line after the first indented by `pad` (blank lines stay empty).
fn indented(text: &str, pad: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(pad);
            }
        }
        out.push_str(line);
    }
    out
}

/// A unified-style line diff (`-` expected, `+` produced, two lines of context).
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // LCS table; outputs are small (templates), but cap the work for huge ones.
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        let first = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        return format!(
            "(outputs too large to diff line by line; first difference at line {})\n-{}\n+{}",
            first + 1,
            a.get(first).unwrap_or(&""),
            b.get(first).unwrap_or(&"")
        );
    }
    let (n, m) = (a.len(), b.len());
    let mut l = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[i * (m + 1) + j] = if a[i] == b[j] {
                l[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                l[(i + 1) * (m + 1) + j].max(l[i * (m + 1) + j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || l[(i + 1) * (m + 1) + j] >= l[i * (m + 1) + j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.0 != ' ')
        .map(|(k, _)| k)
        .collect();
    let mut out = String::new();
    let mut last_shown: Option<usize> = None;
    for (k, (op, line)) in ops.iter().enumerate() {
        let near = changed.iter().any(|&c| c.abs_diff(k) <= 2);
        if !near {
            continue;
        }
        if last_shown.is_some_and(|s| s + 1 < k) {
            out.push_str("  …\n");
        }
        out.push_str(&format!("{op} {line}\n"));
        last_shown = Some(k);
    }
    out
}

/// Results as a JSON value (`--format json`).
pub fn to_json(run: &Run, sources: &crate::source::SourceMap) -> Value {
    let cases: Vec<Value> = run
        .cases
        .iter()
        .map(|c| {
            let diags: Vec<Value> = c
                .diags
                .iter()
                .map(|d| {
                    let (file, line, column) = match d.span.and_then(|s| sources.get(s.file).map(|f| (f, s))) {
                        Some((f, s)) => {
                            let lc = f.line_col(s.start as usize);
                            (Some(f.display.clone()), Some(lc.line), Some(lc.col))
                        }
                        None => (d.path.clone(), None, None),
                    };
                    serde_json::json!({"code": d.code, "severity": d.severity.as_str(), "message": d.message,
                        "file": file, "line": line, "column": column})
                })
                .collect();
            let mut v = serde_json::json!({
                "file": c.file, "case": c.case, "template": c.template, "template-file": c.template_file,
                "status": c.status, "reasons": c.reasons, "notes": c.notes, "diff": c.diffs.join("\n"),
                "diagnostics": diags, "output": c.output, "lookups": c.lookups, "updated": c.updated,
            });
            if !c.trace.is_empty() {
                v["trace"] = Value::Array(c.trace.clone());
            }
            v
        })
        .collect();
    let mut summary = Map::new();
    summary.insert("passed".into(), run.count(Status::Passed).into());
    summary.insert("failed".into(), run.count(Status::Failed).into());
    summary.insert("skipped".into(), run.count(Status::Skipped).into());
    summary.insert("file-errors".into(), run.file_diags.count(Severity::Error).into());
    serde_json::json!({"version": 1, "cases": cases, "summary": summary,
        "groovy": match &run.groovy { Interpreter::Found(p) => Value::from(p.display().to_string()), Interpreter::Missing(_) => Value::Null }})
}
