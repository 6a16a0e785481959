//! The one YAML reader of the tool: YAML text → spanned [`Node`] trees, one per document, that
//! keep local tags (`!include`, `!icon`, `!resource`) and how each scalar was written. The
//! declarative (v1) loader reads them through [`parse`] as plain [`Value`] trees (tags
//! dropped); StackPack 2.0 (`crate::v2::yaml`) uses the nodes as they are. What differs between
//! the two formats — rule codes, help texts, nesting limit, whether a tag makes a scalar text,
//! how a file that does not parse is recovered — is a [`Dialect`].
//!
//! Scalars are typed with the YAML 1.2 core schema (plain `true`, `12`, `1.5`, `~`/`null`,
//! `0x1F`, `.inf`); quoted scalars are always strings. Aliases are expanded with a budget so
//! that a "billion laughs" document is an error rather than an out-of-memory. Duplicate keys are
//! found through a per-mapping index, and spans are converted through the file's line tables
//! (`SourceFile::offset_of`, bounded work per event on non-ASCII text), so reading is linear.

use super::tree::{Kind, Map, Value};
use crate::diag::{Diagnostic, Diagnostics, Rule};
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

/// What a file that does not parse is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// A tab in the indentation is reported once and the file read as if it were spaces.
    Tabs,
    /// The file is re-read with the lenient libyaml-based parser (`serde_yaml`, what the
    /// SUSE Observability server accepts); the error becomes a warning and every value points
    /// at the file's first line.
    Lenient,
}

/// How one source format reads YAML.
#[derive(Debug)]
pub struct Dialect {
    pub syntax: &'static Rule,
    pub duplicate_key: &'static Rule,
    /// A mapping key that is a list or a mapping.
    pub wrong_type: &'static Rule,
    /// The run-wide alias budget ([`RUN_ALIAS_BUDGET`]), when the format has one.
    pub run_budget: Option<&'static Rule>,
    /// Plain numbers the STJ cannot hold as written, when the format checks them.
    pub inexact_number: Option<&'static Rule>,
    /// Deepest nesting accepted (protects the recursive consumers of the tree).
    pub max_depth: usize,
    /// Whether a scalar with a local tag is text whatever it looks like (`!icon 12` → "12").
    pub tagged_scalars_are_text: bool,
    /// Whether a scalar's span is its own text (without its tag and trailing comment), rather
    /// than the parser's span.
    pub narrow_scalar_spans: bool,
    pub alias_help: &'static str,
    pub duplicate_help: &'static str,
    pub recovery: Recovery,
}

/// The declarative format's YAML (node files, changelog, tests).
pub const V1: Dialect = Dialect {
    syntax: &rules::YAML_SYNTAX,
    duplicate_key: &rules::DUPLICATE_KEY,
    wrong_type: &rules::WRONG_TYPE,
    run_budget: Some(&rules::BUDGET),
    inexact_number: Some(&rules::INEXACT_NUMBER),
    max_depth: 256,
    tagged_scalars_are_text: false,
    narrow_scalar_spans: false,
    // `ALIAS_BUDGET` written out (a unit test keeps them equal).
    alias_help: "aliases may expand to at most 100000 values per file; write the values out",
    duplicate_help: "remove one of the two entries",
    recovery: Recovery::Tabs,
};

/// A loaded YAML value.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    /// A local tag such as `!include` (the `!` included); core tags (`!!str`) are not kept.
    pub tag: Option<String>,
    /// The scalar was written quoted (or as a block scalar).
    pub quoted: bool,
    /// The scalar is a block scalar (`|` or `>`).
    pub block: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Spanned<String>, Node)>),
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[(Spanned<String>, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
    }
    /// Follow a `.`-separated path of mapping keys.
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |n, k| n.get(k))
    }
    pub fn str_at(&self, path: &str) -> Option<&str> {
        self.at(path).and_then(Node::as_str)
    }
    /// The items of a list at `path` (empty when missing or not a list).
    pub fn seq_at(&self, path: &str) -> &[Node] {
        self.at(path).and_then(Node::as_seq).unwrap_or(&[])
    }
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
    /// Plain JSON of the value (tags kept as `{"!tag": value}`), for diffs and inspection.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        let v = match &self.kind {
            NodeKind::Null => J::Null,
            NodeKind::Bool(b) => J::Bool(*b),
            NodeKind::Int(i) => J::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            NodeKind::Str(s) => J::String(s.clone()),
            NodeKind::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(m) => J::Object(m.iter().map(|(k, v)| (k.value.clone(), v.to_json())).collect()),
        };
        match &self.tag {
            Some(t) => {
                let mut o = serde_json::Map::new();
                o.insert(t.clone(), v);
                J::Object(o)
            }
            None => v,
        }
    }
    /// Every node of the tree, depth first (this one included).
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        f(self);
        match &self.kind {
            NodeKind::Seq(items) => items.iter().for_each(|i| i.walk(f)),
            NodeKind::Map(m) => m.iter().for_each(|(_, v)| v.walk(f)),
            _ => {}
        }
    }
}

