//! Remediation hints: `!include includes/<p>.md.hbs` or inline Markdown, rendered with
//! handlebars by the server for each monitor result.

use super::nodes::NodeEmbedded;
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use crate::v2::load::{NodeAt, Pack};
use crate::v2::rules;
use crate::v2::schema::Lang;
use crate::v2::yaml::Node;
use std::collections::{BTreeMap, BTreeSet};

/// Values and helpers the published hints use.
const ROOTS: [&str; 4] = ["componentUrnForUrl", "labels", "tags", "threshold"];
const HELPERS: [&str; 1] = ["multiply"];

/// The `{{ labels.x }}` a hint reads: each label with where it is.
type HintLabels = Vec<(String, Span)>;

pub fn run(pack: &Pack, embedded: &[NodeEmbedded], diags: &mut Diagnostics) {
    let nodes: Vec<NodeAt> = pack.nodes().collect();
    // Include files are checked once, however many monitors use them; the labels they read are
    // compared with each monitor's query (one finding per file and label).
    let mut includes: BTreeMap<String, (Option<FileId>, HintLabels)> = BTreeMap::new();
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for ne in embedded {
        let Some(node) = nodes.get(ne.node) else { continue };
        if node.type_name() != Some("Monitor") {
            continue;
        }
        for e in ne.items.iter().filter(|e| e.lang == Lang::Hint) {
            let (where_, labels) = hint(pack, e.value, &mut includes, diags);
            let Some(kept) = super::lang::monitor_labels(node.node) else {
                continue;
            };
            if kept.is_empty() {
                continue;
            }
            for (label, span) in labels {
                if kept.contains(&label) || !reported.insert((where_.clone(), label.clone())) {
                    continue;
                }
                let list = kept.iter().cloned().collect::<Vec<_>>().join(", ");
                diags.push(
                    Diagnostic::new(
                        &rules::TEMPLATE_LABEL,
                        span,
                        format!("`{{{{ labels.{label} }}}}` is not a label the monitor's query keeps ({list})"),
                    )
                    .help(
                        match crate::diag::did_you_mean(&label, kept.iter().map(String::as_str)) {
                            Some(m) => format!("did you mean `{{{{ labels.{m} }}}}`?"),
                            None => format!("add `{label}` to the query's `by (…)`, or remove it from the hint"),
                        },
                    )
                    .note("heuristic: the labels come from the query's outer aggregation; the hint renders it empty"),
                );
            }
        }
    }
}

/// Check one hint; returns where it is (the include path, or "" inline) and the labels it reads.
fn hint(
    pack: &Pack,
    value: &Node,
    includes: &mut BTreeMap<String, (Option<FileId>, HintLabels)>,
    diags: &mut Diagnostics,
) -> (String, HintLabels) {
    let Some(text) = value.as_str() else {
        return (String::new(), Vec::new());
    };
    match value.tag.as_deref() {
        Some("!include") => {
            let path = format!("includes/{}", text.trim_start_matches("./"));
            if let Some((_, labels)) = includes.get(&path) {
                return (path, labels.clone());
            }
            let Some(bytes) = pack.files.get(&path) else {
                includes.insert(path.clone(), (None, Vec::new()));
                return (path, Vec::new()); // reported by the tag check
            };
            let Ok(body) = std::str::from_utf8(bytes) else {
                diags.push(
                    Diagnostic::at_path(
                        &rules::UNREADABLE,
                        pack.display(&path),
                        format!("`{path}` is not UTF-8 text"),
                    )
                    .help("save the hint as UTF-8"),
                );
                includes.insert(path.clone(), (None, Vec::new()));
                return (path, Vec::new());
            };
            // Include files were registered by the loader, so findings point into them.
            let id = pack.sources.find(&pack.display(&path));
            let labels = match id {
                Some(id) => check_text(body, |a, b| Span::new(id, a, b), diags),
                None => check_text(body, |_, _| value.span, diags),
            };
            includes.insert(path.clone(), (id, labels.clone()));
            (path, labels)
        }
        None => {
            let where_ = format!("inline:{}:{}", value.span.start, value.span.end);
            (where_, check_text(text, |_, _| value.span, diags))
        }
        Some(_) => (String::new(), Vec::new()),
    }
}

