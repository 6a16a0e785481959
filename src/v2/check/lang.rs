//! Embedded languages: CEL (OTel mappings, selectors, projections) parsed with the `cel` crate,
//! STQL (bindings, related resources, events) with our STQL parser, PromQL (monitors, metrics,
//! projections, dashboards) with `promql-parser` after `${…}` substitution, and the `${label}`
//! templates of monitors against the labels their query keeps.

use super::nodes::NodeEmbedded;
use crate::diag::{Diagnostic, Diagnostics};
use crate::v2::load::{NodeAt, Pack};
use crate::v2::rules;
use crate::v2::schema::Lang;
use crate::v2::yaml::{Kind, Node};
use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use std::collections::{BTreeSet, HashMap};

/// Names CEL itself provides (type conversions and type names).
const CEL_GLOBALS: [&str; 14] = [
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "list",
    "map",
    "type",
    "dyn",
    "null_type",
    "timestamp",
    "duration",
    "null",
];

/// What a component offers to projections and to `topologySourceSelector`.
// Guess: the component fields published presentations use, plus the obvious neighbours of the
// component model (identifier, type, layer, domain, properties); not documented as a list.
const COMPONENT_VARS: [&str; 14] = [
    "healthState",
    "typeName",
    "name",
    "identifiers",
    "identifier",
    "tags",
    "labels",
    "type",
    "layer",
    "domain",
    "properties",
    "description",
    "version",
    "lastUpdateTimestamp",
];

pub fn run(pack: &Pack, embedded: &[NodeEmbedded], diags: &mut Diagnostics) {
    let nodes: Vec<NodeAt> = pack.nodes().collect();
    // Each distinct CEL text is parsed once: mappings repeat the same expressions (a resource
    // attribute, a condition) node after node, and the CEL parser is the costliest step of a
    // 2.0 lint (45 % of it on 10 000 generated nodes, before this).
    let mut cel_memo: HashMap<String, CelParsed> = HashMap::new();
    for ne in embedded {
        let Some(at) = nodes.get(ne.node) else { continue };
        let levels = mapping_levels(at.node);
        for e in &ne.items {
            match e.lang {
                Lang::Cel => cel_check(pack, at, &levels, &e.path, e.value, &mut cel_memo, diags),
                Lang::Stql => stql_check(e.value, diags),
                Lang::PromQl => promql_check(e.value, diags),
                Lang::Template | Lang::Hint => {}
            }
        }
        if at.type_name() == Some("Monitor") {
            template_labels(at.node, diags);
        }
        if matches!(at.type_name(), Some("OtelComponentMapping" | "OtelRelationMapping")) {
            signal_scope(at.node, diags);
        }
    }
    for at in &nodes {
        if at.type_name() == Some("Dashboard") {
            at.node.walk(&mut |n| {
                if let Some((_, q)) = n.as_map().and_then(|m| m.iter().find(|(k, _)| k.value == "query")) {
                    if n.get("alias").is_some() || q.as_str().is_some_and(|s| s.contains('(') || s.contains('{')) {
                        promql_check(q, diags);
                    }
                }
            });
        }
    }
}

/// The input levels a mapping declares: `resource`, `scope`, `metric`, `datapoint`, `span`, `log`.
fn mapping_levels(n: &Node) -> BTreeSet<&'static str> {
    let mut s = BTreeSet::new();
    let Some(r) = n.at("input.resource") else { return s };
    s.insert("resource");
    if let Some(sc) = r.get("scope") {
        s.insert("scope");
        if let Some(m) = sc.get("metric") {
            s.insert("metric");
            if m.get("datapoint").is_some() {
                s.insert("datapoint");
            }
        }
        if sc.get("span").is_some() {
            s.insert("span");
        }
        if sc.get("log").is_some() {
            s.insert("log");
        }
    }
    s
}

