//! Put the keys of formatted YAML/TOML text into their canonical order ([`super::order`]),
//! moving every key with its comments.
//!
//! Works on the formatter's output, line by line, so indentation is already canonical:
//! - an entry is its key line plus everything below it (deeper lines, blank lines inside it);
//! - the comment lines directly above a key (at the key's indentation or less) belong to that
//!   key and move with it, and so does a trailing comment on its line (it is on the line);
//! - blank lines stay where they are (the `n`-th entry keeps the blank lines before it), so
//!   moving keys does not move the paragraphs of a file;
//! - the comment block at the head of a file stays at the head;
//! - a comment above the first key of a list item ends up above the item's `-`.
//!
//! Only block mappings are reordered: flow collections (`{a: 1}`, `[…]`), block scalars and
//! anything the line scan does not recognise (complex keys, a document starting on its `---`
//! line) are left as written. The caller re-parses the result and keeps it only when it means
//! the same as the input (maps compared without order), so an unexpected shape costs the
//! reordering, never data.

use super::order::{child, keys, rank, tables, Child, Ctx};

/// One key with the lines that travel with it.
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    /// Blank and comment lines directly above the key line.
    lead: Vec<String>,
    /// The key line and everything below it.
    body: Vec<String>,
}

/// The canonical order of `entries` by `rank`, or `None` when they are in it already. Stable:
/// keys of equal rank (unknown keys, repeated tables) keep their written order.
fn arrangement(entries: &[Entry], rank_of: &dyn Fn(&str) -> usize) -> Option<Vec<usize>> {
    let mut idx: Vec<usize> = (0..entries.len()).collect();
    idx.sort_by_key(|&i| rank_of(&entries[i].key));
    if idx.iter().enumerate().all(|(s, &i)| s == i) {
        None
    } else {
        Some(idx)
    }
}

