//! A small span-preserving HOCON parser for `stackpack.conf`.
//!
//! No maintained Rust HOCON crate reports positions (the `hocon` crate, 0.9, gives values only),
//! so this parser covers what StackPack confs use and loads it into [`tree::Value`] so the
//! model's [`crate::load::tree::Fields`] can read it:
//! `=`/`:` separators, `key { … }`, `#` and `//` comments, quoted strings with JSON escapes,
//! `"""` strings, unquoted strings (with inner spaces, `displayName = Splunk Topology`),
//! `true/false/yes/no/on/off`, `null`, numbers, arrays and objects whose elements are separated
//! by commas or newlines (trailing commas allowed), dotted keys (`a.b = 1`), `+=`, and duplicate
//! keys (the later one wins; two objects are merged). Substitutions (`${…}`) and `include` are
//! not supported and reported as errors.

use crate::load::tree::{Kind, Map, Value};
use crate::source::{FileId, Span, Spanned};

/// A syntax error: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct HoconError {
    pub span: Span,
    pub message: String,
}

/// Parse a whole conf file. The root is an object, with or without surrounding braces.
pub fn parse(file: FileId, text: &str) -> Result<Value, HoconError> {
    let mut p = Parser {
        file,
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    p.skip_ws_nl();
    let value = if p.peek() == Some(b'{') {
        let v = p.object()?.into_value();
        p.skip_ws_nl();
        if p.pos < p.src.len() {
            return Err(p.err(
                p.pos,
                p.pos + 1,
                "unexpected text after the closing `}` of the root object",
            ));
        }
        v
    } else {
        let start = p.pos;
        let map = p.members(None)?;
        Value {
            kind: Kind::Map(map.into_map()),
            span: Span::new(file, start.min(text.len()), text.len()),
        }
    };
    Ok(value)
}

const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    file: FileId,
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, start: usize, end: usize, msg: impl Into<String>) -> HoconError {
        let end = end.min(self.src.len());
        HoconError {
            span: Span::new(self.file, start.min(end), end),
            message: msg.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn at_comment(&self) -> bool {
        match self.peek() {
            Some(b'#') => true,
            Some(b'/') => self.src.get(self.pos + 1) == Some(&b'/'),
            _ => false,
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Spaces, tabs and comments, not newlines.
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                _ if self.at_comment() => self.skip_comment(),
                _ => {
                    // Unicode whitespace (NBSP, BOM inside the file) counts as space in HOCON.
                    if let Some(c) = self.text.get(self.pos..).and_then(|s| s.chars().next()) {
                        if c != '\n' && c.is_whitespace() || c == '\u{feff}' {
                            self.pos += c.len_utf8();
                            continue;
                        }
                    }
                    return;
                }
            }
        }
    }

    /// Whitespace, comments and newlines. Returns whether a newline was crossed.
    fn skip_ws_nl(&mut self) -> bool {
        let mut nl = false;
        loop {
            self.skip_ws();
            if self.peek() == Some(b'\n') {
                nl = true;
                self.pos += 1;
            } else {
                return nl;
            }
        }
    }

    /// Object members until `close` (or end of input for the root).
    fn members(&mut self, close: Option<u8>) -> Result<BMap, HoconError> {
        let mut map = BMap::default();
        loop {
            self.skip_ws_nl();
            match (self.peek(), close) {
                (None, None) => return Ok(map),
                (None, Some(c)) => {
                    return Err(self.err(self.pos, self.pos, format!("missing closing `{}`", c as char)));
                }
                (Some(c), Some(cl)) if c == cl => return Ok(map),
                (Some(b'}' | b']'), _) => {
                    return Err(self.err(self.pos, self.pos + 1, "unexpected closing bracket"));
                }
                (Some(b','), _) => {
                    return Err(self.err(self.pos, self.pos + 1, "unexpected `,`: a key was expected"));
                }
                _ => {}
            }
            if self.src[self.pos..].starts_with(b"include ") {
                return Err(self.err(self.pos, self.pos + 7, "`include` is not supported in stackpack.conf"));
            }
            let key_start = self.pos;
            let path = self.key_path()?;
            if path.len() + self.depth > MAX_DEPTH {
                return Err(self.err(
                    key_start,
                    self.pos,
                    format!(
                        "key `{}…` has {} segments: objects are nested more than {MAX_DEPTH} deep",
                        path.first().map_or("", |k| k.value.as_str()),
                        path.len()
                    ),
                ));
            }
            self.skip_ws();
            let append;
            match self.peek() {
                Some(b'=' | b':') => {
                    append = false;
                    self.pos += 1;
                }
                Some(b'+') if self.src.get(self.pos + 1) == Some(&b'=') => {
                    append = true;
                    self.pos += 2;
                }
                Some(b'{') => append = false,
                _ => {
                    let end = self.pos + self.text[self.pos..].chars().next().map_or(0, char::len_utf8);
                    return Err(self.err(
                        self.pos,
                        end,
                        format!("expected `=`, `:` or `{{` after key `{}`", join_path(&path)),
                    ));
                }
            }
            self.skip_ws_nl();
            let value = self.value()?;
            insert(&mut map, &path, value, append);
            // Separator: a comma, a newline, or the closing bracket.
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'\n') | None => {}
                Some(c) if Some(c) == close => {}
                Some(_) => {
                    return Err(self.err(self.pos, self.pos + 1, "expected a newline or `,` between fields"));
                }
            }
        }
    }

    /// `a`, `a.b.c`, `"quoted key"`, `"a".b`.
    fn key_path(&mut self) -> Result<Vec<Spanned<String>>, HoconError> {
        let mut parts = Vec::new();
        loop {
            let start = self.pos;
            let key = if self.peek() == Some(b'"') {
                self.quoted()?
            } else {
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-') || c >= 0x80 {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if self.pos == start {
                    let end = start + self.text[start..].chars().next().map_or(0, char::len_utf8);
                    return Err(self.err(start, end, "expected a key"));
                }
                self.text[start..self.pos].to_string()
            };
            parts.push(Spanned::new(key, Span::new(self.file, start, self.pos)));
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                return Ok(parts);
            }
        }
    }

    fn value(&mut self) -> Result<B, HoconError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(self.pos, self.pos + 1, "values are nested too deeply"));
        }
        let r = match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array().map(B::Val),
            None => Err(self.err(self.pos, self.pos, "a value was expected at the end of the file")),
            _ => self.simple().map(B::Val),
        };
        self.depth -= 1;
        r
    }

    fn object(&mut self) -> Result<B, HoconError> {
        let start = self.pos;
        self.pos += 1;
        let map = self.members(Some(b'}'))?;
        self.pos += 1;
        Ok(B::Obj {
            map,
            span: Span::new(self.file, start, self.pos),
        })
    }

    fn array(&mut self) -> Result<Value, HoconError> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws_nl();
            match self.peek() {
                None => return Err(self.err(start, start + 1, "this `[` is never closed")),
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value {
                        kind: Kind::Seq(items),
                        span: Span::new(self.file, start, self.pos),
                    });
                }
                Some(b',') => return Err(self.err(self.pos, self.pos + 1, "unexpected `,`: a value was expected")),
                _ => {}
            }
            items.push(self.value()?.into_value());
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'\n' | b']') => {}
                None => return Err(self.err(start, start + 1, "this `[` is never closed")),
                Some(_) => {
                    return Err(self.err(
                        self.pos,
                        self.pos + 1,
                        "expected `,`, a newline or `]` after an element",
                    ));
                }
            }
        }
    }

    /// A quoted string; `self.pos` is at the opening quote.
    fn quoted(&mut self) -> Result<String, HoconError> {
        let start = self.pos;
        if self.src[self.pos..].starts_with(b"\"\"\"") {
            let body_start = self.pos + 3;
            let Some(rel) = self.text[body_start..].find("\"\"\"") else {
                return Err(self.err(start, start + 3, "this `\"\"\"` string is never closed"));
            };
            let mut end = body_start + rel + 3;
            // Extra quotes before the closing triple belong to the string.
            while self.src.get(end) == Some(&b'"') {
                end += 1;
            }
            self.pos = end;
            return Ok(self.text[body_start..end - 3].to_string());
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err(self.err(start, start + 1, "this string is never closed"));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                '\n' => return Err(self.err(start, self.pos, "this string is not closed before the end of the line")),
                '\\' => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err(start, start + 1, "this string is never closed"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hex = self.text.get(self.pos..self.pos + 4).unwrap_or("");
                            match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) if hex.len() == 4 => {
                                    out.push(ch);
                                    self.pos += 4;
                                }
                                _ => return Err(self.err(esc_start, self.pos, "invalid `\\u` escape")),
                            }
                        }
                        _ => {
                            return Err(self.err(
                                esc_start,
                                self.pos,
                                "invalid escape: use \\\", \\\\, \\n, \\t or \\uXXXX",
                            ))
                        }
                    }
                }
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// A simple value: strings (quoted or not), numbers, booleans, null, and their
    /// concatenation on one line (`Splunk Topology`, `"a" b`).
    fn simple(&mut self) -> Result<Value, HoconError> {
        let start = self.pos;
        let mut text = String::new();
        let mut any_quoted = false;
        let mut pieces = 0;
        loop {
            let piece_start = self.pos;
            match self.peek() {
                Some(b'"') => {
                    text.push_str(&self.quoted()?);
                    any_quoted = true;
                }
                Some(b'$') if self.src.get(self.pos + 1) == Some(&b'{') => {
                    let end = self.text[self.pos..]
                        .find('}')
                        .map_or(self.pos + 2, |i| self.pos + i + 1);
                    return Err(self.err(
                        self.pos,
                        end,
                        "substitutions (`${…}`) are not supported in stackpack.conf",
                    ));
                }
                _ => {
                    while let Some(c) = self.peek() {
                        if is_forbidden(c) || c == b' ' || c == b'\t' || c == b'\r' || self.at_comment() {
                            break;
                        }
                        self.pos += 1;
                    }
                    if self.pos == piece_start {
                        if pieces == 0 {
                            let end = start + self.text[start..].chars().next().map_or(0, char::len_utf8);
                            return Err(self.err(start, end, "expected a value"));
                        }
                        break;
                    }
                    text.push_str(&self.text[piece_start..self.pos]);
                }
            }
            pieces += 1;
            // Whitespace between two pieces on one line is kept (value concatenation).
            let ws_start = self.pos;
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
            let next_is_piece = match self.peek() {
                Some(b'"') => true,
                Some(c) => !is_forbidden(c) && c != b'\r' && !self.at_comment(),
                None => false,
            };
            if next_is_piece {
                text.push_str(&self.text[ws_start..self.pos]);
            } else {
                self.pos = ws_start;
                break;
            }
        }
        let span = Span::new(self.file, start, self.pos);
        let kind = if any_quoted || pieces > 1 {
            Kind::Str(text)
        } else {
            match text.as_str() {
                "true" | "yes" | "on" => Kind::Bool(true),
                "false" | "no" | "off" => Kind::Bool(false),
                "null" => Kind::Null,
                t => number(t).unwrap_or_else(|| Kind::Str(text.clone())),
            }
        };
        Ok(Value { kind, span })
    }
}

