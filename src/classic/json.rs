//! A small span-preserving JSON parser into [`tree::Value`], for `.stj` files after their
//! import-time rendering. Spans are byte ranges of the rendered text; [`remap`] moves them back
//! to the template source with the renderer's offset map.

use crate::load::tree::{Kind, Map, Value};
use crate::source::{FileId, Span, Spanned};

#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// Byte offset in the parsed text.
    pub offset: usize,
    pub message: String,
}

const MAX_DEPTH: usize = 256;

pub fn parse(file: FileId, text: &str) -> Result<Value, JsonError> {
    let mut p = P {
        file,
        s: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
        entries: Vec::new(),
        items: Vec::new(),
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.pos < p.s.len() {
        return Err(p.err("unexpected text after the end of the JSON document"));
    }
    Ok(v)
}

/// Replace every span of `v` (offsets in rendered text) by the source span `map` gives, in `file`.
pub fn remap(v: &mut Value, file: FileId, map: &dyn Fn(usize) -> usize) {
    let fix = |s: Span| {
        let start = map(s.start as usize);
        let end = map(s.end as usize).max(start);
        Span::new(file, start, end)
    };
    v.span = fix(v.span);
    match &mut v.kind {
        Kind::Seq(items) => items.iter_mut().for_each(|i| remap(i, file, map)),
        Kind::Map(m) => {
            for (k, val) in &mut m.entries {
                k.span = fix(k.span);
                remap(val, file, map);
            }
        }
        _ => {}
    }
}

struct P<'a> {
    file: FileId,
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    /// The entries and items of every object and array being parsed, innermost last: each
    /// container is moved out into a vector of its exact size when it closes, instead of
    /// growing its own (a 5 MB STJ held ~14 MB of doubling vectors and copied them as they grew).
    entries: Vec<(Spanned<String>, Value)>,
    items: Vec<Value>,
}

