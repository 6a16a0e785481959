//! A small JSON emitter for STJ.
//!
//! STJ is not JSON before import: a field can hold a raw Handlebars expression
//! (`"templateFunction": {{ get "urn:…" }}`) and a string can hold an expression whose own quotes
//! must not be escaped (`"script": "{{ include "./scripts/x.groovy" }}"`). [`J`] models both, plus
//! negative-id handles resolved after every id of a file has been assigned.
//!
//! Output is stable: object keys sorted with `_type` first, 2-space indentation, `\n` line ends.

use std::collections::BTreeMap;

/// A handle standing for the negative id of an object in the same STJ file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle(pub String);

/// A JSON value, or an STJ extension of one.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string, JSON-escaped on output.
    Str(String),
    /// A string whose content is written between quotes as is (a Handlebars expression with its
    /// own quotes, e.g. `{{ include "./icons/host.png" "base64" }}`).
    RawStr(String),
    /// Text written unquoted as is (`{{ get "urn:…" }}`).
    Raw(String),
    /// This object's own `id`: the next negative id when ids are assigned.
    Id(Handle),
    /// A reference to the object carrying [`J::Id`] with this handle.
    Ref(Handle),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn str(s: impl Into<String>) -> J {
        J::Str(s.into())
    }
    pub fn obj(fields: Vec<(&str, J)>) -> J {
        J::Obj(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

/// Sort key of object fields: `_type` first, then byte order.
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a != "_type", a).cmp(&(b != "_type", b))
}

/// Sort every object's keys (recursively), in place. Later duplicates of a key are dropped.
pub fn sort_keys(v: &mut J) {
    match v {
        J::Arr(items) => items.iter_mut().for_each(sort_keys),
        J::Obj(fields) => {
            fields.iter_mut().for_each(|(_, v)| sort_keys(v));
            let mut seen = std::collections::HashSet::new();
            fields.retain(|(k, _)| seen.insert(k.clone()));
            fields.sort_by(|(a, _), (b, _)| key_order(a, b));
        }
        _ => {}
    }
}

/// Assign negative ids to every [`J::Id`] in document order (keys must already be sorted),
/// continuing from `next` (the next id is `-next`). Returns the handle → id table.
pub fn assign_ids(v: &J, next: &mut i64, ids: &mut BTreeMap<Handle, i64>) {
    match v {
        J::Id(h) if !ids.contains_key(h) => {
            ids.insert(h.clone(), -*next);
            *next += 1;
        }
        J::Arr(items) => items.iter().for_each(|i| assign_ids(i, next, ids)),
        J::Obj(fields) => {
            // An object's own id comes before the ids of the objects nested in it.
            if let Some((_, id)) = fields.iter().find(|(k, _)| k == "id") {
                assign_ids(id, next, ids);
            }
            for (k, f) in fields {
                if k != "id" {
                    assign_ids(f, next, ids);
                }
            }
        }
        _ => {}
    }
}

/// Write `s` as a JSON string literal (with quotes).
pub fn escape_into(out: &mut String, s: &str) {
    out.push('"');
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
    out.push('"');
}

/// A float the way JSON writes it (always with a fraction or exponent so it stays a float;
/// non-finite values, which JSON cannot hold, become `null`).
fn float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// An unresolved [`J::Ref`]: a handle no object of the file carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DanglingRef(pub Handle);

/// Pretty-print `v` (2 spaces) with ids resolved from `ids`.
pub fn emit(v: &J, ids: &BTreeMap<Handle, i64>) -> Result<String, DanglingRef> {
    let mut out = String::new();
    write(&mut out, v, ids, 0)?;
    out.push('\n');
    Ok(out)
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write(out: &mut String, v: &J, ids: &BTreeMap<Handle, i64>, level: usize) -> Result<(), DanglingRef> {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(i) => out.push_str(&i.to_string()),
        J::Float(f) => out.push_str(&float(*f)),
        J::Str(s) => escape_into(out, s),
        J::RawStr(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        J::Raw(s) => out.push_str(s),
        J::Id(h) | J::Ref(h) => match ids.get(h) {
            Some(id) => out.push_str(&id.to_string()),
            None => return Err(DanglingRef(h.clone())),
        },
        J::Arr(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, level + 1);
                write(out, item, ids, level + 1)?;
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        J::Obj(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push_str("{\n");
            for (i, (k, f)) in fields.iter().enumerate() {
                indent(out, level + 1);
                escape_into(out, k);
                out.push_str(": ");
                write(out, f, ids, level + 1)?;
                if i + 1 < fields.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push('}');
        }
    }
    Ok(())
}

/// A loaded YAML/TOML value as [`J`] (verbatim STJ nodes).
pub fn from_tree(v: &crate::load::tree::Value) -> J {
    use crate::load::tree::Kind;
    match &v.kind {
        Kind::Null => J::Null,
        Kind::Bool(b) => J::Bool(*b),
        Kind::Int(i) => J::Int(*i),
        Kind::Float(f) => J::Float(*f),
        Kind::Str(s) => J::Str(s.clone()),
        Kind::Seq(items) => J::Arr(items.iter().map(from_tree).collect()),
        Kind::Map(m) => J::Obj(m.entries.iter().map(|(k, v)| (k.value.clone(), from_tree(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sorted_type_first_and_ids_in_document_order() {
        let mut v = J::obj(vec![
            ("name", J::str("x \"q\"\n")),
            (
                "b",
                J::obj(vec![("id", J::Id(Handle("inner".into()))), ("_type", J::str("T"))]),
            ),
            ("id", J::Id(Handle("outer".into()))),
            ("_type", J::str("Node")),
            ("ref", J::Ref(Handle("inner".into()))),
            ("get", J::Raw("{{ get \"urn:a\" }}".into())),
            ("inc", J::RawStr("{{ include \"./x\" }}".into())),
            ("f", J::Float(415.0)),
        ]);
        sort_keys(&mut v);
        let mut ids = BTreeMap::new();
        assign_ids(&v, &mut 1, &mut ids);
        let text = emit(&v, &ids).unwrap_or_default();
        assert_eq!(
            text,
            "{\n  \"_type\": \"Node\",\n  \"b\": {\n    \"_type\": \"T\",\n    \"id\": -2\n  },\n  \"f\": 415.0,\n  \
             \"get\": {{ get \"urn:a\" }},\n  \"id\": -1,\n  \"inc\": \"{{ include \"./x\" }}\",\n  \
             \"name\": \"x \\\"q\\\"\\n\",\n  \"ref\": -2\n}\n"
        );
    }

    #[test]
    fn dangling_reference_is_an_error() {
        let v = J::obj(vec![("x", J::Ref(Handle("nope".into())))]);
        assert_eq!(emit(&v, &BTreeMap::new()), Err(DanglingRef(Handle("nope".into()))));
    }

    #[test]
    fn escapes_control_characters() {
        let mut s = String::new();
        escape_into(&mut s, "a\u{1}b\\");
        assert_eq!(s, "\"a\\u0001b\\\\\"");
    }
}