/// Parse and inspect one hint text; `span(a, b)` locates a byte range of it. Returns the
/// `labels.x` it reads.
fn check_text(text: &str, span: impl Fn(usize, usize) -> Span, diags: &mut Diagnostics) -> HintLabels {
    let mut labels = Vec::new();
    if let Err(e) = handlebars::Template::compile(text) {
        let full = e.to_string();
        let full = full.trim_start_matches("Template error: ");
        // The grammar's list of expected tokens says nothing useful to a hint's author.
        let msg = match full.find(": expected ") {
            Some(i) => full[..i].to_string(),
            None => full.to_string(),
        };
        let (line, col) = e.pos().unwrap_or((1, 1));
        let at = offset_of(text, line, col);
        diags.push(
            Diagnostic::new(
                &rules::HBS_SYNTAX,
                span(at, (at + 1).min(text.len()).max(at)),
                format!(
                    "invalid handlebars: {}",
                    msg.lines().next().unwrap_or("").trim_end_matches(':')
                ),
            )
            .help("close every `{{` with `}}` and every block `{{#x}}` with `{{/x}}`"),
        );
        return labels;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find("{{") {
        let start = from + i;
        let Some(len) = text[start..].find("}}") else { break };
        let inner =
            text[start + 2..start + len].trim_matches(|c: char| c == '{' || c == '~' || c == '&' || c.is_whitespace());
        from = start + len + 2;
        if inner.starts_with('!')
            || inner.starts_with('#')
            || inner.starts_with('/')
            || inner.starts_with('>')
            || inner == "else"
        {
            continue;
        }
        let mut words = inner.split_whitespace();
        let Some(first) = words.next() else { continue };
        let sp = span(start, start + len + 2);
        let (head, root) = match first.split_once('.') {
            Some((r, _)) => (first, r),
            None => (first, first),
        };
        if root == "labels" && head.len() > 7 && !is_helper_call(&words) {
            labels.push((head[7..].to_string(), sp));
        }
        if root == "tags" && head.len() > 5 {
            diags.push(
                Diagnostic::new(
                    &rules::HINT_TAGS,
                    sp,
                    format!("`{{{{ {head} }}}}` reads a component tag; monitor hints get the time series' labels"),
                )
                .help(format!("write `{{{{ labels.{} }}}}`", &head[5..])),
            );
            continue;
        }
        let is_helper = HELPERS.contains(&first) || words.clone().next().is_some();
        let known = if is_helper && !ROOTS.contains(&root) {
            HELPERS.contains(&first)
        } else {
            ROOTS.contains(&root) || root == "this" || root.starts_with('@')
        };
        if !known {
            let what = if is_helper { "helper" } else { "value" };
            let mut d = Diagnostic::new(
                &rules::HBS_UNKNOWN,
                sp,
                format!("`{first}` is not a {what} monitor hints provide"),
            );
            d = match crate::diag::did_you_mean(root, ROOTS.iter().chain(HELPERS.iter()).copied()) {
                Some(m) => d.help(format!("did you mean `{m}`?")),
                None => d.help(
                    "hints know componentUrnForUrl, labels.<label>, tags.<tag>, threshold and the helper multiply",
                ),
            };
            diags.push(d);
        }
    }
    labels
}

/// Whether the mustache's first word is followed by arguments (a helper call such as
/// `multiply labels.x 2` starts with the helper, so a `labels.x` head is never one).
fn is_helper_call(words: &std::str::SplitWhitespace<'_>) -> bool {
    words.clone().next().is_some()
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off
                + l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map(|(b, _)| b)
                    .unwrap_or(l.len());
        }
        off += l.len();
    }
    text.len()
}
