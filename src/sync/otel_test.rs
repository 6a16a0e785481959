//! `stackpack test` for StackPack 2.0 packs: the test files under the pack's `tests/` give
//! sample OTLP-JSON telemetry and the components and relations the pack's OTel mappings
//! (`OtelComponentMapping`, `OtelRelationMapping` nodes of `settings/**/*.sty`) must make of
//! it; [`run`] evaluates the mappings with [`super::otel::evaluate`] and compares. The results
//! are a [`Run`] like the v1 tests', printed by the same [`super::report`] functions, with a
//! trace of which mapping matched which record and why the others did not.
//!
//! ```yaml
//! cases:
//!   - name: one queue
//!     mappings: [urn:…:otel-component-mapping:queue]  # optional: default every mapping
//!     telemetry: { resourceMetrics: [ … ] }          # or telemetry-file: telemetry/q.json
//!     components: [ … ]                               # optional, or components-file: x.json
//!     relations: [ … ]                                # optional, or relations-file: y.json
//! ```
//!
//! `tests/` is never shipped: the 2.0 loader reads only the archive's allow-list, so the
//! test files are read here, from the pack directory.

use super::otel::{self, Outcome, Trace};
use super::rules;
use super::runner::{self, CaseResult, Edit, Options, Run, Status};
use super::testfile::{self, Expectation, Source};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::tree::{Fields, Value as Tree};
use crate::source::{FileId, Spanned};
use crate::v2::load::{Origin, Pack};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The keys of a 2.0 test file (the same top level as the v1 form, without `template`).
pub const OTEL_FILE_KEYS: [&str; 1] = ["cases"];
/// The keys of a 2.0 case, in the order the docs and the schema list them.
pub const OTEL_CASE_KEYS: [&str; 8] = [
    "name",
    "mappings",
    "telemetry",
    "telemetry-file",
    "components",
    "components-file",
    "relations",
    "relations-file",
];

const COMPONENT: &str = "OtelComponentMapping";
const RELATION: &str = "OtelRelationMapping";
/// How deep `tests/` is searched for test files.
const MAX_DEPTH: usize = 16;

/// One case of a 2.0 test file.
#[derive(Debug, Clone)]
pub struct OtelCase {
    pub name: Spanned<String>,
    /// The mappings to run (identifier or name); empty: all.
    pub mappings: Vec<Spanned<String>>,
    pub telemetry: Value,
    pub components: Option<Expectation>,
    pub relations: Option<Expectation>,
}

/// One 2.0 test file.
#[derive(Debug, Clone)]
pub struct OtelTestFile {
    /// Pack-relative path.
    pub rel: String,
    pub file: FileId,
    pub cases: Vec<OtelCase>,
}

/// The pack directory and its canonical form (test files are read from a directory only).
struct Root {
    dir: PathBuf,
    canonical: PathBuf,
}

/// Pack-relative paths of the `*.yaml`/`*.yml` files under `root/tests/`, sorted; symbolic
/// links are not followed.
pub fn discover(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, "tests", 0, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, rel: &str, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(rd) = std::fs::read_dir(root.join(rel)) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(meta) = e.path().symlink_metadata() else {
            continue;
        };
        let path = format!("{rel}/{name}");
        if meta.file_type().is_symlink() || name.starts_with('.') {
            continue;
        }
        if meta.is_dir() {
            walk(root, &path, depth + 1, out);
        } else if meta.is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            out.push(path);
        }
    }
}

