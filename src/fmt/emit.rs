//! YAML written directly in `fmt`'s canonical layout, for files the tool generates (`import`):
//! keys in the order given, two-space indentation, block sequences indented under their key,
//! plain scalars where YAML reads them back as the same string and double quotes elsewhere,
//! multi-line strings as literal blocks when that keeps them exactly. Passing generated text
//! through the formatter instead cost as much as the whole import of a 10 000-node pack
//! (issue 15); tests check that `fmt` leaves this writer's output unchanged and that it reads
//! back as the same data.

use super::order::{child, keys, rank, root, Child, Ctx, Role};
use serde_yaml::{Mapping, Value};

/// Put the keys of `v`, a file of `role`, in `fmt`'s canonical order ([`super::order`]): the
/// ranked keys of each mapping first, the others after them in the order they had.
pub fn order(role: Role, v: &mut Value) {
    if let Value::Mapping(m) = v {
        order_map(root(role), m);
    }
}

fn order_map(ctx: Ctx, m: &mut Mapping) {
    if ctx == Ctx::Keep {
        return;
    }
    let type_name = m.get("_type").and_then(Value::as_str).map(str::to_string);
    let ranked = keys(ctx, type_name.as_deref());
    let mut entries: Vec<(Value, Value)> = std::mem::take(m).into_iter().collect();
    // Stable: keys of equal rank (the unranked ones) keep their order.
    entries.sort_by_key(|(k, _)| k.as_str().map_or(ranked.len(), |k| rank(&ranked, k)));
    for (k, v) in entries.iter_mut() {
        let Some(key) = k.as_str() else { continue };
        match (child(ctx, key, type_name.as_deref()), v) {
            (Child::Map(c), Value::Mapping(inner)) => order_map(c, inner),
            (Child::Items(c), Value::Sequence(items)) => {
                for item in items {
                    if let Value::Mapping(inner) = item {
                        order_map(c, inner);
                    }
                }
            }
            _ => {}
        }
    }
    *m = entries.into_iter().collect();
}

/// `v` as a YAML document in the canonical layout; `None` when it holds something this writer
/// does not lay out (a tagged value, a key that is not a string): the caller then falls back
/// to `serde_yaml` and the formatter.
pub fn to_yaml(v: &Value) -> Option<String> {
    let mut out = String::new();
    match v {
        Value::Mapping(m) if !m.is_empty() => block_mapping(m, 0, false, &mut out)?,
        Value::Sequence(s) if !s.is_empty() => block_sequence(s, 0, false, &mut out)?,
        other => {
            inline(other, 0, &mut out)?;
        }
    }
    Some(out)
}

fn indent(n: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// The entries of a non-empty mapping at indentation `ind`, each ending its line. With
/// `first_inline` the first entry continues a line already written (after `- `).
fn block_mapping(m: &Mapping, ind: usize, first_inline: bool, out: &mut String) -> Option<()> {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || !first_inline {
            indent(ind, out);
        }
        match k {
            Value::String(s) => string(s, ind, false, out),
            _ => return None,
        }
        out.push(':');
        match v {
            Value::Mapping(m) if !m.is_empty() => {
                out.push('\n');
                block_mapping(m, ind + 2, false, out)?;
            }
            // `indent_block_sequence_in_map`: the items two columns in from their key.
            Value::Sequence(s) if !s.is_empty() => {
                out.push('\n');
                block_sequence(s, ind + 2, false, out)?;
            }
            other => {
                out.push(' ');
                inline(other, ind, out)?;
            }
        }
    }
    Some(())
}

/// The items of a non-empty sequence at indentation `ind` (see [`block_mapping`]).
fn block_sequence(s: &[Value], ind: usize, first_inline: bool, out: &mut String) -> Option<()> {
    for (i, item) in s.iter().enumerate() {
        if i > 0 || !first_inline {
            indent(ind, out);
        }
        out.push_str("- ");
        match item {
            Value::Mapping(m) if !m.is_empty() => block_mapping(m, ind + 2, true, out)?,
            Value::Sequence(s) if !s.is_empty() => block_sequence(s, ind + 2, true, out)?,
            other => inline(other, ind, out)?,
        }
    }
    Some(())
}

/// A scalar or an empty collection, and the end of its line. `ind` is the indentation of the
/// line it is on (a literal block's lines go two columns further in).
fn inline(v: &Value, ind: usize, out: &mut String) -> Option<()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(s, ind, true, out),
        Value::Sequence(_) => out.push_str("[]"),
        Value::Mapping(_) => out.push_str("{}"),
        Value::Tagged(_) => return None,
    }
    out.push('\n');
    Some(())
}

/// A string scalar: plain, a literal block (`block_ok`: a value, not a key), or double-quoted.
fn string(s: &str, ind: usize, block_ok: bool, out: &mut String) {
    if plain_ok(s) {
        out.push_str(s);
    } else if block_ok && literal_ok(s) {
        out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(ind + 2, out);
                out.push_str(line);
            }
        }
    } else {
        quoted(s, out);
    }
}

