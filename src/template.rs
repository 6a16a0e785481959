//! Handlebars in StackPacks: the two rendering passes.
//!
//! StackState renders an `.stj` file once at **import** time (import arguments, `include`, `get`)
//! and renders component/relation template bodies again at **sync** time, once per topology
//! element. In the archive, sync-time tags are therefore written escaped, `\{{ … \}}`
//! (`reference/stackpack-v1-format.md` §5).
//!
//! Authors of declarative packs write templates once, unescaped ("author form"). This module:
//! - [`scan`]s a template (author form or escaped "STJ form") into [`Tag`]s, checks that blocks
//!   are balanced and that the Handlebars syntax is valid, and classifies every tag's [`Phase`];
//! - converts author form to STJ form with [`to_stj`] (sync tags escaped, `get` shorthands expanded);
//! - renders STJ-form text at import time with [`render_import`], the way StackState does, so
//!   that generated and classic `.stj` files can be checked to be valid JSON.

use std::collections::HashMap;
use std::ops::Range;

/// When a tag is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// While the `.stj` is imported (import arguments, `include`, `get` of existing nodes).
    Import,
    /// Each time a topology element is synchronised (`element.*`, per-element `get`s).
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// `{{ x }}` or `{{ helper args }}`.
    Expr,
    /// `{{{ x }}}`: not HTML-escaped.
    Raw,
    /// `{{#helper args}}`.
    BlockOpen,
    /// `{{else}}` or `{{^}}`.
    Else,
    /// `{{/helper}}`.
    BlockClose,
    /// `{{! … }}` / `{{!-- … --}}`.
    Comment,
    /// `{{> partial}}`.
    Partial,
}

/// An argument of a tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The argument's text (for string literals: the unquoted value).
    pub text: String,
    /// Byte range of the argument in the template (including quotes).
    pub range: Range<usize>,
    pub kind: ArgKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    String,
    Number,
    Path,
    /// `( … )`: kept as text.
    SubExpr,
    /// `key=value`.
    Hash,
}

/// One `{{ … }}` tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// Byte range of the whole tag, braces (and escaping backslashes) included.
    pub range: Range<usize>,
    /// Byte range of the content between the braces (without `#`, `/`, `~`).
    pub inner: Range<usize>,
    pub kind: TagKind,
    /// Written escaped (`\{{ … \}}`): literal at import time, evaluated at sync time.
    pub escaped: bool,
    /// Helper name or path (`get`, `if`, `element.data.name`); empty for `else` and comments.
    pub head: String,
    pub args: Vec<Arg>,
    pub phase: Phase,
}

impl Tag {
    /// The first segment of the head when it is a variable (`element` for `element.data.x`).
    pub fn root(&self) -> &str {
        root_of(&self.head)
    }
}

fn root_of(path: &str) -> &str {
    let p = path.trim_start_matches("this.").trim_start_matches("./");
    p.split(['.', '/', '[']).next().unwrap_or("")
}

/// A problem in a template, located by byte range within the template text.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub range: Range<usize>,
    pub message: String,
}

impl TemplateError {
    fn new(range: Range<usize>, message: impl Into<String>) -> Self {
        TemplateError {
            range,
            message: message.into(),
        }
    }
}

/// Result of [`scan`].
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    pub tags: Vec<Tag>,
    /// Suspicious but accepted constructs (a block opened escaped and closed unescaped, …).
    pub warnings: Vec<TemplateError>,
}

const BLOCK_HELPERS_OVER_DATA: [&str; 5] = ["if", "unless", "each", "with", "join"];