fn read(pack: &mut Pack, root: &Root, rel: &str, diags: &mut Diagnostics) -> Option<OtelTestFile> {
    let (file, doc) = testfile::read_document(
        &mut pack.sources,
        &root.dir,
        &root.canonical,
        rel,
        "write `cases:` with `- name: …` and `telemetry: …` (see docs/testing.md)",
        diags,
    )?;
    let doc = &doc;
    let mut f = Fields::new(doc, "2.0 test file", diags)?;
    let cases_tree = f.opt_seq("cases", diags);
    let span = f.span;
    f.finish(diags);
    let Some(cases_tree) = cases_tree.filter(|c| !c.is_empty()) else {
        diags.push(
            Diagnostic::new(&rules::TEST_FILE_INVALID, span, "the test file has no `cases`")
                .help("add `cases:` with at least one `- name: …` and `telemetry: …`"),
        );
        return None;
    };
    let dir = Path::new(rel).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut cases = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for c in cases_tree {
        let Some(case) = parse_case(root, &dir, c, diags) else {
            continue;
        };
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
    Some(OtelTestFile {
        rel: rel.to_string(),
        file,
        cases,
    })
}

fn parse_case(root: &Root, dir: &Path, c: &Tree, diags: &mut Diagnostics) -> Option<OtelCase> {
    let mut f = Fields::new(c, "2.0 test case", diags)?;
    let name = f.req_str("name", diags);
    let mappings = f.opt_str_list("mappings", diags);
    let inline = f.raw("telemetry");
    let file = f.opt_str("telemetry-file", diags);
    let components = testfile::expectation_in(
        &root.dir,
        &root.canonical,
        dir,
        &mut f,
        "components",
        "components-file",
        diags,
    );
    let relations = testfile::expectation_in(
        &root.dir,
        &root.canonical,
        dir,
        &mut f,
        "relations",
        "relations-file",
        diags,
    );
    let span = f.span;
    f.finish(diags);
    let name = name?;
    let (telemetry, at) = testfile::inline_or_file(
        inline,
        file,
        dir,
        &|rel| testfile::read_json_in(&root.dir, &root.canonical, rel),
        ("telemetry", "telemetry-file"),
        &name.value,
        span,
        "add `telemetry-file: <OTLP-JSON export>` or an inline `telemetry: { resourceMetrics: [ … ] }`",
        diags,
    )?;
    let otlp = ["resourceSpans", "resourceMetrics", "resourceLogs"];
    if !otlp.iter().any(|k| telemetry.get(k).is_some_and(Value::is_array)) {
        diags.push(
            Diagnostic::new(
                &rules::TEST_FILE_INVALID,
                at,
                format!("the telemetry of case `{}` is no OTLP-JSON export", name.value),
            )
            .help("give an object with a `resourceSpans`, `resourceMetrics` or `resourceLogs` list (what an OTLP/HTTP JSON exporter or the collector's file exporter writes)"),
        );
        return None;
    }
    Some(OtelCase {
        name,
        mappings,
        telemetry,
        components,
        relations,
    })
}

/// One OTel mapping node of the pack, as the evaluator takes it.
struct Mapping {
    id: String,
    name: Option<String>,
    relation: bool,
    /// The `.sty` file it is declared in.
    file: String,
    json: Value,
}

fn mappings(pack: &Pack) -> Vec<Mapping> {
    pack.nodes()
        .filter_map(|n| {
            let relation = match n.type_name()? {
                COMPONENT => false,
                RELATION => true,
                _ => return None,
            };
            let json = n.node.to_json();
            Some(Mapping {
                id: n.identifier().unwrap_or("<no identifier>").to_string(),
                name: n.node.str_at("name").map(str::to_string),
                relation,
                file: n.file.path.clone(),
                json,
            })
        })
        .collect()
}

/// Run the 2.0 tests of the pack directory `pack` (its `tests/` folder).
pub fn run(pack: &mut Pack, opts: &Options) -> Result<Run, String> {
    let Origin::Dir(dir) = pack.origin.clone() else {
        return Err("`stackpack test` runs the tests of a pack directory, not of an archive".into());
    };
    let canonical = dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve `{}`: {e}", dir.display()))?;
    let root = Root { dir, canonical };
    let mut file_diags = Diagnostics::new();
    let mut tests = Vec::new();
    for rel in discover(&root.dir) {
        if let Some(t) = read(pack, &root, &rel, &mut file_diags) {
            tests.push(t);
        }
    }
    let all = mappings(pack);
    let mut cases = Vec::new();
    let mut edits: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    for t in &tests {
        for case in &t.cases {
            let full = format!("{} :: {}", t.rel, case.name.value);
            if opts.filter.as_ref().is_some_and(|f| !full.contains(f.as_str())) {
                continue;
            }
            // The mappings the case names (all by default).
            let mut chosen: Vec<&Mapping> = Vec::new();
            let mut unknown = false;
            for want in &case.mappings {
                let w = want.value.trim();
                match all.iter().find(|m| m.id == w || m.name.as_deref() == Some(w)) {
                    Some(m) => chosen.push(m),
                    None => {
                        unknown = true;
                        let d = Diagnostic::new(
                            &rules::TEST_UNKNOWN_NODE,
                            want.span,
                            format!("`{w}` is no OtelComponentMapping or OtelRelationMapping of this pack"),
                        );
                        file_diags.push(match crate::diag::did_you_mean(w, all.iter().map(|m| m.id.as_str())) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help("name a mapping by its `identifier` or `name`"),
                        });
                    }
                }
            }
            if unknown {
                continue;
            }
            if case.mappings.is_empty() {
                chosen = all.iter().collect();
            }
            let (mut r, updates) = run_case(t, case, &chosen, opts);
            for (exp, value) in updates {
                match &exp.source {
                    Source::Inline {
                        value: span,
                        key,
                        empty,
                    } => {
                        edits.entry(t.rel.clone()).or_default().push(Edit {
                            range: span.start as usize..span.end as usize,
                            key_end: key.end as usize,
                            empty: *empty,
                            value,
                        });
                        r.updated.push(format!("{} (inline)", t.rel));
                    }
                    Source::File { rel, .. } => {
                        match testfile::path_in(&root.dir, &root.canonical, rel)
                            .and_then(|p| runner::write_json_at(&p, &value))
                        {
                            Ok(()) => r.updated.push(rel.clone()),
                            Err(e) => {
                                r.reasons.push(format!("cannot write `{rel}`: {e}"));
                                r.status = Status::Failed;
                            }
                        }
                    }
                }
            }
            cases.push(r);
        }
    }
    for (rel, mut list) in edits {
        let done =
            testfile::path_in(&root.dir, &root.canonical, &rel).and_then(|p| runner::rewrite_inline_at(&p, &mut list));
        if let Err(e) = done {
            file_diags.push(Diagnostic::at_path(
                &rules::TEST_FILE_INVALID,
                rel.clone(),
                format!("cannot update `{rel}`: {e}"),
            ));
        }
    }
    Ok(Run {
        cases,
        file_diags,
        groovy: super::groovy::Interpreter::Missing("2.0 packs have no Groovy steps".into()),
        groovy_needed: false,
    })
}

