//! Node schemas as data (`data/v2-schema.toml`, embedded): one struct per `_type` and per nested
//! object, with field types, enums, required flags and the server versions that introduced,
//! renamed or removed a field, each with its evidence.
//!
//! [`check_node`] walks a node against its schema and reports SP21xx/SP25xx findings; every
//! string field typed as an embedded language (`cel`, `stql`, `promql`, `template`, `hint`) is
//! handed back as an [`Embedded`] for the rules of that language.

use super::rules;
use super::yaml::{Kind, Node};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use semver::Version;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../../data/v2-schema.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub positive: bool,
    /// Server version that introduced the field (or, with `renamed_to`, renamed it).
    pub since: Option<String>,
    pub renamed_to: Option<String>,
    pub removed: Option<String>,
    pub evidence: Option<String>,
    /// What else a user must know when acting on the field's finding (a rename whose
    /// expression changes too).
    pub note: Option<String>,
    /// `arguments` typed by the node's `function`.
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Struct {
    pub name: String,
    #[serde(default)]
    pub node: bool,
    pub kind: Option<String>,
    pub evidence: String,
    pub fields: Vec<Field>,
}

impl Struct {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Union {
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    #[serde(rename = "struct")]
    pub structs: Vec<Struct>,
    #[serde(rename = "union")]
    pub unions: Vec<Union>,
}

impl Schema {
    pub fn get(&self, name: &str) -> Option<&Struct> {
        self.structs.iter().find(|s| s.name == name)
    }
    pub fn union(&self, name: &str) -> Option<&Union> {
        self.unions.iter().find(|u| u.name == name)
    }
    /// The node types (`_type` values of `.sty` nodes).
    pub fn node_types(&self) -> impl Iterator<Item = &Struct> {
        self.structs.iter().filter(|s| s.node)
    }
    pub fn node_type(&self, name: &str) -> Option<&Struct> {
        self.node_types().find(|s| s.name == name)
    }
}

/// The embedded schema. The data file is part of the binary and checked by a unit test, so a
/// parse failure is a build defect; it degrades to an empty schema rather than panicking.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        toml::from_str(DATA).unwrap_or(Schema {
            structs: Vec::new(),
            unions: Vec::new(),
        })
    })
}

/// What kind of embedded text a string field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Cel,
    Stql,
    PromQl,
    /// A `${label}` template (monitor urn/title/alias templates).
    Template,
    /// A remediation hint: inline handlebars Markdown or `!include`.
    Hint,
}

/// A string of an embedded language found while walking a node.
#[derive(Debug, Clone)]
pub struct Embedded<'a> {
    pub lang: Lang,
    /// Dotted path of the field inside the node (`arguments.metric.query`).
    pub path: String,
    pub value: &'a Node,
}

/// Server versions the pack targets (the side file and `--stackstate-version`).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub min: Option<Version>,
    pub max: Option<Version>,
}

fn parse_version(v: &str) -> Option<Version> {
    let v = v.trim();
    Version::parse(v).ok().or_else(|| {
        let parts: Vec<&str> = v.split('.').collect();
        match parts.as_slice() {
            [a, b] => Version::parse(&format!("{a}.{b}.0")).ok(),
            [a] => Version::parse(&format!("{a}.0.0")).ok(),
            _ => None,
        }
    })
}

pub struct Walk<'a, 's> {
    pub schema: &'s Schema,
    pub targets: &'s Targets,
    pub diags: &'s mut Diagnostics,
    pub embedded: Vec<Embedded<'a>>,
}