/// Tokenise `text`, check block balance and Handlebars syntax, and classify every tag.
///
/// `import_vars` are the variables that exist at import time (`instanceId`, `topicName`, step
/// names …): a tag whose first path is one of them, and every `include`, runs at import time.
pub fn scan(text: &str, import_vars: &[&str]) -> Result<Scanned, TemplateError> {
    let mut tags = Vec::new();
    let mut warnings = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    // Open blocks: (helper, phase, escaped, range of the opening tag).
    let mut stack: Vec<(String, Phase, bool, Range<usize>)> = Vec::new();
    while let Some(pos) = find(bytes, i, b"{{") {
        let escaped = pos > 0 && bytes[pos - 1] == b'\\';
        let start = if escaped { pos - 1 } else { pos };
        let mut open_len = 2;
        let triple = bytes.get(pos + 2) == Some(&b'{');
        if triple {
            open_len = 3;
        }
        let content_start = pos + open_len;
        // Comments may contain `}}`: `{{!-- … --}}` ends at `--}}`.
        let is_long_comment = text[content_start..].trim_start_matches('~').starts_with("!--");
        let (close_at, close_len) = if is_long_comment {
            match find(bytes, content_start, b"--}}") {
                Some(c) => (c, 4),
                None => {
                    return Err(TemplateError::new(
                        start..text.len(),
                        "comment `{{!--` is never closed with `--}}`",
                    ))
                }
            }
        } else {
            let close: &[u8] = if triple { b"}}}" } else { b"}}" };
            match find(bytes, content_start, close) {
                Some(c) => (c, close.len()),
                None => {
                    return Err(TemplateError::new(
                        start..(pos + open_len).min(text.len()),
                        "`{{` is never closed with `}}`",
                    ))
                }
            }
        };
        // `\}}` closes an escaped tag; the backslash belongs to the delimiter.
        let mut inner_end = close_at;
        if escaped && inner_end > content_start && bytes[inner_end - 1] == b'\\' {
            inner_end -= 1;
        } else if escaped {
            warnings.push(TemplateError::new(
                start..close_at + close_len,
                "tag opened escaped (`\\{{`) but closed with an unescaped `}}`; write `\\}}`",
            ));
        }
        let end = close_at + close_len;
        let raw_inner = &text[content_start..inner_end];
        let tag = parse_tag(
            text,
            raw_inner,
            content_start,
            start..end,
            escaped,
            triple,
            is_long_comment,
        )?;
        i = end;
        let mut tag = tag;
        tag.phase = classify(&tag, import_vars, stack.last().map(|(_, p, _, _)| *p));
        match tag.kind {
            TagKind::BlockOpen => stack.push((tag.head.clone(), tag.phase, tag.escaped, tag.range.clone())),
            TagKind::Else if stack.is_empty() => {
                return Err(TemplateError::new(tag.range.clone(), "`else` outside of a block"));
            }
            TagKind::BlockClose => match stack.pop() {
                None => {
                    return Err(TemplateError::new(
                        tag.range.clone(),
                        format!("`{{{{/{}}}}}` closes a block that was never opened", tag.head),
                    ))
                }
                Some((name, phase, was_escaped, _)) => {
                    if name != tag.head {
                        return Err(TemplateError::new(
                            tag.range.clone(),
                            format!(
                                "block `{name}` is closed by `/{}`; close it with `{{{{/{name}}}}}`",
                                tag.head
                            ),
                        ));
                    }
                    if was_escaped != tag.escaped {
                        warnings.push(TemplateError::new(
                            tag.range.clone(),
                            format!(
                                "block `{name}` was opened {} but is closed {}",
                                if was_escaped { "escaped" } else { "unescaped" },
                                if tag.escaped { "escaped" } else { "unescaped" }
                            ),
                        ));
                    }
                    tag.phase = phase;
                }
            },
            _ => {}
        }
        tags.push(tag);
    }
    if let Some((name, _, _, range)) = stack.pop() {
        return Err(TemplateError::new(
            range,
            format!("block `{name}` is never closed; add `{{{{/{name}}}}}`"),
        ));
    }
    validate_syntax(text)?;
    Ok(Scanned { tags, warnings })
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn parse_tag(
    text: &str,
    raw_inner: &str,
    content_start: usize,
    range: Range<usize>,
    escaped: bool,
    triple: bool,
    long_comment: bool,
) -> Result<Tag, TemplateError> {
    // Strip whitespace control `~` on both sides.
    let lead = raw_inner.len() - raw_inner.trim_start_matches('~').len();
    let mut inner = raw_inner.trim_start_matches('~').trim_end_matches('~');
    let mut offset = content_start + lead;
    let mut kind = if triple { TagKind::Raw } else { TagKind::Expr };
    if long_comment || inner.starts_with('!') {
        return Ok(Tag {
            range,
            inner: offset..offset + inner.len(),
            kind: TagKind::Comment,
            escaped,
            head: String::new(),
            args: Vec::new(),
            phase: Phase::Sync,
        });
    }
    if let Some(rest) = inner.strip_prefix('#') {
        kind = TagKind::BlockOpen;
        inner = rest.strip_prefix('*').unwrap_or(rest);
        offset += inner.as_ptr() as usize - raw_inner.trim_start_matches('~').as_ptr() as usize;
    } else if let Some(rest) = inner.strip_prefix('/') {
        kind = TagKind::BlockClose;
        inner = rest;
        offset += 1;
    } else if let Some(rest) = inner.strip_prefix('>') {
        kind = TagKind::Partial;
        inner = rest;
        offset += 1;
    } else if inner.trim() == "^" || inner.trim() == "else" || inner.trim_start().starts_with("else ") {
        kind = TagKind::Else;
    } else if let Some(rest) = inner.strip_prefix('^') {
        // `{{^x}}` is an inverted block.
        kind = TagKind::BlockOpen;
        inner = rest;
        offset += 1;
    }
    let tokens = tokenize(text, inner, offset)?;
    let (head, args) = match kind {
        TagKind::Else => (String::new(), tokens.into_iter().skip(1).collect()),
        _ => {
            let mut it = tokens.into_iter();
            match it.next() {
                Some(h) => (h.text, it.collect()),
                None => return Err(TemplateError::new(range, "empty tag `{{}}`")),
            }
        }
    };
    Ok(Tag {
        range,
        inner: offset..offset + inner.len(),
        kind,
        escaped,
        head,
        args,
        phase: Phase::Sync,
    })
}

/// Split the inside of a tag into arguments (strings, numbers, paths, sub-expressions, hashes).
fn tokenize(text: &str, inner: &str, offset: usize) -> Result<Vec<Arg>, TemplateError> {
    let b = inner.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == b'"' || c == b'\'' {
            let mut j = i + 1;
            let mut value = String::new();
            while j < b.len() && b[j] != c {
                if b[j] == b'\\' && j + 1 < b.len() {
                    j += 1;
                }
                let ch_len = utf8_len(b[j]);
                value.push_str(&inner[j..(j + ch_len).min(inner.len())]);
                j += ch_len;
            }
            if j >= b.len() {
                return Err(TemplateError::new(
                    offset + start..offset + inner.len(),
                    "string literal is never closed",
                ));
            }
            out.push(Arg {
                text: value,
                range: offset + start..offset + j + 1,
                kind: ArgKind::String,
            });
            i = j + 1;
        } else if c == b'(' {
            let mut depth = 0;
            let mut j = i;
            let mut quote: Option<u8> = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (Some(q), x) if x == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"') | (None, b'\'') => quote = Some(b[j]),
                    (None, b'(') => depth += 1,
                    (None, b')') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if j >= b.len() {
                return Err(TemplateError::new(
                    offset + start..offset + inner.len(),
                    "`(` is never closed",
                ));
            }
            out.push(Arg {
                text: inner[start..=j].to_string(),
                range: offset + start..offset + j + 1,
                kind: ArgKind::SubExpr,
            });
            i = j + 1;
        } else {
            let mut j = i;
            while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'(' {
                if b[j] == b'=' {
                    // key=value: take the value too (it may be a string or sub-expression).
                    let rest = tokenize(text, &inner[j + 1..], offset + j + 1)?;
                    if let Some(v) = rest.first() {
                        let end = v.range.end - offset;
                        out.push(Arg {
                            text: inner[start..end].to_string(),
                            range: offset + start..offset + end,
                            kind: ArgKind::Hash,
                        });
                        i = end;
                    } else {
                        i = b.len();
                    }
                    j = usize::MAX;
                    break;
                }
                j += 1;
            }
            if j == usize::MAX {
                continue;
            }
            let word = &inner[start..j];
            let kind = if word.parse::<f64>().is_ok() {
                ArgKind::Number
            } else {
                ArgKind::Path
            };
            out.push(Arg {
                text: word.to_string(),
                range: offset + start..offset + j,
                kind,
            });
            i = j;
        }
    }
    let _ = text;
    Ok(out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn classify(tag: &Tag, import_vars: &[&str], enclosing: Option<Phase>) -> Phase {
    if tag.escaped {
        return Phase::Sync;
    }
    match tag.kind {
        TagKind::Comment => Phase::Import,
        TagKind::Else | TagKind::BlockClose => enclosing.unwrap_or(Phase::Sync),
        TagKind::Partial => Phase::Sync,
        TagKind::Expr | TagKind::Raw | TagKind::BlockOpen => {
            if tag.head == "include" {
                return Phase::Import;
            }
            if tag.args.is_empty() && tag.kind != TagKind::BlockOpen {
                return if import_vars.contains(&tag.root()) {
                    Phase::Import
                } else {
                    Phase::Sync
                };
            }
            if BLOCK_HELPERS_OVER_DATA.contains(&tag.head.as_str()) {
                if let Some(first) = tag.args.first() {
                    if first.kind == ArgKind::Path && import_vars.contains(&root_of(&first.text)) {
                        return Phase::Import;
                    }
                }
            }
            Phase::Sync
        }
    }
}

/// Check Handlebars syntax with the `handlebars` crate. Escaping backslashes are replaced by
/// spaces first, so both passes' tags are validated and offsets are unchanged.
fn validate_syntax(text: &str) -> Result<(), TemplateError> {
    let unescaped = text.replace("\\{{", " {{").replace("\\}}", " }}");
    match handlebars::Template::compile(&unescaped) {
        Ok(_) => Ok(()),
        Err(e) => {
            let offset = match e.pos() {
                Some((line, col)) => line_col_to_offset(text, line, col),
                None => 0,
            };
            let reason = e.reason().to_string();
            let reason = if reason.starts_with("invalid handlebars syntax") {
                "invalid Handlebars syntax here (check the braces and the expression inside them)".to_string()
            } else {
                reason
            };
            Err(TemplateError::new(
                offset..(offset + 1).min(text.len()).max(offset),
                reason,
            ))
        }
    }
}

fn line_col_to_offset(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            let col_bytes: usize = l.chars().take(col.saturating_sub(1)).map(char::len_utf8).sum();
            return (offset + col_bytes).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

/// Every `get` target written as a string literal: `(target, byte range of the literal)`.
pub fn get_targets(scanned: &Scanned) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    for tag in &scanned.tags {
        collect_gets(tag, &mut out);
    }
    out
}

fn collect_gets(tag: &Tag, out: &mut Vec<(String, Range<usize>)>) {
    if matches!(tag.head.as_str(), "get" | "getFirstExisting") {
        for a in &tag.args {
            if a.kind == ArgKind::String && !a.text.starts_with("Type=") {
                out.push((a.text.clone(), a.range.clone()));
            }
        }
    }
    if tag.head == "getOrCreate" {
        if let Some(a) = tag.args.first().filter(|a| a.kind == ArgKind::String) {
            out.push((a.text.clone(), a.range.clone()));
        }
    }
}

/// Author form → STJ form: sync-time tags escaped as `\{{ … \}}`; `get` string arguments passed
/// through `expand_get` (which turns shorthands like `check-function:x` into full URNs and
/// returns `None` to keep an argument as written).
pub fn to_stj(text: &str, scanned: &Scanned, expand_get: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + scanned.tags.len() * 4);
    let mut last = 0;
    for tag in &scanned.tags {
        out.push_str(&text[last..tag.range.start]);
        let mut body = String::new();
        let mut pos = tag.range.start;
        // Rebuild the tag with expanded get arguments.
        let mut replacements: Vec<(Range<usize>, String)> = Vec::new();
        if matches!(tag.head.as_str(), "get" | "getFirstExisting") {
            for a in &tag.args {
                if a.kind == ArgKind::String && !a.text.starts_with("Type=") {
                    if let Some(urn) = expand_get(&a.text) {
                        replacements.push((a.range.clone(), format!("\"{urn}\"")));
                    }
                }
            }
        }
        for (r, s) in &replacements {
            body.push_str(&text[pos..r.start]);
            body.push_str(s);
            pos = r.end;
        }
        body.push_str(&text[pos..tag.range.end]);
        if tag.phase == Phase::Sync && !tag.escaped && tag.kind != TagKind::Comment {
            // `{{…}}` → `\{{…\}}` (triple braces: `\{{{…}\}}`).
            let inner_start = 2;
            let inner_end = body.len().saturating_sub(2);
            out.push_str("\\{{");
            out.push_str(&body[inner_start..inner_end]);
            out.push_str("\\}}");
        } else {
            out.push_str(&body);
        }
        last = tag.range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// How `include` should encode a file (`reference/stackpack-v1-format.md` §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Rendered as STJ with the same import arguments (the default).
    Handlebars,
    /// Raw text.
    Identity,
    /// `data:image/<type>;base64,…`.
    Base64,
}

/// What [`render_import`] needs from its caller.
pub trait ImportContext {
    /// An import argument (`topicName`, `instanceId`, step values …).
    fn arg(&self, name: &str) -> Option<String>;
    /// The numeric id of an existing node (`get "<urn>"`, optionally `"Type=…;Name=…"`).
    fn get(&self, urn: &str, selector: Option<&str>) -> Result<i64, String>;
    /// The text of a file under `provisioning/` for `include` (for base64: the data URI).
    fn include(&self, path: &str, encoding: Encoding) -> Result<String, String>;
}

/// An import-time rendering with a map from output offsets back to source offsets.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    /// `(output offset, source offset)` at the start of every copied segment, ascending.
    pub map: Vec<(usize, usize)>,
    /// Variables that were used but have no value (rendered empty, as StackState does).
    pub missing_vars: Vec<(String, Range<usize>)>,
}

impl Rendered {
    /// The source offset an output offset came from (approximate inside expanded values).
    pub fn source_offset(&self, out: usize) -> usize {
        match self.map.binary_search_by(|(o, _)| o.cmp(&out)) {
            Ok(i) => self.map[i].1,
            Err(0) => 0,
            Err(i) => {
                let (o, s) = self.map[i - 1];
                s + (out - o)
            }
        }
    }
}

const MAX_INCLUDE_DEPTH: usize = 8;

/// Render STJ-form `text` at import time: import tags are evaluated, escaped tags lose their
/// backslashes and stay for the sync pass. Text included in `handlebars` mode is rendered with
/// the same arguments; every include is JSON-string-escaped (it always sits inside a JSON string).
pub fn render_import(text: &str, ctx: &dyn ImportContext) -> Result<Rendered, TemplateError> {
    render_import_depth(text, ctx, 0)
}

fn render_import_depth(text: &str, ctx: &dyn ImportContext, depth: usize) -> Result<Rendered, TemplateError> {
    // At import time an escaped `\{{` or `\}}` is literal text that loses its backslash; nothing
    // after it is parsed (it may be Groovy such as `\{{ -> 1 }}`). Mask the escapes (same length,
    // so offsets are unchanged) and scan only the unescaped tags.
    let masked = text.replace("\\{{", "   ").replace("\\}}", "   ");
    let scanned = scan(&masked, &[])?;
    let mut out = Rendered {
        text: String::with_capacity(text.len()),
        map: Vec::new(),
        missing_vars: Vec::new(),
    };
    let mut cond_stack: Vec<bool> = Vec::new(); // true = emitting
    let emitting = |stack: &Vec<bool>| stack.iter().all(|b| *b);
    let mut last = 0;
    for tag in &scanned.tags {
        if emitting(&cond_stack) {
            copy_literal(&mut out, text, last, tag.range.start);
        }
        last = tag.range.end;
        match tag.kind {
            TagKind::Comment => {}
            TagKind::BlockOpen => {
                let truthy = match (tag.head.as_str(), tag.args.first()) {
                    ("if", Some(a)) => is_truthy(ctx, a),
                    ("unless", Some(a)) => !is_truthy(ctx, a),
                    _ => {
                        return Err(TemplateError::new(
                            tag.range.clone(),
                            format!(
                                "`{{{{#{}}}}}` is not supported at import time; escape it for sync time or use `if`",
                                tag.head
                            ),
                        ))
                    }
                };
                cond_stack.push(truthy);
            }
            TagKind::Else => {
                if let Some(top) = cond_stack.last_mut() {
                    *top = !*top;
                }
            }
            TagKind::BlockClose => {
                cond_stack.pop();
            }
            TagKind::Partial => {
                return Err(TemplateError::new(
                    tag.range.clone(),
                    "partials are not supported in StackPack templates",
                ))
            }
            TagKind::Expr | TagKind::Raw => {
                if !emitting(&cond_stack) {
                    continue;
                }
                let value = eval_import(tag, ctx, depth, &mut out.missing_vars)?;
                out.map.push((out.text.len(), tag.range.start));
                out.text.push_str(&value);
            }
        }
    }
    if emitting(&cond_stack) {
        copy_literal(&mut out, text, last, text.len());
    }
    Ok(out)
}

/// Copy `text[from..to]` to the output, dropping the backslash of every `\{{` and `\}}`, and
/// record where each copied piece came from.
fn copy_literal(out: &mut Rendered, text: &str, from: usize, to: usize) {
    let segment = &text[from..to];
    let mut pos = 0;
    while let Some(i) = segment[pos..].find('\\').map(|i| i + pos) {
        let rest = &segment[i + 1..];
        if rest.starts_with("{{") || rest.starts_with("}}") {
            out.map.push((out.text.len(), from + pos));
            out.text.push_str(&segment[pos..i]);
            pos = i + 1;
        } else {
            out.map.push((out.text.len(), from + pos));
            out.text.push_str(&segment[pos..=i]);
            pos = i + 1;
        }
    }
    out.map.push((out.text.len(), from + pos));
    out.text.push_str(&segment[pos..]);
}

fn is_truthy(ctx: &dyn ImportContext, a: &Arg) -> bool {
    match a.kind {
        ArgKind::String => !a.text.is_empty(),
        ArgKind::Number => a.text.parse::<f64>().map(|n| n != 0.0).unwrap_or(false),
        _ => ctx.arg(&a.text).is_some_and(|v| !v.is_empty() && v != "false"),
    }
}

fn eval_import(
    tag: &Tag,
    ctx: &dyn ImportContext,
    depth: usize,
    missing: &mut Vec<(String, Range<usize>)>,
) -> Result<String, TemplateError> {
    let string_arg = |n: usize| -> Result<&str, TemplateError> {
        match tag.args.get(n) {
            Some(a) if a.kind == ArgKind::String => Ok(a.text.as_str()),
            Some(a) => Err(TemplateError::new(
                a.range.clone(),
                format!("`{}` expects a quoted string here", tag.head),
            )),
            None => Err(TemplateError::new(
                tag.range.clone(),
                format!("`{}` needs an argument", tag.head),
            )),
        }
    };
    match tag.head.as_str() {
        "get" => {
            let urn = string_arg(0)?;
            let selector = match tag.args.get(1) {
                Some(_) => Some(string_arg(1)?),
                None => None,
            };
            ctx.get(urn, selector).map(|id| id.to_string()).map_err(|m| {
                TemplateError::new(
                    tag.args.first().map(|a| a.range.clone()).unwrap_or(tag.range.clone()),
                    m,
                )
            })
        }
        "include" => {
            let path = string_arg(0)?;
            let encoding = match tag.args.get(1) {
                None => Encoding::Handlebars,
                Some(_) => match string_arg(1)? {
                    "handlebars" => Encoding::Handlebars,
                    "identity" => Encoding::Identity,
                    "base64" => Encoding::Base64,
                    other => {
                        return Err(TemplateError::new(
                            tag.args[1].range.clone(),
                            format!("unknown include encoding `{other}`; use handlebars, identity or base64"),
                        ))
                    }
                },
            };
            let arg_range = tag.args.first().map(|a| a.range.clone()).unwrap_or(tag.range.clone());
            let content = ctx
                .include(path, encoding)
                .map_err(|m| TemplateError::new(arg_range.clone(), m))?;
            let content = match encoding {
                Encoding::Handlebars => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(TemplateError::new(arg_range, "includes nested too deeply"));
                    }
                    render_import_depth(&content, ctx, depth + 1)
                        .map_err(|e| TemplateError::new(arg_range.clone(), format!("in `{path}`: {}", e.message)))?
                        .text
                }
                _ => content,
            };
            Ok(json_escape(&content))
        }
        _ if tag.args.is_empty() => match ctx.arg(&tag.head) {
            Some(v) => Ok(v),
            None => {
                missing.push((tag.head.clone(), tag.range.clone()));
                Ok(String::new())
            }
        },
        other => Err(TemplateError::new(
            tag.range.clone(),
            format!("helper `{other}` is not available at import time (only get, include and import arguments are)"),
        )),
    }
}