impl Node {
    /// The declarative tree of this value: tags and scalar styles dropped.
    pub fn into_value(self) -> Value {
        let kind = match self.kind {
            NodeKind::Null => Kind::Null,
            NodeKind::Bool(b) => Kind::Bool(b),
            NodeKind::Int(i) => Kind::Int(i),
            NodeKind::Float(f) => Kind::Float(f),
            NodeKind::Str(s) => Kind::Str(s),
            NodeKind::Seq(items) => Kind::Seq(items.into_iter().map(Node::into_value).collect()),
            NodeKind::Map(entries) => Kind::Map(Map {
                entries: entries.into_iter().map(|(k, v)| (k, v.into_value())).collect(),
            }),
        };
        Value { kind, span: self.span }
    }
}

enum Frame {
    Seq {
        start: usize,
        items: Vec<Node>,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        start: usize,
        entries: Vec<(Spanned<String>, Node)>,
        /// Keys of `entries` → their index (duplicate detection in constant time per key).
        keys: HashMap<String, usize>,
        pending_key: Option<Node>,
        anchor: usize,
        tag: Option<String>,
    },
}

fn local_tag(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
    let t = tag?;
    if t.handle == "!" {
        Some(format!("!{}", t.suffix))
    } else if t.handle.is_empty() && t.suffix.starts_with('!') && !t.suffix.starts_with("!!") {
        Some(t.suffix.clone())
    } else {
        None
    }
}

/// Parse `file` (registered as `id`) as declarative YAML. On a syntax error the error is
/// reported and `None` is returned; duplicate keys are reported and the later value is dropped.
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
    let docs = parse_nodes(id, file, &V1, budget, diags)?;
    Some(docs.into_iter().map(Node::into_value).collect())
}

/// Parse every document of `file` in `dialect`, keeping tags. `None` after a syntax error
/// that the dialect's [`Recovery`] could not read past.
pub fn parse_nodes(
    id: FileId,
    file: &SourceFile,
    dialect: &Dialect,
    budget: &mut RunBudget,
    diags: &mut Diagnostics,
) -> Option<Vec<Node>> {
    let mut first = Diagnostics::new();
    let error_at = match parse_text(id, file, &file.text, &|_, c| c, dialect, budget, &mut first) {
        Ok(docs) => {
            diags.extend(first);
            return Some(docs);
        }
        Err(at) => at,
    };
    match dialect.recovery {
        Recovery::Lenient => {
            if let Some((at, info)) = error_at {
                if let Some(docs) = lenient(&file.text, Span::file_start(id), dialect.max_depth) {
                    diags.push(
                        Diagnostic::new(
                            dialect.syntax,
                            Span::new(id, at, at + 1),
                            format!("YAML 1.2 parsers reject this file ({info}); lenient ones, like the server's, accept it"),
                        )
                        .severity(crate::diag::Severity::Warning)
                        .help("fix the YAML here (often: indent the continuation lines of a quoted value deeper than its key); until then findings in this file point at its first line"),
                    );
                    return Some(docs);
                }
            }
            diags.extend(first);
            None
        }
        Recovery::Tabs => {
            // A tab used for indentation is the most common YAML mistake, and dropping the
            // whole file makes every reference to its nodes fail too (a cascade of findings
            // with wrong "did you mean" suggestions). Report the tab once, where it is, and
            // read the file as if each leading tab were the indentation that makes it parse
            // (spans still point into the real text), so the rest of the pack is checked.
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
                    if let Ok(docs) = parse_text(id, file, &repaired, &colmap, dialect, &mut b2, &mut scratch) {
                        *budget = b2;
                        diags.push(tab_finding(dialect, id, file, line, tab_at));
                        diags.extend(scratch);
                        return Some(docs);
                    }
                }
                diags.push(tab_finding(dialect, id, file, line, tab_at));
                return None;
            }
            diags.extend(first);
            None
        }
    }
}

