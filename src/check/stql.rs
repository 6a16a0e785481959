//! A small parser for STQL, the topology query language of view queries.
//!
//! Grammar (keywords case-insensitive):
//!
//! ```text
//! query      := or
//! or         := and ("OR" and)*
//! and        := not ("AND" not)*
//! not        := "NOT" not | primary
//! primary    := "(" query ")" | function | comparison
//! comparison := field ("=" | "!=") value | field ["NOT"] "IN" "(" value ("," value)* ")"
//! function   := name "(" [arg ("," arg)*] ")"      arg := name "=" (value | "(" query ")" | "(" value, … ")")
//! value      := '…' | "…" | word | number
//! ```
//!
//! A filter directly followed by `NOT` is an implicit `AND NOT` (`name IN ("a") NOT label = "b"`).
//!
//! Vocabulary (StackState docs, `use/stackstate-ui/…/stql_reference.md` in the public
//! stackstate-docs repository; not in reference/): the filters `domain`, `environment`,
//! `healthstate`, `label`, `layer`, `name`, `type` (`*` as a whole value is a wildcard), and the
//! functions `withNeighborsOf(components = (<filter>), levels = "all" | 1…15, direction = "up" |
//! "down" | "both")` and the deprecated `withCauseOf`. Guess (not in reference/): `identifier`,
//! `identifiers`, `id`, `tag` and `componenttype` are accepted too, as later docs and tools use
//! some of them. Errors carry byte offsets into the query text.

use std::ops::Range;

/// Fields a comparison may filter on (lower case).
pub const FIELDS: &[&str] = &[
    "name",
    "type",
    "layer",
    "domain",
    "environment",
    "label",
    "healthstate",
    "identifier",
    "identifiers",
    "id",
    "tag",
    "componenttype",
];

/// Functions and their named arguments.
pub const FUNCTIONS: &[(&str, &[&str])] = &[
    ("withneighborsof", &["components", "levels", "direction"]),
    ("withcauseof", &["components"]),
];

/// A parse or vocabulary error, located by byte range in the query.
#[derive(Debug, Clone, PartialEq)]
pub struct StqlError {
    pub range: Range<usize>,
    pub message: String,
    /// The error is an unknown field/function/argument (SP402) rather than bad syntax (SP401).
    pub unknown_name: bool,
    /// A suggestion ("did you mean").
    pub help: Option<String>,
}

/// A value compared against a field, with its range (the text between quotes, for quoted values).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: String,
    pub values: Vec<(String, Range<usize>)>,
}

/// What a successful parse found: every field filter (including those inside functions).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
}

struct Lexer;

impl Lexer {
    fn lex(text: &str) -> Result<Vec<(Tok, Range<usize>)>, StqlError> {
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                b'(' => {
                    out.push((Tok::LParen, i..i + 1));
                    i += 1;
                }
                b')' => {
                    out.push((Tok::RParen, i..i + 1));
                    i += 1;
                }
                b',' => {
                    out.push((Tok::Comma, i..i + 1));
                    i += 1;
                }
                b'=' => {
                    out.push((Tok::Eq, i..i + 1));
                    i += 1;
                }
                b'!' if bytes.get(i + 1) == Some(&b'=') => {
                    out.push((Tok::Ne, i..i + 2));
                    i += 2;
                }
                b'\'' | b'"' => {
                    let start = i;
                    let mut j = i + 1;
                    let mut value = String::new();
                    loop {
                        match bytes.get(j) {
                            None => {
                                return Err(StqlError {
                                    range: start..text.len(),
                                    message: "unterminated string".to_string(),
                                    unknown_name: false,
                                    help: Some(format!("close the string with {}", c as char)),
                                })
                            }
                            Some(b'\\') if j + 1 < bytes.len() => {
                                let ch = text[j + 1..].chars().next().unwrap_or('\\');
                                value.push(ch);
                                j += 1 + ch.len_utf8();
                            }
                            Some(&b) if b == c => break,
                            Some(_) => {
                                let ch = text[j..].chars().next().unwrap_or(' ');
                                value.push(ch);
                                j += ch.len_utf8();
                            }
                        }
                    }
                    out.push((Tok::Str(value), start..j + 1));
                    i = j + 1;
                }
                _ if is_word_byte(c) => {
                    let start = i;
                    while i < bytes.len() && is_word_byte(bytes[i]) {
                        i += 1;
                    }
                    out.push((Tok::Word(text[start..i].to_string()), start..i));
                }
                _ => {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    return Err(StqlError {
                        range: i..i + ch.len_utf8(),
                        message: format!("unexpected character `{ch}`"),
                        unknown_name: false,
                        help: Some("quote values that contain special characters".to_string()),
                    });
                }
            }
        }
        Ok(out)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'*' | b':' | b'/')
}

