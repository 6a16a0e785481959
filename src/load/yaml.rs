//! YAML text → spanned [`Value`] trees, one per document.
//!
//! Scalars are typed with the YAML 1.2 core schema (plain `true`, `12`, `1.5`, `~`/`null`);
//! quoted scalars are always strings. Aliases are expanded with a budget so that a
//! "billion laughs" document is an error rather than an out-of-memory.

use super::tree::{Kind, Map, Value};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::rules;
use crate::source::{FileId, SourceFile, Span, Spanned};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Most values an alias may expand into, over a whole file.
const ALIAS_BUDGET: usize = 100_000;
/// Most values aliases may expand into over a whole run (all node files together).
pub const RUN_ALIAS_BUDGET: usize = 1_000_000;

/// What YAML parsing may spend over one run (all files together).
#[derive(Debug, Default)]
pub struct RunBudget {
    /// Values expanded from aliases so far.
    pub alias_values: usize,
    /// The exhausted budget was reported (once per run; later files stop silently).
    pub reported: bool,
}
/// Deepest nesting accepted (protects the recursive consumers of the tree).
const MAX_DEPTH: usize = 256;

enum Frame {
    Seq {
        start: usize,
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        start: usize,
        map: Map,
        /// Keys of `map` → their index (duplicate detection in constant time per key).
        keys: HashMap<String, usize>,
        pending_key: Option<Value>,
        anchor: usize,
    },
}

/// Parse `file` (registered as `id`). On a syntax error the error is reported and `None` is
/// returned; duplicate keys are reported and the later value is dropped.
pub fn parse(id: FileId, file: &SourceFile, diags: &mut Diagnostics) -> Option<Vec<Value>> {
    parse_budgeted(id, file, &mut RunBudget::default(), diags)
}

/// [`parse`], charging alias expansions to the run's `budget` (SP014 when it runs out).
pub fn parse_budgeted(
    id: FileId,
    file: &SourceFile,
    budget: &mut RunBudget,
    diags: &mut Diagnostics,
) -> Option<Vec<Value>> {
    let mut first = Diagnostics::new();
    if let Some(docs) = parse_text(id, file, &file.text, &|_, c| c, budget, &mut first) {
        diags.extend(first);
        return Some(docs);
    }
    // A tab used for indentation is the most common YAML mistake, and dropping the whole file
    // makes every reference to its nodes fail too (a cascade of findings with wrong "did you
    // mean" suggestions). Report the tab once, where it is, and read the file as if each
    // leading tab were the indentation that makes it parse (spans still point into the real
    // text), so the rest of the pack is checked normally.
    if let Some((line, tab_at)) = first_leading_tab(&file.text) {
        for width in [2usize, 4, 8, 1, 3, 6] {
            let repaired = expand_leading_tabs(&file.text, width);
            let lines: Vec<usize> = file.text.lines().map(leading_tabs).collect();
            let colmap = |l: usize, c: usize| -> usize {
                let tabs = lines.get(l.saturating_sub(1)).copied().unwrap_or(0);
                if tabs == 0 {
                    c
                } else if c < tabs * width {
                    c / width
                } else {
                    c - tabs * (width - 1)
                }
            };
            let mut scratch = Diagnostics::new();
            let mut b2 = RunBudget {
                alias_values: budget.alias_values,
                reported: budget.reported,
            };
            if let Some(docs) = parse_text(id, file, &repaired, &colmap, &mut b2, &mut scratch) {
                *budget = b2;
                diags.push(tab_finding(id, file, line, tab_at));
                diags.extend(scratch);
                return Some(docs);
            }
        }
        diags.push(tab_finding(id, file, line, tab_at));
        return None;
    }
    diags.extend(first);
    None
}

fn tab_finding(id: FileId, file: &SourceFile, line: usize, col: usize) -> Diagnostic {
    let at = file.offset_of(line, col);
    Diagnostic::new(
        &rules::YAML_SYNTAX,
        Span::new(id, at, at + 1),
        "invalid YAML: a tab is used for indentation; YAML allows only spaces",
    )
    .label("tab")
    .help("replace the tab with spaces (the rest of the file was read as if it were indented with spaces)")
}

fn leading_tabs(line: &str) -> usize {
    let ws = line.len() - line.trim_start_matches([' ', '\t']).len();
    line[..ws].bytes().filter(|&b| b == b'\t').count()
}