fn tab_finding(dialect: &Dialect, id: FileId, file: &SourceFile, line: usize, col: usize) -> Diagnostic {
    let at = file.offset_of(line, col);
    Diagnostic::new(
        dialect.syntax,
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
/// into `file` through `colmap(line, column)`. `Err` after a syntax error (reported in
/// `diags`), with its offset and the parser's words when it was the parser's.
#[allow(clippy::too_many_arguments)]
fn parse_text(
    id: FileId,
    file: &SourceFile,
    text: &str,
    colmap: &dyn Fn(usize, usize) -> usize,
    dialect: &Dialect,
    budget: &mut RunBudget,
    diags: &mut Diagnostics,
) -> Result<Vec<Node>, Option<(usize, String)>> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_cost = 0usize;
    let span_of = |s: saphyr_parser::Span| -> Span {
        let a = file.offset_of(s.start.line(), colmap(s.start.line(), s.start.col()));
        let b = file.offset_of(s.end.line(), colmap(s.end.line(), s.end.col()));
        Span::new(id, a, b.max(a))
    };
    let node = |kind: NodeKind, span: Span, tag: Option<String>| Node {
        kind,
        span,
        tag,
        quoted: false,
        block: false,
    };

    for item in Parser::new_from_str(text) {
        let (event, sspan) = match item {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                let at = file.offset_of(m.line(), colmap(m.line(), m.col()));
                diags.push(
                    Diagnostic::new(
                        dialect.syntax,
                        Span::new(id, at, at + 1),
                        format!("invalid YAML: {}", e.info()),
                    )
                    .help("fix the YAML syntax at this position (indentation, quotes, `:` after keys)"),
                );
                return Err(Some((at, e.info().to_string())));
            }
        };
        let span = span_of(sspan);
        let finished: Option<Node> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {
                None
            }
            Event::Alias(aid) => match anchors.get(&aid) {
                Some(v) => {
                    let n = count(v);
                    alias_cost += n;
                    budget.alias_values = budget.alias_values.saturating_add(n);
                    if let Some(rule) = dialect.run_budget.filter(|_| budget.alias_values > RUN_ALIAS_BUDGET) {
                        if std::mem::replace(&mut budget.reported, true) {
                            return Err(None);
                        }
                        diags.push(
                            Diagnostic::new(rule, span, "YAML aliases of the node files expand to too many values")
                                .help(format!("aliases may expand to at most {RUN_ALIAS_BUDGET} values over all node files together; write the values out")),
                        );
                        return Err(None);
                    }
                    if alias_cost > ALIAS_BUDGET {
                        diags.push(
                            Diagnostic::new(dialect.syntax, span, "YAML aliases expand to too many values")
                                .help(dialect.alias_help),
                        );
                        return Err(None);
                    }
                    let mut v = v.clone();
                    v.span = span;
                    Some(v)
                }
                None => {
                    diags.push(Diagnostic::new(dialect.syntax, span, "alias to an unknown anchor"));
                    return Err(None);
                }
            },
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let tag = local_tag(tag.as_deref());
                let quoted = style != ScalarStyle::Plain;
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let text_kind = quoted || forced_str || (dialect.tagged_scalars_are_text && tag.is_some());
                let span = if dialect.narrow_scalar_spans {
                    scalar_span(&file.text, span, style)
                } else {
                    span
                };
                let kind = if text_kind {
                    NodeKind::Str(value.into_owned())
                } else {
                    let k = plain_scalar(&value);
                    if let Some(rule) = dialect.inexact_number {
                        if let Some(why) = inexact_number(&value, &k) {
                            diags.push(
                                Diagnostic::new(rule, span, format!("the number `{value}` {why}"))
                                    .label("not exactly representable")
                                    .help("write a number that fits (64-bit integer, or at most 17 significant digits), or quote it to make it text"),
                            );
                        }
                    }
                    k
                };
                let n = Node {
                    kind,
                    span,
                    tag,
                    quoted,
                    block,
                };
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                Some(n)
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= dialect.max_depth => {
                diags.push(Diagnostic::new(
                    dialect.syntax,
                    span,
                    format!("YAML nested deeper than {} levels", dialect.max_depth),
                ));
                return Err(None);
            }
            Event::SequenceStart(anchor, tag) => {
                stack.push(Frame::Seq {
                    start: span.start as usize,
                    items: Vec::new(),
                    anchor,
                    tag: local_tag(tag.as_deref()),
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                stack.push(Frame::Map {
                    start: span.start as usize,
                    entries: Vec::new(),
                    keys: HashMap::new(),
                    pending_key: None,
                    anchor,
                    tag: local_tag(tag.as_deref()),
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    start,
                    items,
                    anchor,
                    tag,
                }) => {
                    let v = node(NodeKind::Seq(items), Span::new(id, start, span.end as usize), tag);
                    if anchor > 0 {
                        anchors.insert(anchor, v.clone());
                    }
                    Some(v)
                }
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    start,
                    entries,
                    anchor,
                    tag,
                    ..
                }) => {
                    let v = node(NodeKind::Map(entries), Span::new(id, start, span.end as usize), tag);
                    if anchor > 0 {
                        anchors.insert(anchor, v.clone());
                    }
                    Some(v)
                }
                _ => None,
            },
        };
        let Some(v) = finished else { continue };
        match stack.last_mut() {
            None => docs.push(v),
            Some(Frame::Seq { items, .. }) => items.push(v),
            Some(Frame::Map {
                entries,
                keys,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(v),
                Some(k) => {
                    let key = match &k.kind {
                        NodeKind::Str(s) => s.clone(),
                        NodeKind::Int(i) => i.to_string(),
                        NodeKind::Float(f) => f.to_string(),
                        NodeKind::Bool(b) => b.to_string(),
                        NodeKind::Null => "null".to_string(),
                        NodeKind::Seq(_) | NodeKind::Map(_) => {
                            diags.push(Diagnostic::new(
                                dialect.wrong_type,
                                k.span,
                                "mapping keys must be plain text",
                            ));
                            continue;
                        }
                    };
                    if let Some((first, _)) = keys.get(&key).and_then(|&i| entries.get(i)) {
                        diags.push(
                            Diagnostic::new(dialect.duplicate_key, k.span, format!("duplicate key `{key}`"))
                                .label("this key is already defined above")
                                .related(first.span, "first defined here")
                                .help(dialect.duplicate_help),
                        );
                    } else {
                        keys.insert(key.clone(), entries.len());
                        entries.push((Spanned::new(key, k.span), v));
                    }
                }
            },
        }
    }
    Ok(docs)
}