/// The variables CEL at `path` may use.
fn visible(at: &NodeAt, levels: &BTreeSet<&'static str>, path: &str) -> (Vec<&'static str>, bool) {
    let mapping = matches!(at.type_name(), Some("OtelComponentMapping" | "OtelRelationMapping"));
    if mapping {
        if let Some(rest) = path.strip_prefix("input.resource") {
            let mut v = vec!["resource"];
            if rest.starts_with(".scope") {
                v.push("scope");
                if rest.starts_with(".scope.metric") {
                    v.push("metric");
                    if rest.starts_with(".scope.metric.datapoint") {
                        v.push("datapoint");
                    }
                } else if rest.starts_with(".scope.span") {
                    v.push("span");
                } else if rest.starts_with(".scope.log") {
                    v.push("log");
                }
            }
            return (v, true);
        }
        // vars and output see the deepest levels of the input, and the variables.
        let mut v: Vec<&'static str> = levels.iter().copied().collect();
        v.push("vars");
        return (v, true);
    }
    if path.ends_with("externalComponentSelector") {
        return (vec!["external"], false);
    }
    if path.ends_with("topologySourceSelector") {
        let mut v = vec!["source"];
        v.extend(COMPONENT_VARS);
        return (v, false);
    }
    (COMPONENT_VARS.to_vec(), false)
}

/// What a CEL text parses to, as far as the checks need it: its free variables and whether it
/// is a single identifier, or the parser's first error.
enum CelParsed {
    Expr { free: Vec<String>, single: bool },
    Error { msg: String, col: usize },
}