impl<'a> Walk<'a, '_> {
    /// Check `value` against the type `ty` at `path`.
    pub fn check(&mut self, value: &'a Node, ty: &str, path: &str) {
        if let Some(inner) = ty.strip_prefix("list:") {
            match &value.kind {
                Kind::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item, inner, &format!("{path}[{i}]"));
                    }
                }
                Kind::Null => {}
                _ => self.wrong_type(value, path, "a list"),
            }
            return;
        }
        if let Some(inner) = ty.strip_prefix("map:") {
            match &value.kind {
                Kind::Map(entries) => {
                    for (k, v) in entries {
                        self.check(v, inner, &format!("{path}.{}", k.value));
                    }
                }
                _ => self.wrong_type(value, path, "a mapping"),
            }
            return;
        }
        if let Some(values) = ty.strip_prefix("enum:") {
            let allowed: Vec<&str> = values.split('|').collect();
            match value.as_str() {
                Some(s) if allowed.contains(&s) => {}
                Some(s) => {
                    let mut d = Diagnostic::new(
                        &rules::ENUM_VALUE,
                        value.span,
                        format!("`{path}` is `{s}`, which is not one of {}", allowed.join(", ")),
                    );
                    if let Some(m) = did_you_mean(s, allowed.iter().copied()) {
                        d = d.help(format!("did you mean `{m}`?"));
                    } else {
                        d = d.help(format!("use one of {}", allowed.join(", ")));
                    }
                    self.diags.push(d);
                }
                None => self.wrong_type(value, path, "one of the listed words"),
            }
            return;
        }
        if let Some(union) = ty.strip_prefix("union:") {
            self.check_union(value, union, path);
            return;
        }
        let lang = match ty {
            "any" => return,
            "str" => {
                self.scalar(value, path, "text", |k| matches!(k, Kind::Str(_)));
                return;
            }
            "int" => {
                self.scalar(value, path, "an integer", |k| matches!(k, Kind::Int(_)));
                return;
            }
            "num" => {
                self.scalar(value, path, "a number", |k| matches!(k, Kind::Int(_) | Kind::Float(_)));
                return;
            }
            "bool" => {
                self.scalar(value, path, "`true` or `false`", |k| matches!(k, Kind::Bool(_)));
                return;
            }
            "icon" | "resource" => {
                self.scalar(value, path, "a file path", |k| matches!(k, Kind::Str(_) | Kind::Null));
                return;
            }
            "cel" => Some(Lang::Cel),
            "stql" => Some(Lang::Stql),
            "promql" => Some(Lang::PromQl),
            "template" => Some(Lang::Template),
            "hint" => Some(Lang::Hint),
            _ => None,
        };
        if let Some(lang) = lang {
            // CEL literals may be written as plain YAML numbers/booleans (`expireAfter`-like
            // values never are CEL; a CEL `true` is fine).
            let ok = matches!(value.kind, Kind::Str(_))
                || (lang == Lang::Cel && matches!(value.kind, Kind::Bool(_) | Kind::Int(_)));
            if ok {
                self.embedded.push(Embedded {
                    lang,
                    path: path.to_string(),
                    value,
                });
            } else {
                self.wrong_type(value, path, "text");
            }
            return;
        }
        let Some(st) = self.schema.get(ty) else {
            return;
        };
        self.check_struct(value, st, path);
    }

    fn scalar(&mut self, value: &Node, path: &str, expected: &str, ok: impl Fn(&Kind) -> bool) {
        if !ok(&value.kind) {
            self.wrong_type(value, path, expected);
        }
    }

    fn wrong_type(&mut self, value: &Node, path: &str, expected: &str) {
        let mut d = Diagnostic::new(
            &rules::FIELD_TYPE,
            value.span,
            format!("`{path}` must be {expected}, found {}", value.type_name()),
        );
        if expected == "an integer" || expected == "a number" {
            if let Some(s) = value.as_str() {
                if s.parse::<f64>().is_ok() {
                    d = d.help(format!("write the number without quotes: {s}"));
                }
            }
        }
        if expected == "text" && matches!(value.kind, Kind::Int(_) | Kind::Float(_) | Kind::Bool(_)) {
            d = d.help("quote the value so YAML reads it as text");
        }
        self.diags.push(d);
    }

    fn check_union(&mut self, value: &'a Node, union: &str, path: &str) {
        let Some(u) = self.schema.union(union) else { return };
        if value.as_map().is_none() {
            self.wrong_type(value, path, "a mapping with a `_type`");
            return;
        }
        let Some(t) = value.get("_type") else {
            self.diags.push(
                Diagnostic::new(&rules::MISSING_FIELD, value.span, format!("`{path}` has no `_type`"))
                    .help(format!("add `_type:` with one of {}", u.members.join(", "))),
            );
            return;
        };
        let Some(tn) = t.as_str() else {
            self.wrong_type(t, &format!("{path}._type"), "text");
            return;
        };
        match u.members.iter().find(|m| *m == tn).and_then(|m| self.schema.get(m)) {
            Some(st) => self.check_struct(value, st, path),
            None => {
                let mut d = Diagnostic::new(
                    &rules::ENUM_VALUE,
                    t.span,
                    format!("`{path}._type` is `{tn}`, which is not a known {union} type"),
                );
                d = match did_you_mean(tn, u.members.iter().map(String::as_str)) {
                    Some(m) => d.help(format!("did you mean `{m}`?")),
                    None => d.help(format!("use one of {}", u.members.join(", "))),
                };
                self.diags.push(d);
            }
        }
    }

    pub fn check_struct(&mut self, value: &'a Node, st: &Struct, path: &str) {
        let Some(entries) = value.as_map() else {
            self.wrong_type(value, path, "a mapping");
            return;
        };
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        for (k, v) in entries {
            let here = join(&k.value);
            let Some(f) = st.field(&k.value) else {
                let names = st
                    .fields
                    .iter()
                    .filter(|f| f.renamed_to.is_none() && f.removed.is_none())
                    .map(|f| f.name.as_str());
                let mut d = Diagnostic::new(
                    &rules::UNKNOWN_FIELD,
                    k.span,
                    format!("`{here}` is not a field of {}", st.name),
                );
                d = match did_you_mean(&k.value, names) {
                    Some(m) => d.help(format!("did you mean `{m}`?")),
                    None => d.help(format!(
                        "the server ignores or rejects it; {} has {}",
                        st.name,
                        st.fields
                            .iter()
                            .filter(|f| f.renamed_to.is_none() && f.removed.is_none() && f.name != "_type")
                            .map(|f| format!("`{}`", f.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.diags.push(d);
                continue;
            };
            if let Some(new) = &f.renamed_to {
                let since = f.since.as_deref().unwrap_or("?");
                let mut d = Diagnostic::new(
                    &rules::RENAMED_FIELD,
                    k.span,
                    format!("`{here}` was renamed to `{new}` in SUSE Observability {since}"),
                )
                .help(format!("write `{new}` instead"));
                if let Some(n) = &f.note {
                    d = d.note(n.clone());
                }
                if let Some(e) = &f.evidence {
                    d = d.note(format!("evidence: {e}"));
                }
                if entries.iter().any(|(o, _)| &o.value == new) {
                    d = d.note(format!("`{new}` is also set: the old field is redundant"));
                }
                self.diags.push(d);
            } else if let Some(removed) = &f.removed {
                let mut d = Diagnostic::new(
                    &rules::REMOVED_FIELD,
                    k.span,
                    format!("`{here}` is no longer read since SUSE Observability {removed}"),
                )
                .help("remove it");
                if let Some(e) = &f.evidence {
                    d = d.note(format!("evidence: {e}"));
                }
                self.diags.push(d);
            } else if let (Some(since), Some(min)) = (f.since.as_deref().and_then(parse_version), &self.targets.min) {
                if *min < since {
                    let mut d = Diagnostic::new(
                        &rules::FIELD_TOO_NEW,
                        k.span,
                        format!(
                            "`{here}` exists since SUSE Observability {since}, but the pack targets servers from {min}"
                        ),
                    );
                    let old = st
                        .fields
                        .iter()
                        .find(|o| o.renamed_to.as_deref() == Some(f.name.as_str()));
                    d = match old {
                        Some(o) => d.help(format!(
                            "write `{}` for older servers, or raise the minimum to {since}",
                            o.name
                        )),
                        None => d.help(format!("raise the minimum server version to {since}")),
                    };
                    if let Some(n) = &f.note {
                        d = d.note(n.clone());
                    }
                    self.diags.push(d);
                }
            }
            if f.positive {
                let n = match v.kind {
                    Kind::Int(i) => Some(i as f64),
                    Kind::Float(x) => Some(x),
                    _ => None,
                };
                if let Some(n) = n.filter(|n| *n <= 0.0) {
                    self.diags.push(
                        Diagnostic::new(
                            &rules::NOT_POSITIVE,
                            v.span,
                            format!("`{here}` is {n}; it must be greater than 0"),
                        )
                        .help("use a positive value"),
                    );
                }
            }
            // An empty optional field (`description:`) reads as absent.
            if matches!(v.kind, Kind::Null) && !f.required {
                continue;
            }
            let ty = self.variant_type(st, f, value);
            self.check(v, &ty, &here);
        }
        for f in st.fields.iter().filter(|f| f.required) {
            let present = entries.iter().any(|(k, _)| {
                k.value == f.name || st.field(&k.value).and_then(|o| o.renamed_to.as_deref()) == Some(f.name.as_str())
            });
            if !present {
                self.diags.push(
                    Diagnostic::new(
                        &rules::MISSING_FIELD,
                        value.span,
                        if path.is_empty() {
                            format!("this {} lacks the required field `{}`", st.name, f.name)
                        } else {
                            format!("`{path}` ({}) lacks the required field `{}`", st.name, f.name)
                        },
                    )
                    .label(format!("no `{}` here", f.name))
                    .help(format!("add `{}` ({})", f.name, describe_type(&f.ty))),
                );
            }
        }
    }

    fn variant_type(&self, _st: &Struct, f: &Field, node: &Node) -> String {
        if f.variants.is_empty() {
            return f.ty.clone();
        }
        node.str_at("function")
            .and_then(|fun| f.variants.get(fun))
            .cloned()
            .unwrap_or_else(|| f.ty.clone())
    }
}

/// A type in words, for help texts.
pub fn describe_type(ty: &str) -> String {
    if let Some(inner) = ty.strip_prefix("list:") {
        return format!("a list of {}", describe_type(inner));
    }
    if let Some(v) = ty.strip_prefix("enum:") {
        return format!("one of {}", v.replace('|', ", "));
    }
    if let Some(u) = ty.strip_prefix("union:") {
        return format!("a {u} with a `_type`");
    }
    match ty {
        "str" => "text".into(),
        "int" => "an integer".into(),
        "num" => "a number".into(),
        "bool" => "true or false".into(),
        "cel" => "a CEL expression".into(),
        "stql" => "an STQL query".into(),
        "promql" => "a PromQL query".into(),
        "template" => "a `${label}` template".into(),
        "hint" => "Markdown or `!include <file>`".into(),
        "icon" => "`!icon <file>`".into(),
        "any" => "any value".into(),
        other => format!("a {other} mapping"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_parses_and_is_consistent() {
        let s: Schema = match toml::from_str(DATA) {
            Ok(s) => s,
            Err(e) => panic!("data/v2-schema.toml: {e}"),
        };
        let known = |t: &str| -> bool {
            let mut t = t;
            while let Some(r) = t.strip_prefix("list:").or_else(|| t.strip_prefix("map:")) {
                t = r;
            }
            if t.starts_with("enum:") {
                return true;
            }
            if let Some(u) = t.strip_prefix("union:") {
                return s.union(u).is_some();
            }
            matches!(
                t,
                "str"
                    | "int"
                    | "num"
                    | "bool"
                    | "any"
                    | "cel"
                    | "stql"
                    | "promql"
                    | "template"
                    | "hint"
                    | "icon"
                    | "resource"
            ) || s.get(t).is_some()
        };
        for st in &s.structs {
            assert!(!st.evidence.is_empty(), "{} has no evidence", st.name);
            assert_eq!(
                st.node,
                st.kind.is_some(),
                "{}: node types and only they have a kind",
                st.name
            );
            for f in &st.fields {
                assert!(known(&f.ty), "{}.{}: unknown type {}", st.name, f.name, f.ty);
                for v in f.variants.values() {
                    assert!(s.get(v).is_some(), "{}.{}: unknown variant {v}", st.name, f.name);
                }
                if let Some(new) = &f.renamed_to {
                    assert!(
                        st.field(new).is_some(),
                        "{}.{} renamed to a missing field",
                        st.name,
                        f.name
                    );
                    assert!(
                        f.since.is_some() && f.evidence.is_some(),
                        "{}.{}: a rename needs since and evidence",
                        st.name,
                        f.name
                    );
                }
                for v in [&f.since, &f.removed].into_iter().flatten() {
                    assert!(parse_version(v).is_some(), "{}.{}: bad version {v}", st.name, f.name);
                    assert!(
                        f.evidence.is_some(),
                        "{}.{}: a versioned field needs evidence",
                        st.name,
                        f.name
                    );
                }
            }
        }
        for u in &s.unions {
            for m in &u.members {
                assert!(s.get(m).is_some(), "union {} names missing {m}", u.name);
            }
        }
        let nodes: Vec<&str> = s.node_types().map(|n| n.name.as_str()).collect();
        for t in [
            "Monitor",
            "ExternalMonitor",
            "ComponentPresentation",
            "OtelComponentMapping",
            "OtelRelationMapping",
            "MainMenuGroup",
            "Dashboard",
        ] {
            assert!(nodes.contains(&t), "{t} missing");
        }
    }
}