struct Parser<'a> {
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    len: usize,
    parsed: Parsed,
    _text: &'a str,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

/// Parse an STQL query.
pub fn parse(text: &str) -> Result<Parsed, StqlError> {
    let toks = Lexer::lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        len: text.len(),
        parsed: Parsed::default(),
        _text: text,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(p.err(
            0..text.len(),
            "the query is empty",
            Some("write a filter, e.g. `label IN ('stackpack:my-pack')`"),
        ));
    }
    p.or()?;
    if let Some((t, r)) = p.peek_owned() {
        return Err(p.err(
            r,
            &format!("unexpected {}", describe(&t)),
            Some("join filters with AND or OR"),
        ));
    }
    Ok(p.parsed)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::LParen => "`(`".to_string(),
        Tok::RParen => "`)`".to_string(),
        Tok::Comma => "`,`".to_string(),
        Tok::Eq => "`=`".to_string(),
        Tok::Ne => "`!=`".to_string(),
    }
}

impl Parser<'_> {
    fn err(&self, range: Range<usize>, message: &str, help: Option<&str>) -> StqlError {
        StqlError {
            range,
            message: message.to_string(),
            unknown_name: false,
            help: help.map(str::to_string),
        }
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }
    fn peek_owned(&self) -> Option<(Tok, Range<usize>)> {
        self.toks.get(self.pos).cloned()
    }
    fn end_range(&self) -> Range<usize> {
        self.len..self.len
    }
    fn next_range(&self) -> Range<usize> {
        self.toks
            .get(self.pos)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| self.end_range())
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn is_kw_at(&self, off: usize, kw: &str) -> bool {
        matches!(self.toks.get(self.pos + off), Some((Tok::Word(w), _)) if w.eq_ignore_ascii_case(kw))
    }
    fn expect(&mut self, tok: Tok, what: &str) -> Result<Range<usize>, StqlError> {
        match self.toks.get(self.pos) {
            Some((t, r)) if *t == tok => {
                let r = r.clone();
                self.pos += 1;
                Ok(r)
            }
            Some((t, r)) => Err(self.err(r.clone(), &format!("expected {what}, found {}", describe(t)), None)),
            None => Err(self.err(
                self.end_range(),
                &format!("expected {what}, found the end of the query"),
                None,
            )),
        }
    }

    fn or(&mut self) -> Result<(), StqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(self.next_range(), "the query is nested too deeply", None));
        }
        self.and()?;
        while self.is_kw("or") {
            self.pos += 1;
            self.and()?;
        }
        self.depth -= 1;
        Ok(())
    }
    fn and(&mut self) -> Result<(), StqlError> {
        self.not()?;
        loop {
            if self.is_kw("and") {
                self.pos += 1;
            } else if !self.is_kw("not") {
                break; // `a NOT b` is `a AND NOT b`
            }
            self.not()?;
        }
        Ok(())
    }
    fn not(&mut self) -> Result<(), StqlError> {
        let mut n = 0;
        while self.is_kw("not") {
            self.pos += 1;
            n += 1;
            if n > MAX_DEPTH {
                return Err(self.err(self.next_range(), "too many NOTs", None));
            }
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<(), StqlError> {
        match self.peek_owned() {
            None => Err(self.err(
                self.end_range(),
                "expected a filter, found the end of the query",
                Some("complete the filter, e.g. `name = \"x\"`"),
            )),
            Some((Tok::LParen, _)) => {
                self.pos += 1;
                self.or()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(())
            }
            Some((Tok::Word(w), r)) => {
                if matches!(self.toks.get(self.pos + 1), Some((Tok::LParen, _))) {
                    return self.function(&w, r);
                }
                self.comparison(&w, r)
            }
            Some((t, r)) => Err(self.err(
                r,
                &format!("expected a filter, found {}", describe(&t)),
                Some("a filter is `field = value`, `field IN (…)` or a function call"),
            )),
        }
    }
    fn function(&mut self, name: &str, range: Range<usize>) -> Result<(), StqlError> {
        let lower = name.to_ascii_lowercase();
        let Some((_, args)) = FUNCTIONS.iter().find(|(f, _)| *f == lower) else {
            return Err(StqlError {
                range,
                message: format!("unknown STQL function `{name}`"),
                unknown_name: true,
                help: Some(suggest(&lower, FUNCTIONS.iter().map(|(f, _)| *f), "functions")),
            });
        };
        self.pos += 1; // name
        self.expect(Tok::LParen, "`(`")?;
        if matches!(self.peek(), Some(Tok::RParen)) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let (arg, ar) = match self.peek_owned() {
                Some((Tok::Word(a), r)) => (a, r),
                Some((t, r)) => {
                    return Err(self.err(r, &format!("expected an argument name, found {}", describe(&t)), None))
                }
                None => {
                    return Err(self.err(
                        self.end_range(),
                        "expected an argument name, found the end of the query",
                        None,
                    ))
                }
            };
            if !args.contains(&arg.to_ascii_lowercase().as_str()) {
                return Err(StqlError {
                    range: ar,
                    message: format!("`{name}` has no argument `{arg}`"),
                    unknown_name: true,
                    help: Some(suggest(&arg.to_ascii_lowercase(), args.iter().copied(), "arguments")),
                });
            }
            self.pos += 1;
            self.expect(Tok::Eq, "`=` after the argument name")?;
            match self.peek() {
                Some(Tok::LParen) => {
                    // `( query )` or `( value, … )`
                    let save = self.pos;
                    self.pos += 1;
                    let is_values = matches!(self.peek(), Some(Tok::Str(_)))
                        && matches!(self.toks.get(self.pos + 1), Some((Tok::Comma | Tok::RParen, _)));
                    if is_values {
                        self.pos = save;
                        self.values()?;
                    } else {
                        self.or()?;
                        self.expect(Tok::RParen, "`)`")?;
                    }
                }
                _ => {
                    let (value, range) = self.value()?;
                    let ok = match arg.to_ascii_lowercase().as_str() {
                        "levels" => {
                            value.eq_ignore_ascii_case("all")
                                || value.parse::<u32>().is_ok_and(|n| (1..=15).contains(&n))
                        }
                        "direction" => ["up", "down", "both"].contains(&value.to_ascii_lowercase().as_str()),
                        _ => true,
                    };
                    if !ok {
                        let allowed = if arg.eq_ignore_ascii_case("levels") {
                            "\"all\" or a number from 1 to 15"
                        } else {
                            "\"up\", \"down\" or \"both\""
                        };
                        return Err(self.err(
                            range,
                            &format!("`{arg}` of `{name}` cannot be `{value}`"),
                            Some(&format!("use {allowed}")),
                        ));
                    }
                }
            }
            match self.peek() {
                Some(Tok::Comma) => self.pos += 1,
                _ => break,
            }
        }
        self.expect(Tok::RParen, "`)` to close the function call")?;
        Ok(())
    }
    fn comparison(&mut self, field: &str, range: Range<usize>) -> Result<(), StqlError> {
        let lower = field.to_ascii_lowercase();
        if !FIELDS.contains(&lower.as_str()) {
            // A word followed by nothing filter-like is a syntax error, not an unknown field.
            let looks_filter = matches!(self.toks.get(self.pos + 1), Some((Tok::Eq | Tok::Ne, _)))
                || self.is_kw_at(1, "in")
                || (self.is_kw_at(1, "not") && self.is_kw_at(2, "in"));
            if !looks_filter {
                return Err(self.err(
                    range,
                    &format!("expected a filter, found `{field}`"),
                    Some("a filter is `field = value`, `field IN (…)` or a function call"),
                ));
            }
            return Err(StqlError {
                range,
                message: format!("unknown STQL field `{field}`"),
                unknown_name: true,
                help: Some(suggest(&lower, FIELDS.iter().copied(), "fields")),
            });
        }
        self.pos += 1;
        let values = match self.peek_owned() {
            Some((Tok::Eq | Tok::Ne, _)) => {
                self.pos += 1;
                vec![self.value()?]
            }
            Some((Tok::Word(w), _)) if w.eq_ignore_ascii_case("in") => {
                self.pos += 1;
                self.values()?
            }
            Some((Tok::Word(w), _)) if w.eq_ignore_ascii_case("not") && self.is_kw_at(1, "in") => {
                self.pos += 2;
                self.values()?
            }
            Some((t, r)) => {
                return Err(self.err(
                    r,
                    &format!(
                        "expected `=`, `!=`, `IN` or `NOT IN` after `{field}`, found {}",
                        describe(&t)
                    ),
                    None,
                ))
            }
            None => {
                return Err(self.err(
                    self.end_range(),
                    &format!("expected `=`, `!=`, `IN` or `NOT IN` after `{field}`"),
                    None,
                ))
            }
        };
        self.parsed.filters.push(Filter { field: lower, values });
        Ok(())
    }
    fn values(&mut self) -> Result<Vec<(String, Range<usize>)>, StqlError> {
        self.expect(Tok::LParen, "`(` before the list of values")?;
        let mut out = Vec::new();
        if matches!(self.peek(), Some(Tok::RParen)) {
            let r = self.next_range();
            return Err(self.err(r, "the list of values is empty", Some("list at least one value")));
        }
        loop {
            out.push(self.value()?);
            match self.peek() {
                Some(Tok::Comma) => self.pos += 1,
                _ => break,
            }
        }
        self.expect(Tok::RParen, "`,` or `)` in the list of values")?;
        Ok(out)
    }
    fn value(&mut self) -> Result<(String, Range<usize>), StqlError> {
        match self.peek_owned() {
            Some((Tok::Str(s), r)) => {
                self.pos += 1;
                Ok((s, r.start + 1..r.end.saturating_sub(1).max(r.start + 1)))
            }
            Some((Tok::Word(w), r)) => {
                self.pos += 1;
                Ok((w, r))
            }
            Some((t, r)) => Err(self.err(
                r,
                &format!("expected a value, found {}", describe(&t)),
                Some("quote the value: \"…\""),
            )),
            None => Err(self.err(self.end_range(), "expected a value, found the end of the query", None)),
        }
    }
}

fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str> + Clone, what: &str) -> String {
    match crate::diag::did_you_mean(word, candidates.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("STQL {what}: {}", candidates.collect::<Vec<_>>().join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(q: &str) -> Parsed {
        match parse(q) {
            Ok(p) => p,
            Err(e) => panic!("{q}: {e:?}"),
        }
    }

    #[test]
    fn parses_real_queries() {
        let p = ok("(type IN (\"sap-database\", \"sap-database-component\") AND label IN (\"stackpack:sap\") AND label IN (\"sap-host:{{instanceName}}\"))");
        assert_eq!(p.filters.len(), 3);
        assert_eq!(p.filters[0].field, "type");
        assert_eq!(p.filters[0].values[1].0, "sap-database-component");
        ok("label IN ('stackpack:splunk', 'splunk-instance:{{instanceName}}')");
        ok("layer in (\"Uncategorized\") and NOT healthstate = \"CLEAR\" OR name != 'x'");
        ok("type NOT IN (\"a\") AND withNeighborsOf(components = (name in (\"DLL_DB\")), levels = \"1\", direction = \"both\")");
        ok("withNeighborsOf(components = (\"a\", \"b\"), levels = 2)");
        // `NOT` right after a filter is an implicit AND (StackState docs' examples).
        let p = ok("name in (\"appA\",\"appB\") NOT label = \"bck\"");
        assert_eq!(p.filters.len(), 2);
        ok("name = \"appA\" NOT label in (\"bck\", \"test\")");
        ok("layer = \"application\"\n  AND (healthstate = \"CRITICAL\" OR healthstate = \"DEVIATING\")\n  OR withNeighborsOf(components = (name in (\"appA\",\"appB\")))");
        ok("withNeighborsOf(direction = \"down\", components = (id = \"x\"), levels = \"all\")");
    }

    #[test]
    fn value_ranges_point_inside_quotes() {
        let q = "type = \"host\"";
        let p = ok(q);
        let r = p.filters[0].values[0].1.clone();
        assert_eq!(&q[r], "host");
    }

    #[test]
    fn errors_are_located() {
        let e = parse("type IN (\"host\"").err();
        assert_eq!(e.as_ref().map(|e| e.range.clone()), Some(15..15));
        let e = parse("typ = \"host\"").err();
        assert_eq!(
            e.as_ref().map(|e| (e.range.clone(), e.unknown_name)),
            Some((0..3, true))
        );
        assert_eq!(e.and_then(|e| e.help), Some("did you mean `type`?".to_string()));
        let e = parse("name = 'x' name = 'y'").err();
        assert_eq!(e.map(|e| e.range), Some(11..15));
        let e = parse("withNeighboursOf(levels = 1)").err();
        assert_eq!(e.map(|e| e.unknown_name), Some(true));
        assert!(parse("").is_err());
        assert!(parse("name = 'x").is_err());
        assert!(parse("name IN ()").is_err());
        assert!(parse("(((((name = 'x'").is_err());
        let e = parse("withNeighborsOf(components = (name = \"x\"), direction = \"sideways\")").err();
        assert_eq!(e.map(|e| (e.range, e.unknown_name)), Some((56..64, false)));
        assert!(parse("withNeighborsOf(levels = \"16\")").is_err());
        let deep = "(".repeat(10_000);
        assert!(parse(&deep).is_err());
    }
}