fn parse_cel(text: &str) -> CelParsed {
    match cel::parser::Parser::new().parse(text) {
        Ok(expr) => {
            let mut free = Vec::new();
            free_idents(&expr, &mut Vec::new(), &mut free);
            CelParsed::Expr {
                free,
                single: matches!(expr.expr, Expr::Ident(_)),
            }
        }
        Err(errs) => {
            let first = errs.errors.first();
            CelParsed::Error {
                msg: first.map(|e| e.msg.clone()).unwrap_or_else(|| errs.to_string()),
                col: first.map(|e| e.pos.1.max(0) as usize).unwrap_or(0),
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn cel_check(
    pack: &Pack,
    at: &NodeAt,
    levels: &BTreeSet<&'static str>,
    path: &str,
    value: &Node,
    memo: &mut HashMap<String, CelParsed>,
    diags: &mut Diagnostics,
) {
    let text = match &value.kind {
        Kind::Str(s) => s.clone(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => i.to_string(),
        _ => return,
    };
    if text.trim().is_empty() {
        return;
    }
    // Projections and selectors may hold `${…}`-free CEL only; a template there is text.
    if !memo.contains_key(&text) {
        memo.insert(text.clone(), parse_cel(&text));
    }
    let Some(parsed) = memo.get(&text) else { return };
    let (free, single) = match parsed {
        CelParsed::Expr { free, single } => (free, *single),
        CelParsed::Error { msg, col } => {
            let col = *col;
            let bare = text.split_whitespace().count() > 1
                && text
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_');
            let mut d = Diagnostic::new(
                &rules::CEL_SYNTAX,
                sub_span(pack, value, &text, col),
                format!("`{path}` is not valid CEL: {msg}"),
            )
            .label(format!("at column {}", col + 1));
            d = if bare {
                d.help(format!("a literal must be quoted inside the CEL string: \"'{text}'\""))
            } else {
                d.help("fix the expression (CEL: `a.b`, `m['k']`, `x in m`, `c ? a : b`, string literals in '…')")
            };
            diags.push(d);
            return;
        }
    };
    let (vars, strict) = visible(at, levels, path);
    let mut reported = BTreeSet::new();
    for name in free {
        if vars.contains(&name.as_str()) || CEL_GLOBALS.contains(&name.as_str()) || !reported.insert(name.clone()) {
            continue;
        }
        if single && strict && path.starts_with("output") {
            diags.push(
                Diagnostic::new(
                    &rules::CEL_LITERAL,
                    value.span,
                    format!("`{path}` is the bare word `{name}`, which CEL reads as a variable"),
                )
                .help(format!("quote the literal inside the CEL string: \"'{name}'\"")),
            );
            continue;
        }
        let where_ = if strict { "at this level of the mapping" } else { "here" };
        let mut d = Diagnostic::new(
            &rules::CEL_VARIABLE,
            value.span,
            format!("`{path}` uses `{name}`, which is not available {where_}"),
        )
        .help(format!("available: {}", vars.join(", ")));
        if strict && ["span", "metric", "datapoint", "log", "scope"].contains(&name.as_str()) {
            d = d.note(format!(
                "`{name}` exists only when the input declares `input.resource.scope…{name}`"
            ));
        }
        if !strict {
            // Guess: the component vocabulary of projections and selectors is not documented.
            d = d.severity(crate::diag::Severity::Warning);
        }
        diags.push(d);
    }
}

/// A span inside a single-line quoted or plain scalar; the whole value otherwise.
fn sub_span(pack: &Pack, value: &Node, text: &str, col: usize) -> crate::source::Span {
    let raw = pack.sources.text(value.span);
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(raw);
    if inner == text && !text.contains('\n') {
        let off = raw.len() - inner.len();
        let off = if raw.starts_with('"') || raw.starts_with('\'') {
            1
        } else {
            off
        };
        let at = text.char_indices().nth(col).map(|(i, _)| i).unwrap_or(text.len());
        let end = (at + 1).min(text.len()).max(at);
        return value.span.sub(off + at, off + end.max(at + 1));
    }
    value.span
}

/// Root identifiers of an expression that are not bound by a comprehension.
fn free_idents(e: &IdedExpr, bound: &mut Vec<String>, out: &mut Vec<String>) {
    match &e.expr {
        Expr::Ident(n) => {
            if !n.starts_with('@') && !bound.contains(n) {
                out.push(n.clone());
            }
        }
        Expr::Select(s) => free_idents(&s.operand, bound, out),
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                free_idents(t, bound, out);
            }
            for a in &c.args {
                free_idents(a, bound, out);
            }
        }
        Expr::Comprehension(c) => {
            free_idents(&c.iter_range, bound, out);
            free_idents(&c.accu_init, bound, out);
            let n = bound.len();
            bound.push(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            bound.push(c.accu_var.clone());
            free_idents(&c.loop_cond, bound, out);
            free_idents(&c.loop_step, bound, out);
            free_idents(&c.result, bound, out);
            bound.truncate(n);
        }
        Expr::List(l) => l.elements.iter().for_each(|x| free_idents(x, bound, out)),
        Expr::Map(m) => {
            for en in &m.entries {
                match &en.expr {
                    EntryExpr::MapEntry(me) => {
                        free_idents(&me.key, bound, out);
                        free_idents(&me.value, bound, out);
                    }
                    EntryExpr::StructField(f) => free_idents(&f.value, bound, out),
                }
            }
        }
        Expr::Struct(s) => {
            for en in &s.entries {
                match &en.expr {
                    EntryExpr::MapEntry(me) => {
                        free_idents(&me.key, bound, out);
                        free_idents(&me.value, bound, out);
                    }
                    EntryExpr::StructField(f) => free_idents(&f.value, bound, out),
                }
            }
        }
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Replace every `${…}` placeholder with text of the same length the query language accepts:
/// a duration inside `[…]`, a word elsewhere.
pub fn substitute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let len = end + 1;
        let in_range = out.trim_end().ends_with('[') || out.trim_end().ends_with(':');
        if in_range {
            let mut s = String::from("5m");
            while s.len() < len {
                s.push(' ');
            }
            out.push_str(&s);
        } else {
            out.push_str(&"x".repeat(len));
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

fn stql_check(value: &Node, diags: &mut Diagnostics) {
    let Some(text) = value.as_str() else { return };
    if text.trim().is_empty() {
        return;
    }
    let q = substitute(text);
    if let Err(e) = crate::check::stql::parse(&q) {
        let rule = if e.unknown_name {
            &rules::STQL_UNKNOWN
        } else {
            &rules::STQL_SYNTAX
        };
        let near: String = q.get(e.range.clone()).unwrap_or("").chars().take(40).collect();
        let mut d = Diagnostic::new(rule, value.span, format!("invalid STQL: {}", e.message));
        if !near.is_empty() {
            d = d.label(format!("near `{near}`"));
        }
        d = d.help(e.help.clone().unwrap_or_else(|| {
            "fix the query: `field = \"value\"`, `in (…)`, `and`/`or`, `withNeighborsOf(…)`".to_string()
        }));
        diags.push(d);
    }
}

/// Deepest bracket nesting the PromQL checks accept (the parser and the label walk recurse).
const MAX_PROMQL_DEPTH: usize = 128;

fn too_deep(text: &str) -> bool {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_PROMQL_DEPTH {
                    return true;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn promql_check(value: &Node, diags: &mut Diagnostics) {
    let Some(text) = value.as_str() else { return };
    if text.trim().is_empty() {
        return;
    }
    if too_deep(text) {
        diags.push(
            Diagnostic::new(
                &rules::PROMQL_SYNTAX,
                value.span,
                format!("the query nests brackets deeper than {MAX_PROMQL_DEPTH} levels"),
            )
            .help("simplify the query"),
        );
        return;
    }
    if let Err(e) = promql_parser::parser::parse(&substitute(text)) {
        let msg = e.lines().next().unwrap_or("").to_string();
        if is_semantic(&msg) {
            return;
        }
        diags.push(
            Diagnostic::new(&rules::PROMQL_SYNTAX, value.span, format!("invalid PromQL: {msg}"))
                .help("fix the query (placeholders `${…}` are replaced by a word, or by a duration inside `[…]`, before parsing)"),
        );
    }
}

/// Type and argument checks of `promql-parser` that MetricsQL (the VictoriaMetrics dialect the
/// server evaluates with) does not make: published packs write `rate(x)` without a range,
/// `vector or 0` and `topk(…) @ end()`.
// Inferred: SUSE Observability stores metrics in VictoriaMetrics; the 2.5 validator accepts
// these queries. Only syntax errors are reported.
fn is_semantic(msg: &str) -> bool {
    const SEMANTIC: [&str; 8] = [
        "expected type",
        "not allowed in",
        "@ modifier",
        "must be preceded",
        "only allowed",
        "must contain only",
        "expected 1 argument",
        "argument(s) in call",
    ];
    SEMANTIC.iter().any(|s| msg.contains(s))
}

/// The labels a PromQL result keeps, when the query says (`by (…)` at the top).
pub fn kept_labels(e: &promql_parser::parser::Expr) -> Option<BTreeSet<String>> {
    use promql_parser::parser::{Expr as P, LabelModifier};
    match e {
        P::Aggregate(a) => match &a.modifier {
            Some(LabelModifier::Include(l)) => Some(l.labels.iter().cloned().collect()),
            Some(LabelModifier::Exclude(_)) => None,
            None => {
                // `topk`/`bottomk` etc. keep the series' labels; a plain `sum` keeps none.
                let keeps = ["topk", "bottomk", "limitk", "limit_ratio"].contains(&a.op.to_string().as_str());
                if keeps {
                    kept_labels(&a.expr)
                } else {
                    Some(BTreeSet::new())
                }
            }
        },
        P::Paren(p) => kept_labels(&p.expr),
        P::Binary(b) => {
            let (l, r) = (kept_labels(&b.lhs), kept_labels(&b.rhs));
            let set = b.op.is_set_operator();
            match (l, r) {
                (Some(l), Some(r)) if set && b.op.to_string() == "or" => Some(l.union(&r).cloned().collect()),
                (Some(l), Some(r)) if l.is_empty() && !r.is_empty() => Some(r),
                (Some(l), Some(_)) => Some(l),
                (Some(l), None) => Some(l),
                (None, Some(r)) if matches!(*b.lhs, P::NumberLiteral(_)) => Some(r),
                _ => None,
            }
        }
        P::Call(c) => {
            let first_vector = c
                .args
                .args
                .iter()
                .find(|a| !matches!(***a, P::NumberLiteral(_) | P::StringLiteral(_)))?;
            let mut s = kept_labels(first_vector)?;
            if c.func.name == "histogram_quantile" {
                s.remove("le");
            }
            Some(s)
        }
        _ => None,
    }
}

/// `${label}` placeholders in a template.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(after[..end].trim().to_string());
        rest = &after[end + 1..];
    }
    out
}

/// The span of `${name}` inside the template scalar `t` (whose text is `text`), when the
/// scalar's source is the text itself or the text in quotes without escapes (the length tells);
/// else the whole scalar.
fn placeholder_span(t: &Node, text: &str, name: &str) -> crate::source::Span {
    let needle = format!("${{{name}}}");
    let Some(at) = text.find(&needle) else { return t.span };
    let len = (t.span.end - t.span.start) as usize;
    let lead = if t.block {
        return t.span;
    } else if !t.quoted && len == text.len() {
        0
    } else if t.quoted && len == text.len() + 2 && !text.contains(['\\', '\'', '"']) {
        1
    } else {
        return t.span;
    };
    let start = t.span.start as usize + lead + at;
    crate::source::Span::new(t.span.file, start, start + needle.len())
}

/// The labels a monitor's `arguments.metric.query` keeps (its outer `by (…)`), when known.
pub fn monitor_labels(n: &Node) -> Option<BTreeSet<String>> {
    let q = n.str_at("arguments.metric.query")?;
    if too_deep(q) {
        return None;
    }
    let expr = promql_parser::parser::parse(&substitute(q)).ok()?;
    kept_labels(&expr)
}

fn template_labels(n: &Node, diags: &mut Diagnostics) {
    let Some(kept) = monitor_labels(n) else { return };
    if kept.is_empty() {
        return;
    }
    for key in [
        "arguments.urnTemplate",
        "arguments.titleTemplate",
        "arguments.metric.aliasTemplate",
    ] {
        let Some(t) = n.at(key) else { continue };
        let Some(text) = t.as_str() else { continue };
        let mut seen = BTreeSet::new();
        for p in placeholders(text) {
            if !kept.contains(&p) && seen.insert(p.clone()) {
                diags.push(
                    Diagnostic::new(
                        &rules::TEMPLATE_LABEL,
                        placeholder_span(t, text, &p),
                        format!(
                            "`${{{p}}}` is not a label the query keeps ({})",
                            kept.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .help(match crate::diag::did_you_mean(&p, kept.iter().map(String::as_str)) {
                        Some(m) => format!("did you mean `${{{m}}}`?"),
                        None => format!("add `{p}` to the query's `by (…)`, or remove it from the template"),
                    })
                    .note("heuristic: the labels come from the query's outer aggregation"),
                );
            }
        }
    }
}

/// The scopes a mapping reads must be among its signals.
fn signal_scope(n: &Node, diags: &mut Diagnostics) {
    let signals: Vec<&str> = n.seq_at("input.signal").iter().filter_map(Node::as_str).collect();
    if signals.is_empty() {
        return;
    }
    for (scope, signal) in [("span", "TRACES"), ("metric", "METRICS"), ("log", "LOGS")] {
        if let Some(s) = n.at(&format!("input.resource.scope.{scope}")) {
            if !signals.contains(&signal) {
                let sig = n.at("input.signal").map(|x| x.span).unwrap_or(s.span);
                diags.push(
                    Diagnostic::new(
                        &rules::SIGNAL_SCOPE,
                        sig,
                        format!("the mapping reads `{scope}` data but `input.signal` lacks {signal}"),
                    )
                    .related(s.span, format!("`{scope}` read here"))
                    .help(format!("add {signal} to `input.signal`")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_keeps_lengths_and_durations() {
        let s = substitute("rate(x{a=\"${name}\"}[${__rate_interval}])");
        assert_eq!(s.len(), "rate(x{a=\"${name}\"}[${__rate_interval}])".len());
        assert!(promql_parser::parser::parse(&s).is_ok(), "{s}");
    }

    #[test]
    fn kept_labels_follow_the_outer_aggregation() {
        let q = "histogram_quantile(0.95, sum by(ns, svc, le)(rate(x[5m]))) or (histogram_quantile(0.95, sum by(ns, svc, le)(rate(y[5m]))) / 1000)";
        let e = promql_parser::parser::parse(q).ok();
        let kept = e.as_ref().and_then(kept_labels).unwrap_or_default();
        assert_eq!(
            kept.into_iter().collect::<Vec<_>>(),
            vec!["ns".to_string(), "svc".to_string()]
        );
        assert_eq!(placeholders("urn:x/${ns}:svc/${ svc }"), vec!["ns", "svc"]);
    }
}