/// 1-based line and 0-based column of the first tab in the indentation of a line.
fn first_leading_tab(text: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let ws = l.len() - l.trim_start_matches([' ', '\t']).len();
        let rest = l[ws..].trim_end();
        if rest.is_empty() || rest.starts_with('#') {
            return None;
        }
        l[..ws].find('\t').map(|c| (i + 1, c))
    })
}

/// Every tab in the indentation of a line replaced by `width` spaces (line count unchanged).
fn expand_leading_tabs(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for piece in text.split_inclusive('\n') {
        let ws = piece.len() - piece.trim_start_matches([' ', '\t']).len();
        for b in piece[..ws].chars() {
            if b == '\t' {
                out.extend(std::iter::repeat_n(' ', width));
            } else {
                out.push(b);
            }
        }
        out.push_str(&piece[ws..]);
    }
    out
}

/// Parse `text` (the file's text, or a repaired copy with the same lines): spans are mapped
/// into `file` through `colmap(line, column)`.
fn parse_text(
    id: FileId,
    file: &SourceFile,
    text: &str,
    colmap: &dyn Fn(usize, usize) -> usize,
    budget: &mut RunBudget,
    diags: &mut Diagnostics,
) -> Option<Vec<Value>> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut alias_cost = 0usize;
    let span_of = |s: saphyr_parser::Span| -> Span {
        let a = file.offset_of(s.start.line(), colmap(s.start.line(), s.start.col()));
        let b = file.offset_of(s.end.line(), colmap(s.end.line(), s.end.col()));
        Span::new(id, a, b.max(a))
    };

    for item in Parser::new_from_str(text) {
        let (event, sspan) = match item {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                let at = file.offset_of(m.line(), colmap(m.line(), m.col()));
                diags.push(
                    Diagnostic::new(
                        &rules::YAML_SYNTAX,
                        Span::new(id, at, at + 1),
                        format!("invalid YAML: {}", e.info()),
                    )
                    .help("fix the YAML syntax at this position (indentation, quotes, `:` after keys)"),
                );
                return None;
            }
        };
        let span = span_of(sspan);
        let finished: Option<Value> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {
                None
            }
            Event::Alias(aid) => {
                match anchors.get(&aid) {
                    Some(v) => {
                        let n = count(v);
                        alias_cost += n;
                        budget.alias_values = budget.alias_values.saturating_add(n);
                        if budget.alias_values > RUN_ALIAS_BUDGET {
                            if std::mem::replace(&mut budget.reported, true) {
                                return None;
                            }
                            diags.push(
                                Diagnostic::new(&rules::BUDGET, span, "YAML aliases of the node files expand to too many values")
                                    .help(format!("aliases may expand to at most {RUN_ALIAS_BUDGET} values over all node files together; write the values out")),
                            );
                            return None;
                        }
                        if alias_cost > ALIAS_BUDGET {
                            diags.push(
                            Diagnostic::new(&rules::YAML_SYNTAX, span, "YAML aliases expand to too many values")
                                .help(format!("aliases may expand to at most {ALIAS_BUDGET} values per file; write the values out")),
                        );
                            return None;
                        }
                        let mut v = v.clone();
                        v.span = span;
                        Some(v)
                    }
                    None => {
                        diags.push(Diagnostic::new(&rules::YAML_SYNTAX, span, "alias to an unknown anchor"));
                        return None;
                    }
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let kind = if style == ScalarStyle::Plain && !forced_str {
                    let k = plain_scalar(&value);
                    if let Some(why) = inexact_number(&value, &k) {
                        diags.push(
                            Diagnostic::new(&rules::INEXACT_NUMBER, span, format!("the number `{value}` {why}"))
                                .label("not exactly representable")
                                .help("write a number that fits (64-bit integer, or at most 17 significant digits), or quote it to make it text"),
                        );
                    }
                    k
                } else {
                    Kind::Str(value.into_owned())
                };
                let v = Value { kind, span };
                if anchor > 0 {
                    anchors.insert(anchor, v.clone());
                }
                Some(v)
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    diags.push(Diagnostic::new(
                        &rules::YAML_SYNTAX,
                        span,
                        format!("YAML nested deeper than {MAX_DEPTH} levels"),
                    ));
                    return None;
                }
                stack.push(Frame::Seq {
                    start: span.start as usize,
                    items: Vec::new(),
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    diags.push(Diagnostic::new(
                        &rules::YAML_SYNTAX,
                        span,
                        format!("YAML nested deeper than {MAX_DEPTH} levels"),
                    ));
                    return None;
                }
                stack.push(Frame::Map {
                    start: span.start as usize,
                    map: Map::default(),
                    keys: HashMap::new(),
                    pending_key: None,
                    anchor,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { start, items, anchor }) => {
                    let v = Value {
                        kind: Kind::Seq(items),
                        span: Span::new(id, start, span.end as usize),
                    };
                    if anchor > 0 {
                        anchors.insert(anchor, v.clone());
                    }
                    Some(v)
                }
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { start, map, anchor, .. }) => {
                    let v = Value {
                        kind: Kind::Map(map),
                        span: Span::new(id, start, span.end as usize),
                    };
                    if anchor > 0 {
                        anchors.insert(anchor, v.clone());
                    }
                    Some(v)
                }
                _ => None,
            },
        };
        if let Some(v) = finished {
            match stack.last_mut() {
                None => docs.push(v),
                Some(Frame::Seq { items, .. }) => items.push(v),
                Some(Frame::Map {
                    map, keys, pending_key, ..
                }) => match pending_key.take() {
                    None => *pending_key = Some(v),
                    Some(k) => {
                        let key = match &k.kind {
                            Kind::Str(s) => s.clone(),
                            Kind::Int(i) => i.to_string(),
                            Kind::Float(f) => f.to_string(),
                            Kind::Bool(b) => b.to_string(),
                            Kind::Null => "null".to_string(),
                            Kind::Seq(_) | Kind::Map(_) => {
                                diags.push(Diagnostic::new(
                                    &rules::WRONG_TYPE,
                                    k.span,
                                    "mapping keys must be plain text",
                                ));
                                continue;
                            }
                        };
                        if let Some((first, _)) = keys.get(&key).and_then(|&i| map.entries.get(i)) {
                            diags.push(
                                Diagnostic::new(&rules::DUPLICATE_KEY, k.span, format!("duplicate key `{key}`"))
                                    .label("this key is already defined above")
                                    .related(first.span, "first defined here")
                                    .help("remove one of the two entries"),
                            );
                        } else {
                            keys.insert(key.clone(), map.entries.len());
                            map.entries.push((Spanned::new(key, k.span), v));
                        }
                    }
                },
            }
        }
    }
    Some(docs)
}