fn trace_line(t: &Trace, relation: bool) -> String {
    let what = if relation { "relation" } else { "component" };
    let mut line = match &t.outcome {
        Outcome::Created { level, element } => {
            let id = if relation {
                format!(
                    "{} -> {}",
                    otel_text(element.get("sourceId")),
                    otel_text(element.get("targetId"))
                )
            } else {
                otel_text(element.get("identifier"))
            };
            format!(
                "`{}` matched {} at the {level} level: {what} `{id}`",
                t.mapping, t.record
            )
        }
        Outcome::Deleted { level } => format!("`{}` deleted {} at the {level} level", t.mapping, t.record),
        Outcome::NoMatch { reason } => format!("`{}` did not match {}: {reason}", t.mapping, t.record),
        Outcome::Dropped { reason } => format!("`{}` matched {} but made no {what}: {reason}", t.mapping, t.record),
    };
    for d in &t.dropped_optional {
        line.push_str(&format!("; {d}"));
    }
    line
}

fn otel_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "?".into(),
    }
}

/// The key an element is known by in messages: a component's identifier, a relation's
/// `source -> target`.
fn element_key(e: &Value, relation: bool) -> String {
    if relation {
        format!("{} -> {}", otel_text(e.get("sourceId")), otel_text(e.get("targetId")))
    } else {
        otel_text(e.get("identifier"))
    }
}

