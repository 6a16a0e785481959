//! The span-preserving syntax tree that both YAML and TOML sources load into.
//!
//! The model stage reads this tree through [`Fields`], which records which keys were used so
//! that unknown keys are reported with a "did you mean" suggestion, and reports wrong types and
//! missing fields at the offending value.

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::rules;
use crate::source::{Span, Spanned};

/// A loaded value with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: Kind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Value>),
    Map(Map),
}

/// A mapping that keeps its keys' order and spans.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    pub entries: Vec<(Spanned<String>, Value)>,
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
    }
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.value.as_str())
    }
}

impl Value {
    /// What kind of value this is, in words, for "expected X, found Y" messages.
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
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&Map> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Convert to JSON (for verbatim nodes and machine output). Floats that JSON cannot hold
    /// become null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Null => J::Null,
            Kind::Bool(b) => J::Bool(*b),
            Kind::Int(i) => J::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            Kind::Str(s) => J::String(s.clone()),
            Kind::Seq(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Kind::Map(m) => J::Object(m.entries.iter().map(|(k, v)| (k.value.clone(), v.to_json())).collect()),
        }
    }
}

/// Typed, diagnosing access to the fields of one mapping.
///
/// Call the `req_*`/`opt_*` getters for every field the object may have, then [`Fields::finish`]
/// to report the keys nobody asked for.
pub struct Fields<'a> {
    map: &'a Map,
    /// Span of the whole mapping (for "missing field" findings).
    pub span: Span,
    /// What the mapping is, in words ("component type", "manifest"), for messages.
    what: String,
    used: Vec<bool>,
    known: Vec<&'static str>,
    /// The mapping is a TOML table (the manifest): help is worded `key = value`.
    toml: bool,
}

impl<'a> Fields<'a> {
    /// Start reading `value` as a mapping. Reports and returns `None` if it is not one.
    pub fn new(value: &'a Value, what: impl Into<String>, diags: &mut Diagnostics) -> Option<Fields<'a>> {
        Fields::read(value, what.into(), false, diags)
    }

    /// [`Fields::new`] for a TOML table: findings say "table" and `key = value`.
    pub fn new_toml(value: &'a Value, what: impl Into<String>, diags: &mut Diagnostics) -> Option<Fields<'a>> {
        Fields::read(value, what.into(), true, diags)
    }

    fn read(value: &'a Value, what: String, toml: bool, diags: &mut Diagnostics) -> Option<Fields<'a>> {
        match &value.kind {
            Kind::Map(map) => {
                let f = Fields::from_map(map, value.span, what);
                Some(if toml { f.in_toml() } else { f })
            }
            _ => {
                let (shape, pairs) = if toml {
                    ("a table", "`key = value`")
                } else {
                    ("a mapping", "`key: value`")
                };
                diags.push(
                    Diagnostic::new(
                        &rules::WRONG_TYPE,
                        value.span,
                        format!("{what} must be {shape}, found {}", value.type_name()),
                    )
                    .label(format!("expected {pairs} pairs")),
                );
                None
            }
        }
    }

    /// This mapping is a TOML table (see [`Fields::new_toml`]).
    pub fn in_toml(mut self) -> Fields<'a> {
        self.toml = true;
        self
    }

    pub fn from_map(map: &'a Map, span: Span, what: impl Into<String>) -> Fields<'a> {
        Fields {
            map,
            span,
            what: what.into(),
            used: vec![false; map.entries.len()],
            known: Vec::new(),
            toml: false,
        }
    }

    pub fn what(&self) -> &str {
        &self.what
    }

    /// Look a key up and mark it used.
    pub fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        if !self.known.contains(&key) {
            self.known.push(key);
        }
        let idx = self.map.entries.iter().position(|(k, _)| k.value == key)?;
        self.used[idx] = true;
        Some(&self.map.entries[idx].1)
    }

    /// The span of a key (not its value), if present.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.map
            .entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(k, _)| k.span)
    }