fn count(v: &Value) -> usize {
    match &v.kind {
        Kind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Kind::Map(m) => 1 + m.entries.iter().map(|(_, v)| 1 + count(v)).sum::<usize>(),
        _ => 1,
    }
}

/// Why a plain scalar resolved to a number cannot be written into the STJ as it is written
/// (JSON has no infinity or NaN; the STJ holds 64-bit integers and doubles): `None` when exact.
fn inexact_number(written: &str, kind: &Kind) -> Option<&'static str> {
    let digits = written.strip_prefix(['-', '+']).unwrap_or(written);
    match kind {
        Kind::Float(f) if f.is_nan() => Some("is not a number (NaN), which JSON cannot hold"),
        Kind::Float(f) if f.is_infinite() => Some("is infinite (or too large for a double), which JSON cannot hold"),
        Kind::Float(f) => {
            let (mantissa, _) = digits.split_once(['e', 'E']).unwrap_or((digits, ""));
            let significant: String = mantissa
                .chars()
                .filter(char::is_ascii_digit)
                .skip_while(|&c| c == '0')
                .collect();
            let significant = significant.trim_end_matches('0');
            if *f == 0.0 && !significant.is_empty() {
                Some("is too small for a double and would become 0")
            } else if significant.len() > 17 {
                Some("has more significant digits than a double holds, so it would change")
            } else {
                None
            }
        }
        // Plain digits that did not fit an i64 were read as a double: precision is lost.
        Kind::Str(_) | Kind::Int(_) | Kind::Null | Kind::Bool(_) | Kind::Seq(_) | Kind::Map(_) => None,
    }
    .or_else(|| {
        (matches!(kind, Kind::Float(_)) && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some("is outside the 64-bit integer range")
    })
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn plain_scalar(s: &str) -> Kind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Kind::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Kind::Int(i);
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Kind::Int(i);
        }
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Kind::Int(i);
        }
    }
    let looks_float = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        if let Ok(f) = s.parse::<f64>() {
            return Kind::Float(f);
        }
    }
    Kind::Str(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    fn load(text: &str) -> (SourceMap, Option<Vec<Value>>, Diagnostics) {
        let mut sources = SourceMap::new();
        let id = sources.add("t.yaml", None, text);
        let mut diags = Diagnostics::new();
        let docs = parse(id, sources.file(id), &mut diags);
        (sources, docs, diags)
    }

    #[test]
    fn spans_point_at_values() {
        let (sources, docs, diags) = load("a: 1\nb:\n  - \"x y\"\n  - true\nc: 4.3.0\n");
        assert!(diags.is_empty());
        let docs = docs.unwrap_or_default();
        let map = docs[0].as_map().cloned().unwrap_or_default();
        assert_eq!(map.get("a").map(|v| v.kind.clone()), Some(Kind::Int(1)));
        let b = map
            .get("b")
            .and_then(|v| v.as_seq())
            .map(|s| s.to_vec())
            .unwrap_or_default();
        assert_eq!(sources.text(b[0].span), "\"x y\"");
        assert_eq!(b[1].kind, Kind::Bool(true));
        let c = map.get("c").cloned();
        assert_eq!(c.as_ref().and_then(|v| v.as_str()), Some("4.3.0"));
        assert_eq!(c.map(|v| sources.text(v.span).to_string()).as_deref(), Some("4.3.0"));
    }

    #[test]
    fn syntax_errors_and_duplicates_are_located() {
        let (sources, docs, diags) = load("a: [1, 2\n");
        assert!(docs.is_none());
        assert_eq!(diags.iter().next().map(|d| d.code), Some("SP002"));
        let _ = sources;
        let (sources, _, diags) = load("a: 1\na: 2\n");
        let d = diags.iter().next().cloned();
        assert_eq!(d.as_ref().map(|d| d.code), Some("SP011"));
        assert_eq!(
            d.and_then(|d| d.span)
                .map(|s| sources.file(s.file).line_col(s.start as usize).line),
            Some(2)
        );
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in ['b', 'c', 'd', 'e', 'f', 'g', 'h'] {
            text.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        let (_, docs, diags) = load(&text);
        assert!(docs.is_none());
        assert!(diags.has_errors());
    }

    #[test]
    fn one_tab_is_one_finding_and_the_file_is_still_read() {
        let (sources, docs, diags) = load("items:\n  - id: a\n\tname: A\n  - id: b\n    name: B\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = diags.iter().next().cloned();
        assert_eq!(d.as_ref().map(|d| d.code), Some("SP002"));
        let at = d
            .and_then(|d| d.span)
            .map(|s| sources.file(s.file).line_col(s.start as usize));
        assert_eq!(at.map(|lc| (lc.line, lc.col)), Some((3, 1)));
        let docs = docs.unwrap_or_default();
        let items = docs[0]
            .as_map()
            .and_then(|m| m.get("items"))
            .and_then(|v| v.as_seq())
            .map(<[Value]>::len);
        assert_eq!(items, Some(2));
    }

    #[test]
    fn many_distinct_keys_parse_in_linear_time() {
        let mut text = String::new();
        for i in 0..100_000 {
            text.push_str(&format!("k{i}: {i}\n"));
        }
        text.push_str("k7: dup\n");
        let t = std::time::Instant::now();
        let (_, docs, diags) = load(&text);
        let took = t.elapsed();
        assert_eq!(diags.len(), 1, "the one duplicate");
        assert_eq!(
            docs.map(|d| d[0].as_map().map(|m| m.entries.len())),
            Some(Some(100_000))
        );
        // Quadratic duplicate detection took 27 s here; linear takes well under a second even
        // in a debug build. The bound is loose so that a slow machine does not fail it.
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    }

    #[test]
    fn numbers_that_would_change_are_refused() {
        for bad in [
            "1e999",
            ".nan",
            "-.inf",
            "123456789012345678901234567890",
            "1e-999",
            "0.1000000000000000055511151231257827",
        ] {
            let (_, _, diags) = load(&format!("v: {bad}\n"));
            assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), ["SP018"], "{bad}");
        }
        for ok in [
            "1e3",
            "0.1",
            "-3",
            "9223372036854775807",
            "4.3.0",
            "\"1e999\"",
            "0.0",
            "1.5e-300",
        ] {
            let (_, _, diags) = load(&format!("v: {ok}\n"));
            assert!(diags.is_empty(), "{ok}: {diags:?}");
        }
    }

    #[test]
    fn core_schema() {
        assert_eq!(plain_scalar("0x1F"), Kind::Int(31));
        assert_eq!(plain_scalar("-3"), Kind::Int(-3));
        assert_eq!(plain_scalar("415.1"), Kind::Float(415.1));
        assert_eq!(plain_scalar("1e3"), Kind::Float(1000.0));
        assert_eq!(plain_scalar("4.3.0"), Kind::Str("4.3.0".into()));
        assert_eq!(plain_scalar("yes"), Kind::Str("yes".into()));
        assert_eq!(plain_scalar("~"), Kind::Null);
    }
}