/// Characters that end an unquoted string.
fn is_forbidden(c: u8) -> bool {
    matches!(
        c,
        b'$' | b'"'
            | b'{'
            | b'}'
            | b'['
            | b']'
            | b':'
            | b'='
            | b','
            | b'+'
            | b'#'
            | b'`'
            | b'^'
            | b'?'
            | b'!'
            | b'@'
            | b'*'
            | b'&'
            | b'\\'
            | b'\n'
    )
}

fn number(t: &str) -> Option<Kind> {
    let b = t.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if digits.is_empty() || !digits[0].is_ascii_digit() {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Kind::Int(i));
    }
    // Only plain decimal forms: `1.3.0` stays a string.
    if t.bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'.' | b'e' | b'E' | b'+'))
    {
        if let Ok(f) = t.parse::<f64>() {
            return Some(Kind::Float(f));
        }
    }
    None
}

fn join_path(path: &[Spanned<String>]) -> String {
    path.iter().map(|p| p.value.as_str()).collect::<Vec<_>>().join(".")
}

/// A value while the file is parsed: objects keep an index of their keys, so that a key merged
/// into an object is found in constant time (100 000 keys stay linear).
enum B {
    Obj { map: BMap, span: Span },
    Val(Value),
}

#[derive(Default)]
struct BMap {
    entries: Vec<(Spanned<String>, B)>,
    index: std::collections::HashMap<String, usize>,
}