fn run_case<'e>(
    t: &OtelTestFile,
    case: &'e OtelCase,
    chosen: &[&Mapping],
    opts: &Options,
) -> (CaseResult, Vec<(&'e Expectation, Value)>) {
    let comps: Vec<Value> = chosen.iter().filter(|m| !m.relation).map(|m| m.json.clone()).collect();
    let rels: Vec<Value> = chosen.iter().filter(|m| m.relation).map(|m| m.json.clone()).collect();
    let ev = otel::evaluate(&comps, &rels, &case.telemetry);
    let relation_ids: std::collections::BTreeSet<&str> =
        chosen.iter().filter(|m| m.relation).map(|m| m.id.as_str()).collect();
    let is_relation = |t: &Trace| relation_ids.contains(t.mapping.as_str());
    let mut files: Vec<&str> = chosen.iter().map(|m| m.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    let mut r = CaseResult {
        file: t.rel.clone(),
        case: case.name.value.clone(),
        template: format!(
            "{} OTel mapping{}",
            chosen.len(),
            if chosen.len() == 1 { "" } else { "s" }
        ),
        template_file: files.join(", "),
        status: Status::Passed,
        reasons: Vec::new(),
        diags: Vec::new(),
        diffs: Vec::new(),
        notes: ev.traces.iter().map(|x| trace_line(x, is_relation(x))).collect(),
        output: Some(json!({"components": ev.components, "relations": ev.relations, "unmatched": ev.unmatched})),
        lookups: Vec::new(),
        updated: Vec::new(),
        trace: ev
            .traces
            .iter()
            .map(|x| {
                let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
                v["kind"] = Value::from(if is_relation(x) { "relation" } else { "component" });
                v
            })
            .collect(),
        explain: Vec::new(),
    };
    if chosen.is_empty() {
        r.reasons
            .push("the pack has no OtelComponentMapping or OtelRelationMapping to run".into());
    }
    for record in &ev.unmatched {
        let why: Vec<String> = ev
            .traces
            .iter()
            .filter(|x| &x.record == record)
            .map(|x| match &x.outcome {
                Outcome::NoMatch { reason } | Outcome::Dropped { reason } => format!("`{}`: {reason}", x.mapping),
                Outcome::Deleted { level } => format!("`{}`: deleted at the {level} level", x.mapping),
                Outcome::Created { .. } => format!("`{}`: created", x.mapping),
            })
            .collect();
        r.explain.push(format!("no mapping matched {record}"));
        for w in why {
            r.explain.push(format!("  {w}"));
        }
    }
    let mut updates = Vec::new();
    for (exp, produced, relation, what, one) in [
        (
            case.components.as_ref(),
            &ev.components,
            false,
            "component list",
            "component",
        ),
        (
            case.relations.as_ref(),
            &ev.relations,
            true,
            "relation list",
            "relation",
        ),
    ] {
        let actual = Value::Array(produced.clone());
        let before = r.reasons.len();
        runner::compare(exp, &actual, what, opts, &mut r, &mut updates);
        if r.reasons.len() == before {
            continue;
        }
        // Name the mappings behind the difference.
        let expected: Vec<Value> = exp
            .and_then(|e| e.value.as_ref())
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for p in produced {
            if expected.contains(p) {
                continue;
            }
            let key = element_key(p, relation);
            let from: Vec<String> = ev
                .traces
                .iter()
                .filter(|x| matches!(&x.outcome, Outcome::Created { element, .. } if element_key(element, relation) == key && is_relation(x) == relation))
                .map(|x| format!("`{}` on {}", x.mapping, x.record))
                .collect();
            let known = expected.iter().any(|e| element_key(e, relation) == key);
            r.reasons.push(format!(
                "{one} `{key}` {} (made by {})",
                if known {
                    "differs from the expected one"
                } else {
                    "is not expected"
                },
                if from.is_empty() {
                    "no mapping".to_string()
                } else {
                    from.join(", ")
                }
            ));
        }
        for e in &expected {
            let key = element_key(e, relation);
            if !produced.iter().any(|p| element_key(p, relation) == key) {
                r.reasons.push(format!(
                    "expected {one} `{key}` was not produced by any mapping (see the notes above)"
                ));
            }
        }
    }
    if !r.reasons.is_empty() {
        r.status = Status::Failed;
    }
    (r, updates)
}
