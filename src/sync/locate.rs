//! Locating problems of the rendered JSON in the template.
//!
//! The template is rendered a second time with an invisible marker at the start of every line
//! that is not inside a `{{ … }}` tag; the markers in the output tell which template line each
//! part of the output came from. Then [`json_paths`] finds where each value of the output sits.

use std::collections::HashMap;

const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';

/// `text` with a marker `\u{1}<line>\u{2}` at the start of each line outside tags.
pub fn mark(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut in_tag = false;
    let mut line = 1usize;
    let mut at_line_start = true;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if at_line_start && !in_tag {
            out.push(OPEN);
            out.push_str(&line.to_string());
            out.push(CLOSE);
        }
        at_line_start = false;
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if !in_tag && rest.starts_with("{{") {
            in_tag = true;
        } else if in_tag && rest.starts_with("}}") {
            // `}}}` closes a triple tag: keep the whole run together.
            let run = rest.bytes().take_while(|&b| b == b'}').count();
            out.push_str(&rest[..run]);
            i += run;
            in_tag = false;
            continue;
        }
        out.push(c);
        if c == '\n' {
            line += 1;
            at_line_start = true;
        }
        i += c.len_utf8();
    }
    out
}

/// The output without its markers, and for each byte offset of it the template line it came
/// from (as sorted `(offset, line)` starts).
pub fn strip(marked: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(marked.len());
    let mut starts = Vec::new();
    let mut rest = marked;
    while let Some(p) = rest.find(OPEN) {
        out.push_str(&rest[..p]);
        let after = &rest[p + OPEN.len_utf8()..];
        match after.find(CLOSE) {
            Some(q) => {
                if let Ok(line) = after[..q].parse::<usize>() {
                    starts.push((out.len(), line));
                }
                rest = &after[q + CLOSE.len_utf8()..];
            }
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, starts)
}

/// The template line an output offset came from.
pub fn line_at(starts: &[(usize, usize)], offset: usize) -> Option<usize> {
    let i = starts.partition_point(|(o, _)| *o <= offset);
    i.checked_sub(1).and_then(|i| starts.get(i)).map(|(_, l)| *l)
}

/// Byte offset of each value in a JSON text, by path (`""` the root, `.name`, `.streams[1].id`).
/// Stops quietly on malformed input (it runs on text that already parsed).
pub fn json_paths(text: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut p = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    p.value(String::new(), &mut out, 0);
    out
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn string(&mut self) -> Option<String> {
        let start = self.i + 1;
        self.i += 1;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\\' => self.i += 2,
                b'"' => {
                    let raw = self.b.get(start..self.i)?;
                    self.i += 1;
                    let quoted = format!("\"{}\"", String::from_utf8_lossy(raw));
                    return serde_json::from_str(&quoted).ok();
                }
                _ => self.i += 1,
            }
        }
        None
    }
    fn value(&mut self, path: String, out: &mut HashMap<String, usize>, depth: usize) -> Option<()> {
        if depth > 128 {
            return None;
        }
        self.ws();
        out.insert(path.clone(), self.i);
        match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                loop {
                    self.ws();
                    match *self.b.get(self.i)? {
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        b',' => self.i += 1,
                        b'"' => {
                            let key = self.string()?;
                            self.ws();
                            if self.b.get(self.i) != Some(&b':') {
                                return None;
                            }
                            self.i += 1;
                            self.value(format!("{path}.{key}"), out, depth + 1)?;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut n = 0;
                loop {
                    self.ws();
                    match *self.b.get(self.i)? {
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        b',' => self.i += 1,
                        _ => {
                            self.value(format!("{path}[{n}]"), out, depth + 1)?;
                            n += 1;
                        }
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_follow_template_lines_outside_tags() {
        let t = "{\n  \"a\": {{#if x}}1{{else}}\n2{{/if}},\n  \"b\": 3\n}";
        let m = mark(t);
        let (s, starts) = strip(&m);
        assert_eq!(s, t);
        let b = s.find("\"b\"").unwrap_or(0);
        assert_eq!(line_at(&starts, b), Some(4));
        assert_eq!(line_at(&starts, 0), Some(1));
    }

    #[test]
    fn paths_point_at_values() {
        let t = r#"{"a": [1, {"b": "x"}], "c": {"d": null}}"#;
        let p = json_paths(t);
        assert_eq!(p.get(".a[1].b").copied(), t.find("\"x\""));
        assert_eq!(p.get(".c.d").copied(), t.find("null"));
        assert!(json_paths("{\"a\": [").len() <= 3);
    }
}