/// Values an alias of `v` expands into (keys counted).
fn count(v: &Node) -> usize {
    match &v.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        NodeKind::Map(m) => 1 + m.iter().map(|(_, v)| 1 + count(v)).sum::<usize>(),
        _ => 1,
    }
}

/// The span of a scalar's own text: without its tag, and for flow scalars without the trailing
/// comment or whitespace the parser's span may run into.
fn scalar_span(text: &str, span: Span, style: ScalarStyle) -> Span {
    let (a, b) = (span.start as usize, span.end as usize);
    let Some(s) = text.get(a..b) else { return span };
    let mut from = 0;
    if s.starts_with('!') {
        let tag_end = s.find(char::is_whitespace).unwrap_or(s.len());
        from = tag_end + s[tag_end..].len() - s[tag_end..].trim_start().len();
    }
    let rest = &s[from..];
    let len = match style {
        ScalarStyle::DoubleQuoted if rest.starts_with('"') => {
            let mut esc = false;
            rest.char_indices()
                .skip(1)
                .find(|&(_, c)| {
                    let end = c == '"' && !esc;
                    esc = c == '\\' && !esc;
                    end
                })
                .map(|(i, _)| i + 1)
                .unwrap_or(rest.len())
        }
        ScalarStyle::SingleQuoted if rest.starts_with('\'') => {
            let b = rest.as_bytes();
            let mut i = 1;
            loop {
                match b.get(i) {
                    None => break rest.len(),
                    Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => break i + 1,
                    _ => i += 1,
                }
            }
        }
        ScalarStyle::Plain => {
            let cut = rest.find(" #").or_else(|| rest.find("\t#")).unwrap_or(rest.len());
            rest[..cut].trim_end().len()
        }
        _ => rest.len(),
    };
    Span::new(span.file, a + from, a + from + len)
}

/// Parse with the lenient libyaml-based reader (`serde_yaml`), which accepts what the server's
/// parser accepts, such as under-indented continuation lines of quoted scalars. Every value gets
/// `span` (there are no positions).
fn lenient(text: &str, span: Span, max_depth: usize) -> Option<Vec<Node>> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = serde_yaml::Value::deserialize(doc).ok()?;
        docs.push(from_serde(v, span, 0, max_depth)?);
    }
    Some(docs)
}