impl P<'_> {
    fn err(&self, msg: impl Into<String>) -> JsonError {
        JsonError {
            offset: self.pos.min(self.s.len()),
            message: msg.into(),
        }
    }
    fn ws(&mut self) {
        while matches!(self.s.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }
    fn value(&mut self) -> Result<Value, JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        let start = self.pos;
        let kind = match self.s.get(self.pos) {
            None => return Err(self.err("unexpected end of the document: a value was expected")),
            Some(b'{') => {
                self.pos += 1;
                let first = self.entries.len();
                self.ws();
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        if self.s.get(self.pos) != Some(&b'"') {
                            return Err(self.err(match self.s.get(self.pos) {
                                Some(b'}') => "trailing comma before `}`",
                                None => "unexpected end of the document: the object is not closed",
                                _ => "expected a quoted key",
                            }));
                        }
                        let ks = self.pos;
                        let key = self.string()?;
                        let kspan = Span::new(self.file, ks, self.pos);
                        self.ws();
                        if self.s.get(self.pos) != Some(&b':') {
                            return Err(self.err("expected `:` after the key"));
                        }
                        self.pos += 1;
                        self.ws();
                        let v = self.value()?;
                        self.entries.push((Spanned::new(key, kspan), v));
                        self.ws();
                        match self.s.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            None => return Err(self.err("unexpected end of the document: `}` expected")),
                            _ => return Err(self.err("expected `,` or `}`")),
                        }
                    }
                }
                Kind::Map(Map {
                    entries: self.entries.drain(first..).collect(),
                })
            }
            Some(b'[') => {
                self.pos += 1;
                let first = self.items.len();
                self.ws();
                if self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        if self.s.get(self.pos) == Some(&b']') {
                            return Err(self.err("trailing comma before `]`"));
                        }
                        let v = self.value()?;
                        self.items.push(v);
                        self.ws();
                        match self.s.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            None => return Err(self.err("unexpected end of the document: `]` expected")),
                            _ => return Err(self.err("expected `,` or `]`")),
                        }
                    }
                }
                Kind::Seq(self.items.drain(first..).collect())
            }
            Some(b'"') => Kind::Str(self.string()?),
            Some(b't') if self.s[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Kind::Bool(true)
            }
            Some(b'f') if self.s[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Kind::Bool(false)
            }
            Some(b'n') if self.s[self.pos..].starts_with(b"null") => {
                self.pos += 4;
                Kind::Null
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number()?,
            Some(_) => return Err(self.err("expected a JSON value")),
        };
        self.depth -= 1;
        Ok(Value {
            kind,
            span: Span::new(self.file, start, self.pos),
        })
    }

    fn number(&mut self) -> Result<Kind, JsonError> {
        let start = self.pos;
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        if self.pos == digits {
            return Err(self.err("expected digits"));
        }
        let mut float = false;
        if self.s.get(self.pos) == Some(&b'.') {
            float = true;
            self.pos += 1;
            while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
        }
        if matches!(self.s.get(self.pos), Some(b'e' | b'E')) {
            float = true;
            self.pos += 1;
            if matches!(self.s.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
        }
        let t = &self.text[start..self.pos];
        if !float {
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Kind::Int(i));
            }
        }
        t.parse::<f64>().map(Kind::Float).map_err(|_| JsonError {
            offset: start,
            message: format!("invalid number `{t}`"),
        })
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            // The run up to the next quote, backslash or control character is copied at once
            // (all three are ASCII, so the run ends on a character boundary); a string without
            // escapes is allocated once, at its size.
            let run_start = self.pos;
            while let Some(&b) = self.s.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = self.text.get(run_start..self.pos).unwrap_or("");
            match self.s.get(self.pos) {
                None => {
                    return Err(JsonError {
                        offset: start,
                        message: "this string is never closed".into(),
                    })
                }
                Some(b'"') => {
                    self.pos += 1;
                    if out.is_empty() {
                        return Ok(run.to_owned());
                    }
                    out.push_str(run);
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(run);
                    let e = self.s.get(self.pos + 1).copied();
                    self.pos += 2;
                    match e {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hex = self.text.get(self.pos..self.pos + 4).unwrap_or("");
                            let Ok(mut cp) = u32::from_str_radix(hex, 16) else {
                                self.pos -= 2;
                                return Err(self.err("invalid `\\u` escape"));
                            };
                            self.pos += 4;
                            // Surrogate pairs.
                            if (0xD800..0xDC00).contains(&cp) && self.s[self.pos..].starts_with(b"\\u") {
                                if let Ok(lo) =
                                    u32::from_str_radix(self.text.get(self.pos + 2..self.pos + 6).unwrap_or(""), 16)
                                {
                                    if (0xDC00..0xE000).contains(&lo) {
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                        self.pos += 6;
                                    }
                                }
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        _ => {
                            self.pos -= 2;
                            return Err(self.err("invalid escape in a string (a backslash must be written `\\\\`)"));
                        }
                    }
                }
                Some(_) => {
                    return Err(self.err("control character (a raw newline or tab) inside a string; escape it"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_spans() {
        let t = r#"{ "a": [1, -2.5, "x\"y"], "b": {"c": null, "d": true} }"#;
        let v = parse(FileId(0), t).unwrap_or(Value {
            kind: Kind::Null,
            span: Span::file_start(FileId(0)),
        });
        assert_eq!(
            v.to_json(),
            serde_json::json!({"a": [1, -2.5, "x\"y"], "b": {"c": null, "d": true}})
        );
        let a = v.as_map().and_then(|m| m.get("a")).map(|a| a.span);
        assert_eq!(a, Some(Span::new(FileId(0), 7, 24)));
    }

    /// Strings are copied run by run between escapes: the same text as serde_json reads, for
    /// plain, escaped, non-ASCII and surrogate-pair strings, and nested containers keep their
    /// order (they share the parser's stacks).
    #[test]
    fn strings_and_nested_containers_read_as_serde_json_does() {
        let t = r#"{"plain": "abc", "esc": "a\"b\\c\/d\n", "uni": "ünï\u00e9\ud83d\ude00x", "":"",
                   "deep": [[1, [2, {"k": [3, 4]}]], {"a": {"b": []}}, {}], "after": ["z", "y"]}"#;
        let ours = parse(FileId(0), t).map(|v| v.to_json()).map_err(|e| e.message);
        let theirs: serde_json::Value = serde_json::from_str(t).unwrap_or_default();
        assert_eq!(ours, Ok(theirs));
    }

    #[test]
    fn errors_have_offsets() {
        for (t, at) in [
            ("{\"a\": 1,}", 8),
            ("[1 2]", 3),
            ("{\"a\": ", 6),
            ("{\"a\": tru}", 6),
            ("\"abc", 0),
            ("\"ab\\u00e9c", 0),
            ("[\"ok\", \"a\nb\"]", 9),
            ("[\"a\\qb\"]", 3),
        ] {
            match parse(FileId(0), t) {
                Ok(_) => panic!("{t} parsed"),
                Err(e) => assert_eq!(e.offset, at, "{t}: {e:?}"),
            }
        }
    }
}