/// Lay `entries` out in `order`: each slot keeps the blank lines of the entry that was there,
/// each entry brings its comments. With `head_fixed` the first entry's lead is the file head
/// and stays first. Returns (lead, body) per slot.
fn lay_out(entries: &[Entry], order: &[usize], head_fixed: bool) -> Vec<(Vec<String>, Vec<String>)> {
    let blanks = |e: &Entry| e.lead.iter().filter(|l| l.trim().is_empty()).count();
    let comments = |i: usize| -> Vec<String> {
        if head_fixed && i == 0 {
            return Vec::new();
        }
        entries[i]
            .lead
            .iter()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect()
    };
    let mut out = Vec::with_capacity(order.len());
    for (slot, &i) in order.iter().enumerate() {
        let mut lead = Vec::new();
        if slot == 0 && head_fixed {
            lead.extend(entries[0].lead.iter().cloned());
        } else {
            lead.extend(std::iter::repeat_n(String::new(), blanks(&entries[slot])));
        }
        lead.extend(comments(i));
        out.push((lead, entries[i].body.clone()));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// YAML

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn is_dash(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// The key of a block mapping line (without its indentation), and the text after its `:`.
fn key_of(s: &str) -> Option<(String, &str)> {
    let first = *s.as_bytes().first()?;
    let (key, after) = match first {
        b'"' => {
            let mut escaped = false;
            let mut end = None;
            for (i, c) in s.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end?;
            (s[1..end].to_string(), &s[end + 1..])
        }
        b'\'' => {
            let b = s.as_bytes();
            let mut i = 1;
            let end = loop {
                match b.get(i)? {
                    b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                    b'\'' => break i,
                    _ => i += 1,
                }
            };
            (s[1..end].to_string(), &s[end + 1..])
        }
        b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%'
        | b'@' | b'`' | b' ' | b'\t' => return None,
        _ => {
            let b = s.as_bytes();
            let mut i = 0;
            loop {
                match b.get(i) {
                    None => return None,
                    Some(b':') if matches!(b.get(i + 1), None | Some(b' ')) => break,
                    Some(b'#') if i > 0 && b[i - 1] == b' ' => return None,
                    _ => i += 1,
                }
            }
            (s[..i].trim_end().to_string(), &s[i..])
        }
    };
    let value = after.strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with(' ')) {
        return None;
    }
    Some((key, value.trim()))
}

/// A value part that leaves the value to the following lines.
fn opens_block(value: &str) -> bool {
    value.is_empty() || value.starts_with('#')
}

/// A scalar written on the key line, without quotes or comment (`_type: Monitor # x`).
fn inline_scalar(value: &str) -> Option<String> {
    let v = match value.find(" #") {
        Some(i) => &value[..i],
        None => value,
    }
    .trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    (!v.is_empty()).then(|| v.to_string())
}

/// The split of a block mapping region: lines above the first key, entries, lines after.
struct Split {
    head: Vec<String>,
    entries: Vec<Entry>,
    tail: Vec<String>,
}

/// Split `lines` (a block mapping with keys at `indent`) into entries; `None` for anything
/// that is not plainly one.
fn split_mapping(lines: Vec<String>, indent: usize) -> Option<Split> {
    let mut head = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for line in lines {
        let ind = indent_of(&line);
        if is_blank(&line) || (is_comment(&line) && ind <= indent) {
            pending.push(line);
            continue;
        }
        if ind == indent {
            if let Some((key, _)) = key_of(&line[ind..]) {
                let lead = std::mem::take(&mut pending);
                if entries.is_empty() {
                    head = lead;
                    entries.push(Entry {
                        key,
                        lead: Vec::new(),
                        body: vec![line],
                    });
                } else {
                    entries.push(Entry {
                        key,
                        lead,
                        body: vec![line],
                    });
                }
                continue;
            }
        }
        // Deeper lines, a sequence written at the key's indentation, the closing bracket of a
        // multi-line flow collection.
        let continuation =
            ind > indent || (ind == indent && (is_dash(&line[ind..]) || line[ind..].starts_with([']', '}'])));
        let current = entries.last_mut()?;
        if !continuation {
            return None;
        }
        current.body.append(&mut pending);
        current.body.push(line);
    }
    if entries.is_empty() {
        return None;
    }
    Some(Split {
        head,
        entries,
        tail: pending,
    })
}

/// Order the children of each entry of a mapping in `ctx`.
fn order_children(entries: &mut [Entry], ctx: Ctx) {
    let type_name = entries
        .iter()
        .find(|e| e.key == "_type")
        .and_then(|e| e.body.first())
        .and_then(|l| key_of(l.trim_start()).and_then(|(_, v)| inline_scalar(v)));
    for e in entries.iter_mut() {
        let c = child(ctx, &e.key, type_name.as_deref());
        if c == Child::None {
            continue;
        }
        let Some(first) = e.body.first() else { continue };
        let opens = key_of(first.trim_start()).is_some_and(|(_, v)| opens_block(v));
        if !opens || e.body.len() < 2 {
            continue;
        }
        let rest: Vec<String> = e.body[1..].to_vec();
        let Some(content) = rest.iter().find(|l| !is_blank(l) && !is_comment(l)) else {
            continue;
        };
        let m = indent_of(content);
        let new_rest = match c {
            Child::Map(cctx) if m > indent_of(first) => yaml_mapping(rest, m, cctx, false),
            Child::Items(cctx) if is_dash(&content[m..]) => yaml_sequence(rest, m, cctx),
            _ => continue,
        };
        e.body.truncate(1);
        e.body.extend(new_rest);
    }
}

/// Order a block mapping region with keys at `indent`: (lines above the first key, the rest).
fn yaml_mapping_parts(lines: Vec<String>, indent: usize, ctx: Ctx, head_fixed: bool) -> (Vec<String>, Vec<String>) {
    if ctx == Ctx::Keep {
        return (Vec::new(), lines);
    }
    let original = lines.clone();
    let Some(mut split) = split_mapping(lines, indent) else {
        return (Vec::new(), original);
    };
    order_children(&mut split.entries, ctx);
    let type_name = split
        .entries
        .iter()
        .find(|e| e.key == "_type")
        .and_then(|e| e.body.first())
        .and_then(|l| key_of(l.trim_start()).and_then(|(_, v)| inline_scalar(v)));
    let ranked = keys(ctx, type_name.as_deref());
    let mut head = split.head;
    let mut rest = Vec::new();
    match arrangement(&split.entries, &|k| rank(&ranked, k)) {
        None => {
            for e in split.entries {
                rest.extend(e.lead);
                rest.extend(e.body);
            }
        }
        Some(order) => {
            // The head lines of the region belong to the first entry for laying out.
            if let Some(first) = split.entries.first_mut() {
                first.lead = std::mem::take(&mut head);
            }
            let slots = lay_out(&split.entries, &order, head_fixed);
            for (s, (lead, body)) in slots.into_iter().enumerate() {
                if s == 0 {
                    head = lead;
                } else {
                    rest.extend(lead);
                }
                rest.extend(body);
            }
        }
    }
    rest.extend(split.tail);
    (head, rest)
}

fn yaml_mapping(lines: Vec<String>, indent: usize, ctx: Ctx, head_fixed: bool) -> Vec<String> {
    let (mut head, rest) = yaml_mapping_parts(lines, indent, ctx, head_fixed);
    head.extend(rest);
    head
}

/// Order the mappings of a block sequence whose `-` are at `indent`.
fn yaml_sequence(lines: Vec<String>, indent: usize, ctx: Ctx) -> Vec<String> {
    // Items: a `-` line at `indent` and what follows up to the next one.
    let mut pre = Vec::new();
    let mut items: Vec<Vec<String>> = Vec::new();
    for line in &lines {
        let ind = indent_of(line);
        if !is_blank(line) && !is_comment(line) && ind == indent && is_dash(&line[ind..]) {
            items.push(vec![line.clone()]);
            continue;
        }
        if !is_blank(line) && !is_comment(line) && ind <= indent {
            return lines;
        }
        match items.last_mut() {
            Some(item) => item.push(line.clone()),
            None => pre.push(line.clone()),
        }
    }
    let mut out = pre;
    for mut item in items {
        let first = item[0].clone();
        let rest_of_dash = &first[indent + 1..];
        let after = rest_of_dash.trim_start_matches(' ');
        if rest_of_dash.len() - after.len() != 1 || key_of(after).is_none() {
            out.extend(item);
            continue;
        }
        let key_indent = indent + 2;
        item[0] = format!("{}{}", " ".repeat(key_indent), after);
        let (head, mut rest) = yaml_mapping_parts(item, key_indent, ctx, false);
        for c in head {
            if is_blank(&c) {
                out.push(c);
            } else {
                out.push(format!("{}{}", " ".repeat(indent), c.trim_start()));
            }
        }
        if let Some(l) = rest.first_mut() {
            *l = format!("{}- {}", " ".repeat(indent), l.trim_start());
        }
        out.extend(rest);
    }
    out
}

/// A document separator or directive line.
fn is_separator(line: &str) -> bool {
    line == "---" || line.starts_with("--- ") || line == "..." || line.starts_with("... ") || line.starts_with('%')
}

/// The canonical key order of formatted YAML text whose documents' roots are in `ctx`.
pub fn yaml(text: &str, ctx: Ctx) -> String {
    if ctx == Ctx::Keep {
        return text.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    let mut doc: Vec<String> = Vec::new();
    // Whether the current document starts on its separator line (`--- {a: 1}`): left alone.
    let mut inline_start = false;
    let flush = |doc: &mut Vec<String>, inline_start: bool, out: &mut Vec<String>| {
        let lines = std::mem::take(doc);
        let first = lines.iter().find(|l| !is_blank(l) && !is_comment(l));
        match first {
            Some(f) if !inline_start && indent_of(f) == 0 && key_of(f).is_some() => {
                out.extend(yaml_mapping(lines, 0, ctx, true));
            }
            _ => out.extend(lines),
        }
    };
    for line in text.lines() {
        if is_separator(line) {
            flush(&mut doc, inline_start, &mut out);
            let content = line.strip_prefix("---").map(str::trim).unwrap_or("");
            inline_start = !content.is_empty() && !content.starts_with('#');
            out.push(line.to_string());
        } else {
            doc.push(line.to_string());
        }
    }
    flush(&mut doc, inline_start, &mut out);
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

// ---------------------------------------------------------------------------------------------
// TOML

/// One top-level item of a TOML file: an entry or a table header, by lines.
struct Item {
    header: bool,
    /// Key's first segment (`pages` of `[pages]` or `pages.overview = …`).
    first: String,
    /// The whole key as written (`pages`, `pages.overview`).
    full: String,
    start: usize,
    end: usize,
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(s)
        .to_string()
}

fn toml_items(text: &str) -> Option<Vec<Item>> {
    use taplo::syntax::SyntaxKind as K;
    let parse = taplo::parser::parse(text);
    if !parse.errors.is_empty() {
        return None;
    }
    let root = parse.into_syntax();
    // Line of each byte offset: line starts, searched.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |off: usize| match starts.binary_search(&off) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    };
    let mut items: Vec<Item> = Vec::new();
    for node in root.children() {
        let header = match node.kind() {
            K::ENTRY => false,
            K::TABLE_HEADER | K::TABLE_ARRAY_HEADER => true,
            _ => return None,
        };
        let key = node.children().find(|c| c.kind() == K::KEY)?;
        let full = key.text().to_string();
        let first = key
            .children_with_tokens()
            .filter_map(|t| t.into_token())
            .find(|t| {
                matches!(
                    t.kind(),
                    K::IDENT | K::STRING | K::STRING_LITERAL | K::INTEGER | K::BOOL | K::FLOAT
                )
            })
            .map(|t| unquote(t.text()))?;
        let range = node.text_range();
        let start = line_of(u32::from(range.start()) as usize);
        let end = line_of(
            (u32::from(range.end()) as usize)
                .saturating_sub(1)
                .max(u32::from(range.start()) as usize),
        );
        if items.last().is_some_and(|p| p.end >= start) {
            return None;
        }
        items.push(Item {
            header,
            first,
            full: full.trim().to_string(),
            start,
            end,
        });
    }
    Some(items)
}

/// The canonical key and table order of formatted TOML text whose root is `ctx`.
pub fn toml(text: &str, ctx: Ctx) -> String {
    if ctx == Ctx::Keep {
        return text.to_string();
    }
    let Some(items) = toml_items(text) else {
        return text.to_string();
    };
    if items.is_empty() {
        return text.to_string();
    }
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut prev_end: Option<usize> = None;
    // (item, lead lines, body lines)
    let mut parts: Vec<(&Item, Vec<String>, Vec<String>)> = Vec::new();
    for it in &items {
        let from = prev_end.map_or(0, |e| e + 1);
        let lead = lines.get(from..it.start).map(<[String]>::to_vec).unwrap_or_default();
        let body = lines.get(it.start..=it.end).map(<[String]>::to_vec).unwrap_or_default();
        parts.push((it, lead, body));
        prev_end = Some(it.end);
    }
    let tail: Vec<String> = prev_end
        .and_then(|e| lines.get(e + 1..))
        .map(<[String]>::to_vec)
        .unwrap_or_default();

    let root_keys = keys(ctx, None);
    let root_tables = tables(ctx);
    let root_rank = |k: &str| -> usize {
        let r = rank(&root_keys, k);
        if r < root_keys.len() {
            return r;
        }
        match root_tables.iter().position(|t| *t == k) {
            Some(t) => root_keys.len() + t,
            None => root_keys.len() + root_tables.len(),
        }
    };
    let table_rank = |k: &str| rank(root_tables, k);

    // The preamble's entries, then one section per header with its entries.
    let mut preamble: Vec<Entry> = Vec::new();
    let mut sections: Vec<(Entry, Vec<Entry>, bool)> = Vec::new();
    for (it, lead, body) in parts {
        let entry = Entry {
            key: it.first.clone(),
            lead,
            body,
        };
        if it.header {
            let own = it.full == it.first;
            sections.push((entry, Vec::new(), own));
        } else {
            let entry = Entry {
                key: if it.full.contains('.') {
                    it.first.clone()
                } else {
                    it.full.clone()
                },
                ..entry
            };
            match sections.last_mut() {
                Some((_, entries, _)) => entries.push(entry),
                None => preamble.push(entry),
            }
        }
    }
    let join = |entries: &[Entry], rank_of: &dyn Fn(&str) -> usize, head_fixed: bool| -> Vec<String> {
        let mut out = Vec::new();
        match arrangement(entries, rank_of) {
            None => {
                for e in entries {
                    out.extend(e.lead.iter().cloned());
                    out.extend(e.body.iter().cloned());
                }
            }
            Some(order) => {
                for (lead, body) in lay_out(entries, &order, head_fixed) {
                    out.extend(lead);
                    out.extend(body);
                }
            }
        }
        out
    };
    let head_in_preamble = !preamble.is_empty();
    let mut out = join(&preamble, &root_rank, true);
    // Each section's entries in its table's order; sections in the tables' order.
    let mut section_entries: Vec<Entry> = Vec::new();
    for (header, entries, own) in sections {
        let tctx = match (own, child(ctx, &header.key, None)) {
            (true, Child::Map(c) | Child::Items(c)) => c,
            _ => Ctx::Keep,
        };
        let ranked = keys(tctx, None);
        let mut body = header.body.clone();
        body.extend(join(&entries, &|k| rank(&ranked, k), false));
        section_entries.push(Entry {
            key: header.key,
            lead: header.lead,
            body,
        });
    }
    out.extend(join(&section_entries, &table_rank, !head_in_preamble));
    out.extend(tail);
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_recognised() {
        assert_eq!(key_of("id: a").map(|k| k.0), Some("id".to_string()));
        assert_eq!(key_of("\"a b\": 1").map(|k| k.0), Some("a b".to_string()));
        assert_eq!(key_of("'it''s': 1").map(|k| k.0), Some("it''s".to_string()));
        assert_eq!(key_of("url: http://x").map(|k| k.0), Some("url".to_string()));
        assert!(key_of("- a").is_none());
        assert!(key_of("plain text").is_none());
        assert!(key_of("a:b").is_none());
    }
}
