//! YAML for 2.0 packs: spanned values that keep their tags (`!include`, `!icon`, `!resource`)
//! and whether a scalar was quoted, one value per document.
//!
//! The declarative loader (`crate::load::yaml`) drops tags, which 2.0 files depend on, so this
//! is a separate small event consumer over the same parser (`saphyr-parser`). Aliases are
//! expanded with a budget, nesting is bounded, duplicate keys are reported (SP2012).

use super::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceFile, Span, Spanned};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

const ALIAS_BUDGET: usize = 100_000;
const MAX_DEPTH: usize = 200;

/// A loaded YAML value.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
    /// A local tag such as `!include` (the `!` included); core tags (`!!str`) are not kept.
    pub tag: Option<String>,
    /// The scalar was written quoted (or as a block scalar).
    pub quoted: bool,
    /// The scalar is a block scalar (`|` or `>`).
    pub block: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
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
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[(Spanned<String>, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
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
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
    /// Plain JSON of the value (tags kept as `{"!tag": value}`), for diffs and inspection.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        let v = match &self.kind {
            Kind::Null => J::Null,
            Kind::Bool(b) => J::Bool(*b),
            Kind::Int(i) => J::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            Kind::Str(s) => J::String(s.clone()),
            Kind::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(m) => J::Object(m.iter().map(|(k, v)| (k.value.clone(), v.to_json())).collect()),
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
            Kind::Seq(items) => items.iter().for_each(|i| i.walk(f)),
            Kind::Map(m) => m.iter().for_each(|(_, v)| v.walk(f)),
            _ => {}
        }
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
        key: Option<Node>,
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

/// Parse every document of `file`. `None` after a syntax error (reported as SP2001).
pub fn parse(id: FileId, file: &SourceFile, diags: &mut Diagnostics) -> Option<Vec<Node>> {
    let text: &str = &file.text;
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_cost = 0usize;
    let span_of = |s: saphyr_parser::Span| -> Span {
        let a = file.offset_of(s.start.line(), s.start.col());
        let b = file.offset_of(s.end.line(), s.end.col());
        Span::new(id, a, b.max(a))
    };
    for item in Parser::new_from_str(text) {
        let (event, sspan) = match item {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                let at = file.offset_of(m.line(), m.col());
                if let Some(docs) = lenient(text, Span::file_start(id)) {
                    diags.push(
                        Diagnostic::new(
                            &rules::YAML_SYNTAX,
                            Span::new(id, at, at + 1),
                            format!("YAML 1.2 parsers reject this file ({}); lenient ones, like the server's, accept it", e.info()),
                        )
                        .severity(crate::diag::Severity::Warning)
                        .help("fix the YAML here (often: indent the continuation lines of a quoted value deeper than its key); until then findings in this file point at its first line"),
                    );
                    return Some(docs);
                }
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
        let finished = match event {
            Event::Alias(aid) => match anchors.get(&aid) {
                Some(v) => {
                    let mut n = 0;
                    v.walk(&mut |_| n += 1);
                    alias_cost += n;
                    if alias_cost > ALIAS_BUDGET {
                        diags.push(
                            Diagnostic::new(&rules::YAML_SYNTAX, span, "YAML aliases expand to too many values")
                                .help("write the values out instead of repeating aliases"),
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
            },
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let tag = local_tag(tag.as_deref());
                let quoted = style != ScalarStyle::Plain;
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let span = scalar_span(text, span, style);
                let kind = if quoted || forced_str || tag.is_some() {
                    Kind::Str(value.into_owned())
                } else {
                    plain_scalar(&value)
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
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) if stack.len() >= MAX_DEPTH => {
                let _ = (anchor, tag);
                diags.push(Diagnostic::new(
                    &rules::YAML_SYNTAX,
                    span,
                    format!("YAML nested deeper than {MAX_DEPTH} levels"),
                ));
                return None;
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
                    key: None,
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
                    let n = Node {
                        kind: Kind::Seq(items),
                        span: Span::new(id, start, span.end as usize),
                        tag,
                        quoted: false,
                        block: false,
                    };
                    if anchor > 0 {
                        anchors.insert(anchor, n.clone());
                    }
                    Some(n)
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
                    let n = Node {
                        kind: Kind::Map(entries),
                        span: Span::new(id, start, span.end as usize),
                        tag,
                        quoted: false,
                        block: false,
                    };
                    if anchor > 0 {
                        anchors.insert(anchor, n.clone());
                    }
                    Some(n)
                }
                _ => None,
            },
            _ => None,
        };
        let Some(v) = finished else { continue };
        match stack.last_mut() {
            None => docs.push(v),
            Some(Frame::Seq { items, .. }) => items.push(v),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(v),
                Some(k) => {
                    let name = match &k.kind {
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
                    if let Some((first, _)) = entries.iter().find(|(e, _)| e.value == name) {
                        diags.push(
                            Diagnostic::new(&rules::DUPLICATE_KEY, k.span, format!("duplicate key `{name}`"))
                                .label("this key is already defined above")
                                .related(first.span, "first defined here")
                                .help("remove one of the two entries: YAML readers keep only one of them"),
                        );
                    } else {
                        entries.push((Spanned::new(name, k.span), v));
                    }
                }
            },
        }
    }
    Some(docs)
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
fn lenient(text: &str, span: Span) -> Option<Vec<Node>> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = serde_yaml::Value::deserialize(doc).ok()?;
        docs.push(from_serde(v, span, 0)?);
    }
    Some(docs)
}

fn from_serde(v: serde_yaml::Value, span: Span, depth: usize) -> Option<Node> {
    use serde_yaml::Value as V;
    if depth > MAX_DEPTH {
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
        V::Null => node(Kind::Null),
        V::Bool(b) => node(Kind::Bool(b)),
        V::Number(n) => match n.as_i64() {
            Some(i) => node(Kind::Int(i)),
            None => node(Kind::Float(n.as_f64().unwrap_or(f64::NAN))),
        },
        V::String(s) => node(Kind::Str(s)),
        V::Sequence(items) => node(Kind::Seq(
            items
                .into_iter()
                .map(|i| from_serde(i, span, depth + 1))
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
                entries.push((Spanned::new(key, span), from_serde(v, span, depth + 1)?));
            }
            node(Kind::Map(entries))
        }
        V::Tagged(t) => {
            let tag = t.tag.to_string();
            let mut n = from_serde(t.value, span, depth + 1)?;
            if let Kind::Int(i) = n.kind {
                n.kind = Kind::Str(i.to_string());
            }
            n.tag = Some(if tag.starts_with('!') { tag } else { format!("!{tag}") });
            n
        }
    })
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn plain_scalar(s: &str) -> Kind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        _ => {}
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

    fn load(text: &str) -> (SourceMap, Option<Vec<Node>>, Diagnostics) {
        let mut sources = SourceMap::new();
        let id = sources.add("t.yaml", None, text);
        let mut diags = Diagnostics::new();
        let docs = parse(id, sources.file(id), &mut diags);
        (sources, docs, diags)
    }

    #[test]
    fn tags_quotes_and_documents_are_kept() {
        let (sources, docs, diags) = load("a: !include x/y.md.hbs\nb: \"1.0.0\"\nc: 1.10\n---\nd: [1]\n");
        assert!(diags.is_empty());
        let docs = docs.unwrap_or_default();
        assert_eq!(docs.len(), 2);
        let a = docs[0].get("a").cloned();
        assert_eq!(a.as_ref().and_then(|n| n.tag.clone()).as_deref(), Some("!include"));
        assert_eq!(a.as_ref().and_then(|n| n.as_str()), Some("x/y.md.hbs"));
        assert_eq!(
            a.map(|n| sources.text(n.span).to_string()).as_deref(),
            Some("x/y.md.hbs")
        );
        let b = docs[0].get("b").cloned();
        assert!(b.as_ref().is_some_and(|n| n.quoted));
        assert_eq!(b.and_then(|n| n.as_str().map(String::from)).as_deref(), Some("1.0.0"));
        assert_eq!(docs[0].get("c").map(|n| n.kind.clone()), Some(Kind::Float(1.1)));
    }

    #[test]
    fn errors_and_duplicates() {
        let (_, docs, diags) = load("a: [1, 2\n");
        assert!(docs.is_none());
        assert_eq!(diags.iter().next().map(|d| d.code), Some("SP2001"));
        let (_, _, diags) = load("a: 1\na: 2\n");
        assert_eq!(diags.iter().next().map(|d| d.code), Some("SP2012"));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in ['b', 'c', 'd', 'e', 'f', 'g', 'h'] {
            text.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        let (_, docs, diags) = load(&text);
        assert!(docs.is_none() && diags.has_errors());
    }
}
