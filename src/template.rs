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
    /// What to do, when it differs from the finding's usual advice.
    pub help: Option<&'static str>,
}

impl TemplateError {
    fn new(range: Range<usize>, message: impl Into<String>) -> Self {
        TemplateError {
            range,
            message: message.into(),
            help: None,
        }
    }
}

/// Result of [`scan`].
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    pub tags: Vec<Tag>,
    /// Suspicious but accepted constructs (a block opened escaped and closed unescaped, …).
    pub warnings: Vec<TemplateError>,
    /// Tags inside a sync-time block whose first path is also an import-time variable
    /// (`{{ host }}` inside `{{#join element.x}}` when a provisioning step is named `host`): they
    /// are evaluated at sync time, per element, not frozen at import time. `(variable, tag range)`.
    pub shadowed: Vec<(String, Range<usize>)>,
}

const BLOCK_HELPERS_OVER_DATA: [&str; 5] = ["if", "unless", "each", "with", "join"];

/// Most arguments a tag may have, and the longest tag, before it is refused: real templates stay
/// far below both (the longest tag in the published packs has 5 arguments and 200 bytes), and
/// the bounds keep the Handlebars check of each tag small.
pub const MAX_TAG_ARGS: usize = 256;
pub const MAX_TAG_BYTES: usize = 16 * 1024;
/// Deepest block nesting accepted (`{{#if}}` inside `{{#each}}` …), and the deepest nesting of
/// sub-expressions inside one tag.
pub const MAX_BLOCK_DEPTH: usize = 256;
/// A tag is handed to the `handlebars` crate for a syntax check only while it has at most this
/// many hash arguments: its parser backtracks over hash arguments and takes exponential time
/// in their number (30 do not finish). Longer tags are checked by our own tokenizer only.
const HANDLEBARS_MAX_HASH_ARGS: usize = 8;

/// How many times the Handlebars parser was called, summed over the process (for the linearity
/// guard, `tests/linear_cost.rs`: work is counted, not timed).
pub static HANDLEBARS_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Bytes handed to the Handlebars parser, summed over the process.
pub static HANDLEBARS_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// The longest text handed to the Handlebars parser in one call (its parser is quadratic in the
/// text it gets, through `pest`'s line/column lookups: it must only ever see one bounded tag).
pub static HANDLEBARS_MAX_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Bytes the tag scanner examined (delimiter searches), summed over the process: a scan that
/// searched from the start again for each tag would show here.
pub static SCANNED_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Number of backslashes directly before `pos`.
fn backslashes_before(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos].iter().rev().take_while(|b| **b == b'\\').count()
}

/// Tokenise `text`, check block balance and Handlebars syntax, and classify every tag.
///
/// `import_vars` are the variables that exist at import time (`instanceId`, `topicName`, step
/// names …): a tag whose first path is one of them, and every `include`, runs at import time —
/// unless it sits inside a sync-time block written unescaped, where every tag is sync-time.
///
/// Escapes follow the Handlebars lexer: one backslash before `{{` escapes the tag (`\{{ x \}}`
/// is literal text at import time); two or more (`\\{{ x }}`, an escaped backslash in JSON)
/// do not: the tag is live and the lexer drops one backslash.
///
/// Cost is linear in the text: one pass over the tags, a bounded check per tag.
pub fn scan(text: &str, import_vars: &[&str]) -> Result<Scanned, TemplateError> {
    let mut tags = Vec::new();
    let mut warnings = Vec::new();
    let mut shadowed = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    // Open blocks: (helper, phase, escaped, range of the opening tag).
    let mut stack: Vec<(String, Phase, bool, Range<usize>)> = Vec::new();
    while let Some(pos) = find(bytes, i, b"{{") {
        // Inferred: Handlebars.java lexes `\{{` and `\\{{` as handlebars.js does (only a single
        // backslash escapes); no published pack writes a backslash before a tag.
        let escaped = backslashes_before(bytes, pos) == 1;
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
        if end - start > MAX_TAG_BYTES && !is_long_comment {
            return Err(TemplateError::new(
                start..(start + 2).min(text.len()),
                format!("tag is {} bytes long (at most {MAX_TAG_BYTES}); split it", end - start),
            ));
        }
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
        let enclosing = stack.last().map(|(_, p, e, _)| (*p, *e));
        tag.phase = classify(&tag, import_vars, enclosing);
        if tag.phase == Phase::Sync && !tag.escaped && matches!(enclosing, Some((Phase::Sync, false))) {
            // Would have been import-time outside the block: say so (the author may have meant
            // the import variable).
            if classify(&tag, import_vars, None) == Phase::Import {
                if let Some(var) = import_var_of(&tag, import_vars) {
                    shadowed.push((var.to_string(), tag.range.clone()));
                }
            }
        }
        if !tag.escaped && tag.kind != TagKind::Comment && backslashes_before(bytes, start) >= 2 {
            let n = backslashes_before(bytes, start);
            if n % 2 == 1 {
                let mut w = TemplateError::new(
                    start - n..end,
                    format!(
                        "{n} backslashes before a tag: the last one escapes nothing (JSON has no `\\{{` \
                         escape) and Handlebars drops one of them"
                    ),
                );
                w.help = Some(
                    "write each literal backslash as `\\\\` (an even number of backslashes before `{{`): the compiler keeps them; a single `\\` before `{{` escapes the tag",
                );
                warnings.push(w);
            }
        }
        if tag.kind != TagKind::Comment {
            check_tag_syntax(text, &tag)?;
        }
        match tag.kind {
            TagKind::BlockOpen => {
                if stack.len() >= MAX_BLOCK_DEPTH {
                    return Err(TemplateError::new(
                        tag.range.clone(),
                        format!("blocks are nested more than {MAX_BLOCK_DEPTH} deep; flatten the template"),
                    ));
                }
                stack.push((tag.head.clone(), tag.phase, tag.escaped, tag.range.clone()))
            }
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
    Ok(Scanned {
        tags,
        warnings,
        shadowed,
    })
}

/// The import variable a tag reads (its head, or the first argument of a block over data).
/// `this.x` and `./x` say explicitly that the element's field is meant: not reported.
fn import_var_of<'t>(tag: &'t Tag, import_vars: &[&str]) -> Option<&'t str> {
    let explicit = |p: &str| p.starts_with("this.") || p.starts_with("./");
    let var = if tag.args.is_empty() && tag.kind != TagKind::BlockOpen {
        Some(tag.head.as_str()).filter(|h| !explicit(h)).map(root_of)?
    } else {
        tag.args
            .first()
            .filter(|a| a.kind == ArgKind::Path && !explicit(&a.text))
            .map(|a| root_of(&a.text))?
    };
    import_vars.contains(&var).then_some(var)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    memfind(&hay[from..], needle).map(|p| p + from)
}