impl B {
    fn span(&self) -> Span {
        match self {
            B::Obj { span, .. } => *span,
            B::Val(v) => v.span,
        }
    }
    /// Recursion is bounded: objects nest at most `MAX_DEPTH` deep (values and key segments).
    fn into_value(self) -> Value {
        match self {
            B::Obj { map, span } => Value {
                kind: Kind::Map(map.into_map()),
                span,
            },
            B::Val(v) => v,
        }
    }
}

impl BMap {
    fn into_map(self) -> Map {
        Map {
            entries: self.entries.into_iter().map(|(k, v)| (k, v.into_value())).collect(),
        }
    }
}

/// Set `path` to `value` in `map`: later keys win, two objects merge, `+=` appends.
/// A dotted key `a.b = 1` merges into an existing object `a`.
fn insert(map: &mut BMap, path: &[Spanned<String>], value: B, append: bool) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let span = value.span();
    let mut cur = map;
    for key in parents {
        let i = match cur.index.get(&key.value) {
            Some(&i) => {
                let (k, existing) = &mut cur.entries[i];
                *k = key.clone();
                match existing {
                    B::Obj { span: s, .. } => *s = span,
                    other => {
                        *other = B::Obj {
                            map: BMap::default(),
                            span,
                        }
                    }
                }
                i
            }
            None => {
                cur.index.insert(key.value.clone(), cur.entries.len());
                cur.entries.push((
                    key.clone(),
                    B::Obj {
                        map: BMap::default(),
                        span,
                    },
                ));
                cur.entries.len() - 1
            }
        };
        cur = match &mut cur.entries[i].1 {
            B::Obj { map, .. } => map,
            B::Val(_) => return, // just made an object
        };
    }
    merge_into(cur, last, value, append)
}