/// Characters a YAML reader may take for a line break or that cannot appear unescaped.
fn special_char(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Whether `s` reads back as this very string when written without quotes, in block context.
/// Conservative: anything that could be another type, start another construct or end the
/// scalar early is quoted.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t') || s.chars().any(special_char) {
        return false;
    }
    // The words YAML reads as null, booleans or special floats (any case; none is longer than
    // five bytes, so longer strings skip the comparison).
    if s.len() <= 5
        && [
            "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", ".nan", "<<",
        ]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(s))
    {
        return false;
    }
    // Anything that may read as a number in some YAML schema (`1`, `1.0`, `0x1f`, `1e3`,
    // `1_000`, `.5`, `+1`, dates): a digit first, or a sign or dot and then a digit or dot.
    let b = s.as_bytes();
    let numeric_start = b[0].is_ascii_digit()
        || (matches!(b[0], b'+' | b'.') && b.get(1).is_some_and(|c| c.is_ascii_digit() || *c == b'.'));
    !numeric_start
}

/// Whether `s` can be a literal block (`|` or `|-`) that reads back as exactly `s`: more than
/// one line, at most one final newline, no line starting with a space (the indentation would
/// change) or ending in whitespace (the formatter trims it), nothing that needs escaping.
fn literal_ok(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.contains('\n')
        && !body.ends_with('\n')
        && !body.starts_with('\n')
        && !s.chars().any(|c| c == '\r' || special_char(c) && c != '\n')
        && body
            .split('\n')
            .all(|l| !l.starts_with([' ', '\t']) && !l.ends_with([' ', '\t']))
}

fn quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if special_char(c) => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: [&str; 44] = [
        "",
        "plain words",
        "true",
        "True",
        "NO",
        "null",
        "~",
        "y",
        "123",
        "1.0.0",
        "-1",
        "+1",
        ".5",
        "0x1F",
        "1e3",
        "1_000",
        "2024-01-01",
        "- x",
        "-x",
        "? x",
        ": x",
        "a: b",
        "a:b",
        "a #b",
        "a#b",
        "k:",
        " lead",
        "trail ",
        "tab\there",
        "{{instanceName}}",
        "SAP - {{x}}",
        "[x]",
        "@x",
        "`x",
        "'q'",
        "\"dq\"",
        "ünï",
        "\u{1}ctl",
        "<<",
        "%x",
        "line1\nline2",
        "line1\nline2\n",
        "  indented\nblock",
        "end\n\n",
    ];

    fn doc(s: &str) -> Value {
        let mut item = Mapping::new();
        item.insert("id".into(), "x".into());
        item.insert("value".into(), s.into());
        item.insert(
            s.into(),
            Value::Sequence(vec![s.into(), Value::Sequence(vec![s.into()])]),
        );
        let mut m = Mapping::new();
        m.insert("list".into(), Value::Sequence(vec![Value::Mapping(item)]));
        m.insert("empty".into(), Value::Sequence(Vec::new()));
        m.insert("none".into(), Value::Mapping(Mapping::new()));
        m.insert("n".into(), Value::Number(serde_yaml::Number::from(-1.5e3)));
        m.insert("b".into(), true.into());
        m.insert("z".into(), Value::Null);
        Value::Mapping(m)
    }

    /// Every tricky string reads back as itself (through serde_yaml and the tool's own YAML
    /// reader), and `fmt` leaves the text as it is.
    #[test]
    fn tricky_strings_read_back_and_are_canonical() {
        for s in TRICKY {
            let v = doc(s);
            let text = to_yaml(&v).unwrap_or_default();
            let back: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
            assert_eq!(back, v, "{s:?} reads back differently:\n{text}");
            let formatted = crate::fmt::format_text(crate::fmt::Kind::Yaml, &text)
                .unwrap_or_else(|e| panic!("{s:?}: fmt refuses: {e:?}\n{text}"));
            assert_eq!(formatted, text, "{s:?}: fmt changes the layout");
        }
    }

    #[test]
    fn layout() {
        let mut inner = Mapping::new();
        inner.insert("k".into(), "v".into());
        inner.insert("l".into(), Value::Sequence(vec![1.into(), "two".into()]));
        let mut m = Mapping::new();
        m.insert("a".into(), Value::Sequence(vec![Value::Mapping(inner)]));
        m.insert("q".into(), "line1\nline2".into());
        assert_eq!(
            to_yaml(&Value::Mapping(m)).as_deref(),
            Some("a:\n  - k: v\n    l:\n      - 1\n      - two\nq: |-\n  line1\n  line2\n")
        );
        let tagged = Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
            tag: serde_yaml::value::Tag::new("x"),
            value: Value::Null,
        }));
        assert_eq!(to_yaml(&tagged), None);
    }
}