/// First occurrence of `needle` (2–4 bytes) in `hay`, scanning for its first byte.
fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = 0;
    let found = loop {
        let Some(p) = hay[at..].iter().position(|b| *b == first) else {
            break None;
        };
        let p = at + p;
        if hay[p..].starts_with(needle) {
            break Some(p);
        }
        at = p + 1;
    };
    SCANNED_BYTES.fetch_add(
        found.map_or(hay.len(), |p| p + needle.len()),
        std::sync::atomic::Ordering::Relaxed,
    );
    found
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
/// One pass over the tag: linear in its length.
fn tokenize(text: &str, inner: &str, offset: usize) -> Result<Vec<Arg>, TemplateError> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some((arg, next)) = next_token(inner, offset, i, true)? {
        if out.len() >= MAX_TAG_ARGS {
            return Err(TemplateError::new(
                arg.range,
                format!("tag has more than {MAX_TAG_ARGS} arguments; split it"),
            ));
        }
        out.push(arg);
        i = next;
    }
    let _ = text;
    Ok(out)
}

/// The argument starting at or after `i` in `inner`, and where the next one may start.
/// `hash`: whether `key=value` is allowed here (not inside a hash value).
fn next_token(inner: &str, offset: usize, mut i: usize, hash: bool) -> Result<Option<(Arg, usize)>, TemplateError> {
    let b = inner.as_bytes();
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if i >= b.len() {
        return Ok(None);
    }
    let c = b[i];
    let start = i;
    if c == b'"' || c == b'\'' {
        let mut j = i + 1;
        let mut value = String::new();
        while j < b.len() && b[j] != c {
            if b[j] == b'\\' && j + 1 < b.len() {
                j += 1;
            }
            let ch_len = utf8_len(b[j]);
            value.push_str(inner.get(j..(j + ch_len).min(inner.len())).unwrap_or(""));
            j += ch_len;
        }
        if j >= b.len() {
            return Err(TemplateError::new(
                offset + start..offset + inner.len(),
                "string literal is never closed",
            ));
        }
        return Ok(Some((
            Arg {
                text: value,
                range: offset + start..offset + j + 1,
                kind: ArgKind::String,
            },
            j + 1,
        )));
    }
    if c == b'(' {
        let mut depth = 0usize;
        let mut j = i;
        let mut quote: Option<u8> = None;
        while j < b.len() {
            match (quote, b[j]) {
                (Some(q), x) if x == q => quote = None,
                (Some(_), _) => {}
                (None, b'"') | (None, b'\'') => quote = Some(b[j]),
                (None, b'(') => {
                    depth += 1;
                    if depth > MAX_BLOCK_DEPTH {
                        return Err(TemplateError::new(
                            offset + j..offset + j + 1,
                            format!("sub-expressions are nested more than {MAX_BLOCK_DEPTH} deep"),
                        ));
                    }
                }
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
        return Ok(Some((
            Arg {
                text: inner[start..=j].to_string(),
                range: offset + start..offset + j + 1,
                kind: ArgKind::SubExpr,
            },
            j + 1,
        )));
    }
    let mut j = i;
    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'(' {
        if b[j] == b'=' {
            if !hash {
                return Err(TemplateError::new(
                    offset + j..offset + j + 1,
                    "unexpected `=` in the value of a hash argument",
                ));
            }
            // key=value: take the value too (a string, number, path or sub-expression).
            let Some((v, next)) = next_token(inner, offset, j + 1, false)? else {
                return Err(TemplateError::new(
                    offset + start..offset + j + 1,
                    "hash argument `key=` has no value",
                ));
            };
            let end = v.range.end - offset;
            return Ok(Some((
                Arg {
                    text: inner[start..end].to_string(),
                    range: offset + start..offset + end,
                    kind: ArgKind::Hash,
                },
                next,
            )));
        }
        j += 1;
    }
    let word = &inner[start..j];
    let kind = if word.parse::<f64>().is_ok() {
        ArgKind::Number
    } else {
        ArgKind::Path
    };
    Ok(Some((
        Arg {
            text: word.to_string(),
            range: offset + start..offset + j,
            kind,
        },
        j,
    )))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The phase of a tag. `enclosing`: the phase of the innermost open block and whether it was
/// written escaped.
fn classify(tag: &Tag, import_vars: &[&str], enclosing: Option<(Phase, bool)>) -> Phase {
    if tag.escaped {
        return Phase::Sync;
    }
    match tag.kind {
        TagKind::Comment => Phase::Import,
        TagKind::Else | TagKind::BlockClose => enclosing.map_or(Phase::Sync, |(p, _)| p),
        TagKind::Partial => Phase::Sync,
        TagKind::Expr | TagKind::Raw | TagKind::BlockOpen => {
            if tag.head == "include" {
                return Phase::Import;
            }
            // Inside a sync-time block written unescaped (author form), every tag is evaluated
            // per element at sync time, whatever its name: the compiler escapes it with the
            // block. (Inside an escaped block, STJ form, an unescaped tag really does run at
            // import time: the server's import pass sees it.)
            if enclosing == Some((Phase::Sync, false)) {
                return Phase::Sync;
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

thread_local! {
    /// Tags (as handed to the parser) that parsed: see [`check_tag_syntax`].
    static VALID: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

/// Forget which tags were already found valid on this thread (the linearity guard measures
/// each run from an empty cache).
pub fn forget_checked_tags() {
    VALID.with(|v| v.borrow_mut().clear());
}

/// Check one tag's Handlebars syntax with the `handlebars` crate, on a template made of that tag
/// alone (a block opening gets its closing tag, an `else` an enclosing `if`), so the parser's
/// cost is bounded by the tag, not the file. Tags with many hash arguments are checked by our
/// tokenizer only (see [`HANDLEBARS_MAX_HASH_ARGS`]).
fn check_tag_syntax(text: &str, tag: &Tag) -> Result<(), TemplateError> {
    use std::sync::atomic::Ordering;
    if tag.args.iter().filter(|a| a.kind == ArgKind::Hash).count() > HANDLEBARS_MAX_HASH_ARGS {
        return Ok(());
    }
    if plainly_valid(text, tag) {
        return Ok(());
    }
    let Some(src) = text.get(tag.range.clone()) else {
        return Ok(());
    };
    // An escaped tag is checked as the tag the sync pass sees (`\\{{ x \\}}` → `{{ x }}`); the
    // closing backslash is replaced by a space so offsets still match.
    let owned;
    let src = if tag.escaped {
        let body = src.strip_prefix('\\').unwrap_or(src);
        owned = match body.len().checked_sub(3).filter(|&k| body[k..].starts_with("\\}}")) {
            Some(k) => format!("{} {}", &body[..k], &body[k + 1..]),
            None => body.to_string(),
        };
        owned.as_str()
    } else {
        src
    };
    let skew = usize::from(tag.escaped);
    let (prefix, suffix) = match tag.kind {
        TagKind::BlockOpen => ("", format!("{{{{/{}}}}}", tag.head)),
        TagKind::Else => ("{{#if x}}", "{{/if}}".to_string()),
        TagKind::BlockClose => return Ok(()),
        _ => ("", String::new()),
    };
    let one = format!("{prefix}{src}{suffix}");
    // Templates repeat the same tags (`{{ element.data.name }}` in every template, the same
    // `get` in every node): a tag that parsed once parses again. Bounded: cleared when full.
    if VALID.with(|v| v.borrow().contains(&one)) {
        return Ok(());
    }
    HANDLEBARS_CALLS.fetch_add(1, Ordering::Relaxed);
    HANDLEBARS_BYTES.fetch_add(one.len(), Ordering::Relaxed);
    HANDLEBARS_MAX_BYTES.fetch_max(one.len(), Ordering::Relaxed);
    match handlebars::Template::compile(&one) {
        Ok(_) => {
            VALID.with(|v| {
                let mut v = v.borrow_mut();
                if v.len() >= 65_536 {
                    v.clear();
                }
                v.insert(one);
            });
            Ok(())
        }
        Err(e) => {
            // Offsets inside the one-tag template map back by the tag's start.
            let at = match e.pos() {
                Some((line, col)) => line_col_in(&one, line, col).saturating_sub(prefix.len()) + skew,
                None => 0,
            };
            let offset = (tag.range.start + at).min(tag.range.end.saturating_sub(1));
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

/// Whether a tag is in the plain subset every Handlebars parser accepts, so the parser need not
/// be asked: an expression, block opening or closing whose words are simple paths
/// (`element.data.name`, `this`, `../x`, `@index`), plain string literals (no backslash) or
/// integers, separated by blanks. Anything else (sub-expressions, hashes, `~`, escapes in
/// strings, odd characters) goes to the parser.
fn plainly_valid(text: &str, tag: &Tag) -> bool {
    if !matches!(tag.kind, TagKind::Expr | TagKind::BlockOpen | TagKind::BlockClose) {
        return false;
    }
    let Some(inner) = text.get(tag.inner.clone()) else {
        return false;
    };
    if tag.head.is_empty() || tag.head == "else" || text.get(tag.range.clone()).is_none_or(|t| t.contains('~')) {
        return false;
    }
    let b = inner.as_bytes();
    let mut i = 0;
    let mut words = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' => {
                let Some(end) = b[i + 1..].iter().position(|c| *c == b'"') else {
                    return false;
                };
                if b[i + 1..i + 1 + end]
                    .iter()
                    .any(|c| *c == b'\\' || *c == b'\'' || *c == b'{' || *c == b'}')
                {
                    return false;
                }
                if words == 0 {
                    return false; // a literal as the helper name
                }
                i += end + 2;
                words += 1;
                if i < b.len() && !b[i].is_ascii_whitespace() {
                    return false;
                }
            }
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let word = &inner[start..i];
                let ok = if words == 0 {
                    simple_path(word)
                } else {
                    simple_path(word) || (word.bytes().all(|c| c.is_ascii_digit()) && word.len() < 10)
                };
                if !ok {
                    return false;
                }
                words += 1;
            }
        }
    }
    words > 0
}

/// `a`, `a.b-c`, `a/b`, `this`, `this.x`, `../x`, `@index`: segments of ASCII letters, digits,
/// `_` and `-` that start with a letter or `_`, the first one optionally `@`-prefixed.
fn simple_path(word: &str) -> bool {
    let mut rest = word;
    while let Some(r) = rest.strip_prefix("../") {
        rest = r;
    }
    let rest = rest.strip_prefix('@').unwrap_or(rest);
    !rest.is_empty()
        && rest.split(['.', '/']).all(|seg| {
            let mut c = seg.bytes();
            c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == b'_')
                && c.all(|x| x.is_ascii_alphanumeric() || x == b'_' || x == b'-')
        })
        && !matches!(rest, "true" | "false" | "null" | "undefined" | "as" | "else")
}

/// Byte offset of 1-based `line`/`col` in a short text (one tag).
fn line_col_in(text: &str, line: usize, col: usize) -> usize {
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
    let bytes = text.as_bytes();
    for tag in &scanned.tags {
        let before = backslashes_before(bytes, tag.range.start).min(tag.range.start - last);
        if !tag.escaped && tag.kind != TagKind::Comment && before >= 2 && before.is_multiple_of(2) {
            // `\\{{ x }}`: an escaped backslash (JSON) before a live tag. Handlebars would drop
            // one backslash (and, escaped for sync, `\\\{{` is not an escape at all), so the
            // JSON escape is rewritten as `\u005c`, the same character, that no lexer touches.
            out.push_str(&text[last..tag.range.start - 2]);
            out.push_str("\\u005c");
        } else {
            out.push_str(&text[last..tag.range.start]);
        }
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
        } else if tag.escaped && !matches!(tag.kind, TagKind::Comment | TagKind::Raw) && !body.ends_with("\\}}") {
            // `\{{ x }}`, opened escaped and closed unescaped (SP305). The import pass gives
            // `{{ x }}` either way, so the archive means the same with the closing braces
            // escaped too: the balanced form the published packs use and classic lint accepts
            // (unbalanced, it is SP726).
            out.push_str(body.strip_suffix("}}").unwrap_or(&body));
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
    /// Every `include … "identity"` of the rendered text itself (not of files it includes in
    /// `handlebars` mode: their output is JSON-escaped as a whole), in source order.
    pub identity_includes: Vec<IdentityInclude>,
}

/// An `include "<path>" "identity"` met by [`render_import`]. The reference (§5) says identity
/// text is "simply included as text"; nothing public says it is JSON-escaped inside a JSON
/// string, and no published pack puts it there. So it is included verbatim, except where that
/// would not be JSON at all (see [`IdentityInclude::breaks_string`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInclude {
    /// The include tag in the source text.
    pub range: Range<usize>,
    /// The path as written (relative to `provisioning/`).
    pub path: String,
    /// The tag stands inside a JSON string of the rendered output.
    pub in_string: bool,
    /// Inside a JSON string, the verbatim text would end the string or hold a character JSON
    /// forbids there (`"`, `\`, a control character or newline): the output would not be JSON.
    /// There the text is rendered JSON-escaped instead, so that callers checking the output can
    /// go on analysing the node; they must report the include themselves (classic lint: SP743).
    pub breaks_string: bool,
}

/// Whether `text`, inserted verbatim inside a JSON string literal, would not leave exactly that
/// text in a valid string: a `"` ends it, a `\` starts an escape, control characters (newlines
/// included) are not allowed.
pub fn breaks_json_string(text: &str) -> bool {
    first_json_string_breaker(text).is_some()
}

/// The first byte offset of `text` that [`breaks_json_string`] objects to.
pub fn first_json_string_breaker(text: &str) -> Option<usize> {
    text.bytes().position(|b| b == b'"' || b == b'\\' || b < 0x20)
}

/// Whether the end of a growing JSON text is inside a string literal, advanced incrementally so
/// that asking at every include costs linear time in total.
#[derive(Default)]
struct JsonCursor {
    upto: usize,
    inside: bool,
    escaped: bool,
}

impl JsonCursor {
    fn inside_at_end(&mut self, text: &str) -> bool {
        for &b in text.as_bytes().get(self.upto..).unwrap_or_default() {
            if self.escaped {
                self.escaped = false;
            } else if self.inside && b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.inside = !self.inside;
            }
        }
        self.upto = text.len();
        self.inside
    }
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
    let masked = mask_escapes(text);
    let scanned = scan(&masked, &[])?;
    let mut out = Rendered {
        // Includes make the output larger than the source: room for a quarter more, so that a
        // large file is not copied into a buffer twice its size halfway through.
        text: String::with_capacity(text.len() + text.len() / 4),
        map: Vec::new(),
        missing_vars: Vec::new(),
        identity_includes: Vec::new(),
    };
    let mut json = JsonCursor::default();
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
                // Only the top-level text is JSON; included `handlebars` text is one string's content.
                let in_string = depth == 0 && tag.head == "include" && json.inside_at_end(&out.text);
                let value = eval_import(tag, ctx, depth, in_string, &mut out)?;
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

/// `text` with every escape `\\{{` / `\\}}` (exactly one backslash) replaced by three spaces.
fn mask_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    // Most templates have no escape at all: no copy of a multi-megabyte file for them.
    if !text.contains("\\{{") && !text.contains("\\}}") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut run = 0usize;
    for i in 0..bytes.len() {
        if bytes[i] == b'\\' {
            run += 1;
            if run == 1 && (bytes[i + 1..].starts_with(b"{{") || bytes[i + 1..].starts_with(b"}}")) {
                let single = bytes.get(i + 1).is_some() && (i == 0 || text.as_bytes()[i - 1] != b'\\');
                if single {
                    bytes[i..i + 3].copy_from_slice(b"   ");
                    run = 0;
                }
            }
        } else {
            run = 0;
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes: still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| text.to_string()))
}

/// Copy `text[from..to]` to the output, dropping the backslash of every escape `\\{{` and
/// `\\}}`, and one backslash of a run of two or more before the live tag at `to` (as the
/// Handlebars lexer does), and record where each copied piece came from.
fn copy_literal(out: &mut Rendered, text: &str, from: usize, to: usize) {
    let segment = &text[from..to];
    let sb = segment.as_bytes();
    let mut pos = 0;
    let mut i = 0;
    while i < sb.len() {
        if sb[i] == b'\\'
            && (sb[i + 1..].starts_with(b"{{") || sb[i + 1..].starts_with(b"}}"))
            && (i == 0 || sb[i - 1] != b'\\')
        {
            out.map.push((out.text.len(), from + pos));
            out.text.push_str(&segment[pos..i]);
            pos = i + 1;
        }
        i += 1;
    }
    let live_tag_follows = text.as_bytes()[to..].starts_with(b"{{");
    let mut end = sb.len();
    if live_tag_follows && end >= pos + 2 && sb[end - 1] == b'\\' && sb[end - 2] == b'\\' {
        end -= 1;
    }
    out.map.push((out.text.len(), from + pos));
    out.text.push_str(&segment[pos..end]);
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
    in_string: bool,
    out: &mut Rendered,
) -> Result<String, TemplateError> {
    let missing = &mut out.missing_vars;
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
                Encoding::Identity => {
                    let breaks_string = in_string && breaks_json_string(&content);
                    if depth == 0 {
                        out.identity_includes.push(IdentityInclude {
                            range: tag.range.clone(),
                            path: path.to_string(),
                            in_string,
                            breaks_string,
                        });
                    }
                    // Verbatim: nothing proves more. Where verbatim text cannot be JSON (a `"`
                    // or newline inside a string), the escaped form stands in so that the rest
                    // of the file can still be analysed; the caller reports the include.
                    return Ok(if breaks_string { json_escape(&content) } else { content });
                }
                Encoding::Base64 => content,
            };
            // Inferred (reference §5): `handlebars` output inside a JSON string is JSON-escaped
            // (multi-line Groovy with `"` works in every published pack).
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
    json_escape_into(&mut out, s);
    out
}

/// Append `s` escaped for the inside of a JSON string literal (the one escaping routine of the
/// crate: STJ emission and the import pass both use it).
pub fn json_escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
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

    /// `\{{ x }}` (SP305) is written `\{{ x \}}`: the import pass gives the same `{{ x }}`
    /// for both, and only the balanced form passes classic lint (SP726).
    #[test]
    fn to_stj_balances_a_tag_opened_escaped() {
        let t = r#"{"a": "\{{ element.type.name }}", "b": "\{{ element.x \}}", "c": "{{ element.y }}"}"#;
        let s = scan(t, &[]).unwrap_or_default();
        let out = to_stj(t, &s, &|_| None);
        assert_eq!(
            out,
            r#"{"a": "\{{ element.type.name \}}", "b": "\{{ element.x \}}", "c": "\{{ element.y \}}"}"#
        );
        assert!(scan(&out, &[]).is_ok_and(|s| s.warnings.is_empty()));
        let ctx = MapContext {
            args: HashMap::new(),
            files: &no_files,
            known: &any,
        };
        // The import pass: the same text from the unbalanced and the balanced escape (the
        // author-form `c` is a live tag before `to_stj`, so it is left out of the comparison).
        let (t, out) = (
            t.replace(r#", "c": "{{ element.y }}""#, ""),
            out.replace(r#", "c": "\{{ element.y \}}""#, ""),
        );
        let before = render_import(&t, &ctx).map(|r| r.text).map_err(|e| e.message);
        let after = render_import(&out, &ctx).map(|r| r.text).map_err(|e| e.message);
        assert_eq!(
            before,
            Ok(r#"{"a": "{{ element.type.name }}", "b": "{{ element.x }}"}"#.to_string())
        );
        assert_eq!(before, after);
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
            identity_includes: vec![],
        });
        let v: serde_json::Value = serde_json::from_str(&r.text).unwrap_or(serde_json::Value::Null);
        assert_eq!(
            v["nodes"][0]["t"],
            "{\"name\": \"{{ element.name }}\", \"i\": \"prod\"}"
        );
        // Verbatim, `return "x"` and its newline would end the string: the escaped form stands in
        // (so the output is still JSON) and the include is recorded as breaking it.
        assert_eq!(v["nodes"][0]["s"], "return \"x\"\n");
        let at = stj.find("{{ include \"./scripts/a.groovy\"").unwrap_or(0);
        assert_eq!(
            r.identity_includes,
            [IdentityInclude {
                range: at..at + "{{ include \"./scripts/a.groovy\" \"identity\" }}".len(),
                path: "./scripts/a.groovy".into(),
                in_string: true,
                breaks_string: true,
            }]
        );
        assert!(v["nodes"][0]["f"].is_i64());
        assert_eq!(v["nodes"][0]["n"], "prod");
        assert_eq!(r.missing_vars.len(), 1);
        // Output offsets map back into the source.
        let n_out = r.text.find("\"n\"").unwrap_or(0);
        assert_eq!(&stj[r.source_offset(n_out)..r.source_offset(n_out) + 3], "\"n\"");
    }

    /// `"identity"` text is included as it is (nothing public says it is JSON-escaped): raw JSON
    /// outside a string, and a string body that needs no escaping, come out verbatim.
    #[test]
    fn identity_includes_are_verbatim() {
        let files = |p: &str, _: Encoding| -> Result<String, String> {
            Ok(match p {
                "./a.json" => "{\"k\": [1, 2]}".to_string(),
                "./name.txt" => "plain name".to_string(),
                "./t.handlebars" => "a {{ include \"./b.txt\" \"identity\" }}".to_string(),
                "./b.txt" => "say \"hi\"\n".to_string(),
                _ => return Err(format!("no file {p}")),
            })
        };
        let ctx = MapContext {
            args: HashMap::new(),
            files: &files,
            known: &any,
        };
        let stj = r#"{"raw": {{ include "./a.json" "identity" }}, "n": "{{ include "./name.txt" "identity" }}", "q": "x\"{", "h": "{{ include "./t.handlebars" }}"}"#;
        let r = render_import(stj, &ctx).map_err(|e| e.message);
        let Ok(r) = r else { panic!("{r:?}") };
        assert_eq!(
            r.text,
            r#"{"raw": {"k": [1, 2]}, "n": "plain name", "q": "x\"{", "h": "a say \"hi\"\n"}"#
        );
        let seen: Vec<(&str, bool, bool)> = r
            .identity_includes
            .iter()
            .map(|i| (i.path.as_str(), i.in_string, i.breaks_string))
            .collect();
        // The one inside the handlebars include is part of that string's escaped content.
        assert_eq!(seen, [("./a.json", false, false), ("./name.txt", true, false)]);
        assert!(breaks_json_string("a\nb") && breaks_json_string("\\d") && breaks_json_string("\""));
        assert!(!breaks_json_string("plain {{ text }} é"));
        assert_eq!(first_json_string_breaker("ab\tc"), Some(2));
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

    #[test]
    fn hostile_tags_finish_fast_or_stop_with_an_error() {
        use std::time::{Duration, Instant};
        let quick = |t: &str| {
            let started = Instant::now();
            let r = scan(t, &["instanceName"]);
            (r, started.elapsed())
        };
        // 30 hash arguments: the Handlebars parser is exponential in them; ours is not.
        let t = format!("{{{{get \"x\" {}}}}}", "k=1 ".repeat(30));
        let (r, took) = quick(&t);
        assert!(r.is_ok(), "{r:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert_eq!(r.map(|s| s.tags[0].args.len()).ok(), Some(31));
        // 100 000 arguments: refused (no stack overflow, no quadratic re-tokenising).
        let t = format!("{{{{get \"x\" {}}}}}", "k=1 ".repeat(100_000));
        let (r, took) = quick(&t);
        assert!(r.is_err_and(|e| e.message.contains("bytes long") || e.message.contains("arguments")));
        assert!(took < Duration::from_secs(2), "{took:?}");
        // 100 000 expressions: linear.
        let t = "{{ element.data.name }} x\n".repeat(100_000);
        let (r, took) = quick(&t);
        assert_eq!(r.map(|s| s.tags.len()).ok(), Some(100_000));
        assert!(took < Duration::from_secs(20), "{took:?}");
        // 20 000 nested blocks: refused at the depth limit.
        let t = "{{#if element.x}}".repeat(20_000) + &"{{/if}}".repeat(20_000);
        let (r, took) = quick(&t);
        assert!(r.is_err_and(|e| e.message.contains("nested more than")));
        assert!(took < Duration::from_secs(2), "{took:?}");
        // Nested sub-expressions and a hash value that is itself a hash.
        let t = format!("{{{{ a {}x{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(scan(&t, &[]).is_err());
        assert!(scan("{{ a k=v=w }}", &[]).is_err());
        assert!(scan("{{ a k= }}", &[]).is_err());
    }

    #[test]
    fn syntax_errors_are_still_found_per_tag() {
        for (t, at) in [
            ("ok {{ a }}\n{{ b c = }} x", 11),
            ("{{#if a}}{{ x y \\}} {{/if}}", 9),
            ("\\{{ a ( \\}}", 0),
        ] {
            let e = scan(t, &[]).err();
            assert!(e.as_ref().is_some_and(|e| e.range.start >= at), "{t:?}: {e:?}");
        }
        assert!(scan("{{#each element.xs}}{{ this }}{{else}}none{{/each}}", &[]).is_ok());
        assert!(scan("{{#if a}}1{{else if b}}2{{/if}}", &[]).is_ok());
    }

    #[test]
    fn tags_inside_sync_blocks_are_sync_time() {
        let vars = ["host", "instanceName", "topicName", "instanceId", "env"];
        let t = r#"{{#join element.data.hosts ","}}"{{ host }}-{{ instanceName }}-{{#if env}}e{{/if}}"{{/join}} {{ host }} {{ include "./a" }}"#;
        let s = scan(t, &vars).unwrap_or_default();
        let phases: Vec<_> = s.tags.iter().map(|t| (t.head.as_str(), t.phase)).collect();
        assert_eq!(
            phases,
            vec![
                ("join", Phase::Sync),
                ("host", Phase::Sync),
                ("instanceName", Phase::Sync),
                ("if", Phase::Sync),
                ("if", Phase::Sync),
                ("join", Phase::Sync),
                ("host", Phase::Import),
                ("include", Phase::Import),
            ]
        );
        let shadowed: Vec<_> = s.shadowed.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(shadowed, vec!["host", "instanceName", "env"]);
        let explicit = scan(r#"{{#each element.xs}}{{ this.host }}{{ ./host }}{{/each}}"#, &vars);
        assert!(explicit.is_ok_and(|s| s.shadowed.is_empty()));
        // Compiled: the whole block is escaped for sync time, the outer `host` is not.
        let out = to_stj(t, &s, &|_| None);
        assert!(out.contains(r#"\{{ host \}}-\{{ instanceName \}}"#), "{out}");
        assert!(out.ends_with(r#"\{{/join\}} {{ host }} {{ include "./a" }}"#), "{out}");
        // An escaped block (STJ form): an unescaped tag inside really runs at import time.
        let t = r#"\{{#join element.x ","\}}{{ host }}\{{/join\}}"#;
        let s = scan(t, &vars).unwrap_or_default();
        assert_eq!(s.tags[1].phase, Phase::Import);
        assert!(s.shadowed.is_empty());
    }

    #[test]
    fn an_escaped_backslash_before_a_tag_is_not_an_escape() {
        // `\\{{ x }}` in a JSON template is a literal backslash, then a live tag.
        let t = r#"{"p": "C:\\{{ element.dir }}", "q": "\\{{ instanceName }}"}"#;
        let s = scan(t, &["instanceName"]).unwrap_or_default();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert_eq!(s.tags.len(), 2);
        assert!(s.tags.iter().all(|t| !t.escaped));
        assert_eq!(s.tags[0].phase, Phase::Sync);
        assert_eq!(s.tags[1].phase, Phase::Import);
        // Compiled, the backslash is written `\u005c`, which no Handlebars lexer touches.
        let out = to_stj(t, &s, &|_| None);
        assert_eq!(
            out,
            r#"{"p": "C:\u005c\{{ element.dir \}}", "q": "\u005c{{ instanceName }}"}"#
        );
        // Rendered at import time, the result is JSON and still holds the backslash.
        let ctx = MapContext {
            args: [("instanceName".to_string(), "prod".to_string())].into_iter().collect(),
            files: &no_files,
            known: &any,
        };
        let r = render_import(&out, &ctx).map(|r| r.text).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&r).unwrap_or(serde_json::Value::Null);
        assert_eq!(v["q"], "\\prod");
        assert_eq!(v["p"], "C:\\{{ element.dir }}");
        // STJ text as the server's lexer sees it: one backslash escapes, two do not (and one
        // of them is dropped).
        let r = render_import(r#"a\{{ x \}} b\\{{ instanceName }}"#, &ctx).map(|r| r.text);
        assert_eq!(r.ok().as_deref(), Some(r#"a{{ x }} b\prod"#));
    }

    #[test]
    fn the_plain_subset_is_accepted_by_handlebars() {
        let samples = [
            "{{ element.data.name }}",
            "{{ get \"urn:stackpack:x:shared:component-type:host\" }}",
            "{{#if element.data.x}}{{/if}}",
            "{{#each element.data.tags}}{{ this }} {{ @index }} {{ ../name }}{{/each}}",
            "{{ join element.data.labels \",\" \"\" 3 }}",
            "{{ a-b.c_d/e }}",
        ];
        for t in samples {
            let s = scan(t, &[]).unwrap_or_default();
            for tag in &s.tags {
                if plainly_valid(t, tag) {
                    let one = match tag.kind {
                        TagKind::BlockOpen => format!("{}{{{{/{}}}}}", &t[tag.range.clone()], tag.head),
                        TagKind::BlockClose => continue,
                        _ => t[tag.range.clone()].to_string(),
                    };
                    assert!(handlebars::Template::compile(&one).is_ok(), "{one}");
                }
            }
            assert!(s.tags.iter().any(|tag| plainly_valid(t, tag)), "{t}");
        }
        // Outside the subset: left to the parser.
        for t in [
            "{{ a (b c) }}",
            "{{ a k=1 }}",
            "{{~ a }}",
            "{{ \"lit\" }}",
            "{{ a \"x\\\"y\" }}",
            "{{ a|b }}",
            "{{ 1a }}",
        ] {
            let s = scan(t, &[]);
            if let Ok(s) = s {
                assert!(s.tags.iter().all(|tag| !plainly_valid(t, tag)), "{t}");
            }
        }
    }
}