fn from_serde(v: serde_yaml::Value, span: Span, depth: usize, max_depth: usize) -> Option<Node> {
    use serde_yaml::Value as V;
    if depth > max_depth {
        return None;
    }
    let node = |kind| Node {
        kind,
        span,
        tag: None,
        quoted: false,
        block: false,
    };
    Some(match v {
        V::Null => node(NodeKind::Null),
        V::Bool(b) => node(NodeKind::Bool(b)),
        V::Number(n) => match n.as_i64() {
            Some(i) => node(NodeKind::Int(i)),
            None => node(NodeKind::Float(n.as_f64().unwrap_or(f64::NAN))),
        },
        V::String(s) => node(NodeKind::Str(s)),
        V::Sequence(items) => node(NodeKind::Seq(
            items
                .into_iter()
                .map(|i| from_serde(i, span, depth + 1, max_depth))
                .collect::<Option<Vec<_>>>()?,
        )),
        V::Mapping(m) => {
            let mut entries = Vec::new();
            for (k, v) in m {
                let key = match k {
                    V::String(s) => s,
                    V::Number(n) => n.to_string(),
                    V::Bool(b) => b.to_string(),
                    _ => return None,
                };
                entries.push((Spanned::new(key, span), from_serde(v, span, depth + 1, max_depth)?));
            }
            node(NodeKind::Map(entries))
        }
        V::Tagged(t) => {
            let tag = t.tag.to_string();
            let mut n = from_serde(t.value, span, depth + 1, max_depth)?;
            if let NodeKind::Int(i) = n.kind {
                n.kind = NodeKind::Str(i.to_string());
            }
            n.tag = Some(if tag.starts_with('!') { tag } else { format!("!{tag}") });
            n
        }
    })
}

/// Why a plain scalar resolved to a number cannot be written into the STJ as it is written
/// (JSON has no infinity or NaN; the STJ holds 64-bit integers and doubles): `None` when exact.
fn inexact_number(written: &str, kind: &NodeKind) -> Option<&'static str> {
    let digits = written.strip_prefix(['-', '+']).unwrap_or(written);
    match kind {
        NodeKind::Float(f) if f.is_nan() => Some("is not a number (NaN), which JSON cannot hold"),
        NodeKind::Float(f) if f.is_infinite() => {
            Some("is infinite (or too large for a double), which JSON cannot hold")
        }
        NodeKind::Float(f) => {
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
        NodeKind::Str(_)
        | NodeKind::Int(_)
        | NodeKind::Null
        | NodeKind::Bool(_)
        | NodeKind::Seq(_)
        | NodeKind::Map(_) => None,
    }
    .or_else(|| {
        (matches!(kind, NodeKind::Float(_)) && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some("is outside the 64-bit integer range")
    })
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn plain_scalar(s: &str) -> NodeKind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return NodeKind::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeKind::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return NodeKind::Int(i);
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return NodeKind::Int(i);
        }
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return NodeKind::Int(i);
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
            return NodeKind::Float(f);
        }
    }
    NodeKind::Str(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tree::Kind;
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
        assert_eq!(plain_scalar("0x1F"), NodeKind::Int(31));
        assert_eq!(plain_scalar("-3"), NodeKind::Int(-3));
        assert_eq!(plain_scalar("415.1"), NodeKind::Float(415.1));
        assert_eq!(plain_scalar("1e3"), NodeKind::Float(1000.0));
        assert_eq!(plain_scalar("4.3.0"), NodeKind::Str("4.3.0".into()));
        assert_eq!(plain_scalar("yes"), NodeKind::Str("yes".into()));
        assert_eq!(plain_scalar("~"), NodeKind::Null);
    }

    #[test]
    fn the_v1_alias_help_names_the_budget() {
        assert!(V1.alias_help.contains(&ALIAS_BUDGET.to_string()), "{}", V1.alias_help);
    }

    #[test]
    fn tags_are_kept_in_nodes_and_dropped_for_v1() {
        let mut sources = SourceMap::new();
        let id = sources.add("t.yaml", None, "a: !icon 12\nb: !!str 3\n");
        let mut diags = Diagnostics::new();
        let nodes = parse_nodes(id, sources.file(id), &V1, &mut RunBudget::default(), &mut diags).unwrap_or_default();
        let a = nodes[0].get("a").cloned();
        assert_eq!(a.as_ref().and_then(|n| n.tag.clone()).as_deref(), Some("!icon"));
        // v1 types a tagged plain scalar by its text, as before the readers were merged.
        assert_eq!(a.map(|n| n.kind), Some(NodeKind::Int(12)));
        let values = parse(id, sources.file(id), &mut diags).unwrap_or_default();
        let b = values[0].as_map().and_then(|m| m.get("b")).map(|v| v.kind.clone());
        assert_eq!(b, Some(Kind::Str("3".into())));
    }
}