/// Escape text for the inside of a JSON string literal.
pub fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A simple [`ImportContext`] over maps: used by tests and by checks that render with sample
/// arguments. `get` returns a stable fake id for any URN accepted by `known`.
pub struct MapContext<'a> {
    pub args: HashMap<String, String>,
    pub files: &'a dyn Fn(&str, Encoding) -> Result<String, String>,
    pub known: &'a dyn Fn(&str) -> bool,
}

impl ImportContext for MapContext<'_> {
    fn arg(&self, name: &str) -> Option<String> {
        self.args.get(name).cloned()
    }
    fn get(&self, urn: &str, selector: Option<&str>) -> Result<i64, String> {
        if !(self.known)(urn) {
            return Err(format!(
                "`get` refers to `{urn}`, which no import of this pack or its dependencies creates"
            ));
        }
        // A stable positive id derived from the URN (FNV-1a), like a server-assigned node id.
        let mut h: u64 = 0xcbf29ce484222325;
        for b in urn.bytes().chain(selector.unwrap_or("").bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        Ok((h % 1_000_000_000_000) as i64 + 1)
    }
    fn include(&self, path: &str, encoding: Encoding) -> Result<String, String> {
        (self.files)(path, encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(p: &str, _: Encoding) -> Result<String, String> {
        Err(format!("no file {p}"))
    }
    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn classifies_import_and_sync_tags() {
        let t = r#"{"name": "{{ element.data.name }}", "i": "{{instanceName}}", "t": {{ get "component-type:host" }},
{{#if element.data.checks}}x{{else}}y{{/if}} {{#if instanceName}}a{{/if}}"#;
        let s = scan(t, &["instanceName"]).unwrap_or_default();
        let phases: Vec<_> = s.tags.iter().map(|t| (t.head.as_str(), t.phase)).collect();
        assert_eq!(
            phases,
            vec![
                ("element.data.name", Phase::Sync),
                ("instanceName", Phase::Import),
                ("get", Phase::Sync),
                ("if", Phase::Sync),
                ("", Phase::Sync),
                ("if", Phase::Sync),
                ("if", Phase::Import),
                ("if", Phase::Import),
            ]
        );
    }

    #[test]
    fn to_stj_escapes_sync_tags_and_expands_gets() {
        let t = r#"{"n": "{{ element.data.name }}", "i": "{{instanceName}}", "t": {{ get "component-type:host" }}, "c": {{ get "urn:stackpack:common:layer:machines" }}}"#;
        let s = scan(t, &["instanceName"]).unwrap_or_default();
        let expand = |x: &str| {
            if x.starts_with("urn:") {
                None
            } else {
                Some(format!("urn:stackpack:p:shared:{x}"))
            }
        };
        let out = to_stj(t, &s, &expand);
        assert_eq!(
            out,
            r#"{"n": "\{{ element.data.name \}}", "i": "{{instanceName}}", "t": \{{ get "urn:stackpack:p:shared:component-type:host" \}}, "c": \{{ get "urn:stackpack:common:layer:machines" \}}}"#
        );
        // The STJ form scans again, and its tags are all recognised as escaped or import.
        let again = scan(&out, &["instanceName"]).unwrap_or_default();
        assert_eq!(again.tags.iter().filter(|t| t.escaped).count(), 3);
    }

    #[test]
    fn unbalanced_blocks_are_located() {
        let t = "a\n{{#if x}}\nb\n";
        let e = scan(t, &[]).err().unwrap_or(TemplateError::new(0..0, ""));
        assert_eq!(&t[e.range.clone()], "{{#if x}}");
        assert!(e.message.contains("never closed"));
        let t = "{{#if x}}{{/each}}";
        let e = scan(t, &[]).err().unwrap_or(TemplateError::new(0..0, ""));
        assert_eq!(&t[e.range.clone()], "{{/each}}");
        let t = "x {{ a ";
        assert!(scan(t, &[]).is_err());
        let t = "\\{{#if x\\}} {{/if}}";
        let s = scan(t, &[]).unwrap_or_default();
        assert_eq!(s.warnings.len(), 1);
    }

    #[test]
    fn real_pack_syntax_scans() {
        let t = r#"\{{# join element.data.labels "," "" "," \}}{"name": "\{{ this \}}"}\{{/ join \}}
"type" : \{{ getOrCreate (identifier "urn:stackpack:sap:shared" "ComponentType" element.type.name ) (identifier "urn:system:auto" "ComponentType" "sap-generic-resource") "Type=ComponentType;Name=SAP generic resource" \}}"#;
        let s = scan(t, &[]);
        assert!(s.is_ok(), "{s:?}");
        let s = s.unwrap_or_default();
        assert_eq!(s.tags[0].head, "join");
        assert_eq!(s.tags[0].args.len(), 4);
        assert_eq!(get_targets(&s).len(), 0); // getOrCreate's first arg is a sub-expression here
    }

    #[test]
    fn render_import_evaluates_the_import_pass() {
        let files = |p: &str, e: Encoding| -> Result<String, String> {
            match (p, e) {
                ("./templates/c.json.handlebars", Encoding::Handlebars) => {
                    Ok("{\"name\": \"\\{{ element.name \\}}\", \"i\": \"{{instanceName}}\"}".to_string())
                }
                ("./scripts/a.groovy", Encoding::Identity) => Ok("return \"x\"\n".to_string()),
                _ => Err(format!("missing {p}")),
            }
        };
        let ctx = MapContext {
            args: [("instanceName".to_string(), "prod".to_string())].into_iter().collect(),
            files: &files,
            known: &any,
        };
        let stj = r#"{"nodes": [{"t": "{{ include "./templates/c.json.handlebars" }}", "s": "{{ include "./scripts/a.groovy" "identity" }}", "f": {{ get "urn:x" }}, "n": "{{instanceName}}", "m": "{{nope}}"}]}"#;
        let r = render_import(stj, &ctx);
        assert!(r.is_ok(), "{r:?}");
        let r = r.unwrap_or_else(|_| Rendered {
            text: String::new(),
            map: vec![],
            missing_vars: vec![],
        });
        let v: serde_json::Value = serde_json::from_str(&r.text).unwrap_or(serde_json::Value::Null);
        assert_eq!(
            v["nodes"][0]["t"],
            "{\"name\": \"{{ element.name }}\", \"i\": \"prod\"}"
        );
        assert_eq!(v["nodes"][0]["s"], "return \"x\"\n");
        assert!(v["nodes"][0]["f"].is_i64());
        assert_eq!(v["nodes"][0]["n"], "prod");
        assert_eq!(r.missing_vars.len(), 1);
        // Output offsets map back into the source.
        let n_out = r.text.find("\"n\"").unwrap_or(0);
        assert_eq!(&stj[r.source_offset(n_out)..r.source_offset(n_out) + 3], "\"n\"");
    }

    #[test]
    fn escaped_text_is_literal_at_import_time() {
        let ctx = MapContext {
            args: HashMap::new(),
            files: &no_files,
            known: &any,
        };
        // Groovy escaped for the default include mode: `\{{` is literal, never parsed.
        let r = render_import("def m = [a: \\{{ -> 1 }}]; \\{{ unclosed", &ctx).map(|r| r.text);
        assert_eq!(r.ok().as_deref(), Some("def m = [a: {{ -> 1 }}]; {{ unclosed"));
        let r = render_import("x \\{{#if a\\}}y\\{{/if\\}} \\n", &ctx).map(|r| r.text);
        assert_eq!(r.ok().as_deref(), Some("x {{#if a}}y{{/if}} \\n"));
    }

    #[test]
    fn render_import_reports_unknown_gets_and_missing_files() {
        let known = |u: &str| u == "urn:ok";
        let ctx = MapContext {
            args: HashMap::new(),
            files: &no_files,
            known: &known,
        };
        let e = render_import(r#"{"a": {{ get "urn:nope" }}}"#, &ctx).err();
        assert!(e.is_some_and(|e| e.message.contains("urn:nope")));
        let e = render_import(r#"{"a": "{{ include "./x" }}"}"#, &ctx).err();
        assert!(e.is_some_and(|e| e.message.contains("no file")));
    }
}