fn merge_into(map: &mut BMap, key: &Spanned<String>, value: B, append: bool) {
    match map.index.get(&key.value) {
        None => {
            let value = if append {
                let v = value.into_value();
                B::Val(Value {
                    span: v.span,
                    kind: Kind::Seq(vec![v]),
                })
            } else {
                value
            };
            map.index.insert(key.value.clone(), map.entries.len());
            map.entries.push((key.clone(), value));
        }
        Some(&i) => {
            let (k, existing) = &mut map.entries[i];
            *k = key.clone();
            let span = value.span();
            match (existing, value) {
                (
                    B::Val(Value {
                        kind: Kind::Seq(items), ..
                    }),
                    new,
                ) if append => items.push(new.into_value()),
                (B::Obj { map: old, span: s }, B::Obj { map: new, .. }) if !append => {
                    for (nk, nv) in new.entries {
                        merge_into(old, &nk, nv, false);
                    }
                    *s = span;
                }
                (existing, new) => *existing = new,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Value {
        match parse(FileId(0), text) {
            Ok(v) => v,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn json(text: &str) -> serde_json::Value {
        p(text).to_json()
    }

    fn j(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_default()
    }

    #[test]
    fn conf_shapes() {
        let t = "name = sap\n# c\ndisplayName = \"SAP\" // x\nisNew = no\nconfigurationUrls {\n  NOT_INSTALLED: \"a.md\"\n}\nsteps = [\n {\n  name = \"x\"\n  value = { type = \"text\" }\n }\n {\n  name = y\n },\n]\nprovision= \"P\"\ndependencies: {\n  common: \"2.5.1\"\n}\n";
        assert_eq!(
            json(t),
            j(
                r#"{"name":"sap","displayName":"SAP","isNew":false,"configurationUrls":{"NOT_INSTALLED":"a.md"},"steps":[{"name":"x","value":{"type":"text"}},{"name":"y"}],"provision":"P","dependencies":{"common":"2.5.1"}}"#
            )
        );
    }

    #[test]
    fn unquoted_concatenation_numbers_and_duplicates() {
        assert_eq!(
            json("a = Splunk Topology\nb = 1.3.0\nc = 12\nd = 4.5\na = later\no { x = 1 }\no { y = 2 }\nl = [1]\nl += 2\ne.f = yes"),
            j(r#"{"a":"later","b":"1.3.0","c":12,"d":4.5,"o":{"x":1,"y":2},"l":[1,2],"e":{"f":true}}"#)
        );
        assert_eq!(json("{ a: \"x\\n\\u0041\" }"), j(r#"{"a":"x\nA"}"#));
    }

    #[test]
    fn spans_point_at_values() {
        let t = "name = sap\nversion = \"1.0\"\n";
        let v = p(t);
        let m = v.as_map().map(|m| m.get("version").map(|v| v.span));
        assert_eq!(m, Some(Some(Span::new(FileId(0), 21, 26))));
    }

    #[test]
    fn errors_are_located() {
        for (t, at) in [
            ("name = \"sap\nx = 1", 7),
            ("a = [1, 2", 4),
            ("a { b = 1", 9),
            ("a = ${b}", 4),
            ("a b", 2),
            ("a = [1,,2]", 7),
        ] {
            match parse(FileId(0), t) {
                Ok(v) => panic!("{t:?} parsed: {v:?}"),
                Err(e) => assert_eq!(e.span.start as usize, at, "{t:?}: {e:?}"),
            }
        }
    }

    #[test]
    fn hostile_keys_are_linear_or_refused() {
        // 100 000 segments in one dotted key: a located error, not a stack overflow.
        let t = format!("{} = 1", vec!["a"; 100_000].join("."));
        let e = parse(FileId(0), &t).err();
        assert!(e.as_ref().is_some_and(|e| e.message.contains("segments")), "{e:?}");
        // Just under the bound still parses.
        let t = format!("{} = 1", vec!["a"; MAX_DEPTH - 1].join("."));
        assert!(parse(FileId(0), &t).is_ok());
        // 100 000 distinct keys, at the root and below one dotted prefix: all kept, fast.
        let mut t = String::new();
        for i in 0..100_000 {
            t.push_str(&format!("k{i} = {i}\nm.k{i} = {i}\n"));
        }
        let v = p(&t);
        let Kind::Map(m) = &v.kind else { panic!("not a map") };
        assert_eq!(m.entries.len(), 100_001);
        match m.get("m").map(|v| &v.kind) {
            Some(Kind::Map(inner)) => assert_eq!(inner.entries.len(), 100_000),
            other => panic!("m: {other:?}"),
        }
    }

    #[test]
    fn merges_keep_their_meaning() {
        assert_eq!(
            json("a { x = 1 }\na.y = 2\na { x = 3 }\nb = 1\nb.c = 2\nl = [1]\nl += 2\nn += 1"),
            serde_json::json!({"a": {"x": 3, "y": 2}, "b": {"c": 2}, "l": [1, 2], "n": [1]})
        );
    }
}