    fn missing(&mut self, key: &str, expected: &str, diags: &mut Diagnostics) {
        // A misspelt key (`nmae:` for `name:`) is one mistake: one finding, at the misspelling,
        // instead of "missing `name`" here and "unknown field `nmae`" from `finish`.
        let misspelt = self
            .map
            .entries
            .iter()
            .enumerate()
            .find(|(i, (k, _))| !self.used[*i] && did_you_mean(&k.value, [key]).is_some())
            .map(|(i, (k, _))| (i, k));
        if let Some((i, k)) = misspelt {
            self.used[i] = true;
            diags.push(
                Diagnostic::new(
                    &rules::MISSING_FIELD,
                    k.span,
                    format!(
                        "{} is missing required field `{key}`: `{}` looks like a misspelling of it",
                        self.what, k.value
                    ),
                )
                .label(format!("did you mean `{key}`?"))
                .help(format!("rename `{}` to `{key}`", k.value)),
            );
            return;
        }
        diags.push(
            Diagnostic::new(
                &rules::MISSING_FIELD,
                self.span,
                format!("{} is missing required field `{key}`", self.what),
            )
            .help(if self.toml {
                format!("add `{key} = <{expected}>`")
            } else {
                format!("add `{key}: <{expected}>`")
            }),
        );
    }

    fn wrong(&self, key: &str, v: &Value, expected: &str, diags: &mut Diagnostics) {
        diags.push(
            Diagnostic::new(
                &rules::WRONG_TYPE,
                v.span,
                format!("`{key}` of {} must be {expected}, found {}", self.what, v.type_name()),
            )
            .label(format!("expected {expected}")),
        );
    }

    pub fn opt_str(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
        let v = self.raw(key)?;
        match &v.kind {
            Kind::Str(s) => Some(Spanned::new(s.clone(), v.span)),
            // Numbers and booleans written where text is expected are accepted as their text
            // only when unambiguous (`version: 1.0` would lose its meaning, so it is an error).
            _ => {
                self.wrong(key, v, "a string", diags);
                None
            }
        }
    }

    pub fn req_str(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
        if self.map.get(key).is_none() {
            self.raw(key);
            self.missing(key, "text", diags);
            return None;
        }
        self.opt_str(key, diags)
    }

    pub fn opt_bool(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Spanned<bool>> {
        let v = self.raw(key)?;
        match v.kind {
            Kind::Bool(b) => Some(Spanned::new(b, v.span)),
            _ => {
                self.wrong(key, v, "`true` or `false`", diags);
                None
            }
        }
    }

    pub fn opt_i64(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Spanned<i64>> {
        let v = self.raw(key)?;
        match v.kind {
            Kind::Int(i) => Some(Spanned::new(i, v.span)),
            _ => {
                self.wrong(key, v, "an integer", diags);
                None
            }
        }
    }

    pub fn opt_f64(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Spanned<f64>> {
        let v = self.raw(key)?;
        match v.kind {
            Kind::Int(i) => Some(Spanned::new(i as f64, v.span)),
            Kind::Float(f) => Some(Spanned::new(f, v.span)),
            _ => {
                self.wrong(key, v, "a number", diags);
                None
            }
        }
    }

    pub fn opt_seq(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<&'a [Value]> {
        let v = self.raw(key)?;
        match &v.kind {
            Kind::Seq(items) => Some(items),
            Kind::Null => Some(&[]),
            _ => {
                self.wrong(key, v, "a list", diags);
                None
            }
        }
    }

    pub fn opt_map(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<(&'a Map, Span)> {
        let v = self.raw(key)?;
        match &v.kind {
            Kind::Map(m) => Some((m, v.span)),
            _ => {
                self.wrong(key, v, "a mapping", diags);
                None
            }
        }
    }

    /// A list of strings (a single string is not accepted: lists stay lists).
    pub fn opt_str_list(&mut self, key: &'static str, diags: &mut Diagnostics) -> Vec<Spanned<String>> {
        let Some(items) = self.opt_seq(key, diags) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match &item.kind {
                Kind::Str(s) => out.push(Spanned::new(s.clone(), item.span)),
                _ => self.wrong(key, item, "a list of strings", diags),
            }
        }
        out
    }

    /// Report every key that no getter asked for, with a suggestion among the known keys.
    pub fn finish(self, diags: &mut Diagnostics) {
        for (i, (key, _)) in self.map.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let mut d = Diagnostic::new(
                &rules::UNKNOWN_FIELD,
                key.span,
                format!("unknown field `{}` in {}", key.value, self.what),
            )
            .label("not a field of this object");
            d = match did_you_mean(&key.value, self.known.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!("known fields: {}", self.known.join(", "))),
            };
            diags.push(d);
        }
    }
}
