//! TOML text → spanned [`Value`] tree (the manifest and other TOML sources).

use super::tree::{Kind, Map, Value};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::rules;
use crate::source::{FileId, SourceFile, Span, Spanned};
use toml::de::{DeTable, DeValue};
use toml::Spanned as TSpanned;

/// Parse `file` (registered as `id`) as a TOML document; syntax errors are reported.
pub fn parse(id: FileId, file: &SourceFile, diags: &mut Diagnostics) -> Option<Value> {
    match DeTable::parse(&file.text) {
        Ok(table) => {
            let span = Span::new(id, 0, file.text.len());
            Some(Value {
                kind: Kind::Map(convert_table(id, table.get_ref())),
                span,
            })
        }
        Err(e) => {
            let range = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            diags.push(
                Diagnostic::new(
                    &rules::TOML_SYNTAX,
                    Span::new(
                        id,
                        range.start,
                        range.end.max(range.start + 1).min(file.text.len().max(range.start)),
                    ),
                    format!("invalid TOML: {message}"),
                )
                .help("fix the TOML syntax at this position"),
            );
            None
        }
    }
}

fn convert_table(id: FileId, table: &DeTable<'_>) -> Map {
    let mut map = Map::default();
    for (k, v) in table.iter() {
        let ks = k.span();
        map.entries.push((
            Spanned::new(k.get_ref().to_string(), Span::new(id, ks.start, ks.end)),
            convert(id, v),
        ));
    }
    map
}

fn convert(id: FileId, v: &TSpanned<DeValue<'_>>) -> Value {
    let r = v.span();
    let span = Span::new(id, r.start, r.end);
    let kind = match v.get_ref() {
        DeValue::String(s) => Kind::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
            Ok(n) => Kind::Int(n),
            Err(_) => Kind::Str(i.as_str().to_string()),
        },
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(n) => Kind::Float(n),
            Err(_) => Kind::Str(f.as_str().to_string()),
        },
        DeValue::Boolean(b) => Kind::Bool(*b),
        DeValue::Datetime(d) => Kind::Str(d.to_string()),
        DeValue::Array(items) => Kind::Seq(items.into_iter().map(|x| convert(id, x)).collect()),
        DeValue::Table(t) => Kind::Map(convert_table(id, t)),
    };
    Value { kind, span }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    #[test]
    fn values_keep_their_spans() {
        let text = "name = \"agent\"\nversion = \"4.3.1\"\n[dependencies]\ncommon = \"2.5.0\"\n";
        let mut sources = SourceMap::new();
        let id = sources.add("stackpack.toml", None, text);
        let mut diags = Diagnostics::new();
        let v = parse(id, sources.file(id), &mut diags);
        assert!(diags.is_empty());
        let v = v.unwrap_or(Value {
            kind: Kind::Null,
            span: Span::file_start(id),
        });
        let deps = v
            .as_map()
            .and_then(|m| m.get("dependencies"))
            .and_then(|d| d.as_map())
            .cloned()
            .unwrap_or_default();
        let common = deps.get("common").cloned();
        assert_eq!(common.as_ref().and_then(|c| c.as_str()), Some("2.5.0"));
        assert_eq!(
            common.map(|c| sources.text(c.span).to_string()).as_deref(),
            Some("\"2.5.0\"")
        );
        assert_eq!(
            v.as_map().map(|m| m.keys().collect::<Vec<_>>()),
            Some(vec!["name", "version", "dependencies"])
        );
    }

    #[test]
    fn syntax_error_is_located() {
        let mut sources = SourceMap::new();
        let id = sources.add("stackpack.toml", None, "name = \"a\"\nversion = \n");
        let mut diags = Diagnostics::new();
        assert!(parse(id, sources.file(id), &mut diags).is_none());
        let d = diags.iter().next().cloned();
        assert_eq!(d.as_ref().map(|d| d.code), Some("SP003"));
        let line = d
            .and_then(|d| d.span)
            .map(|s| sources.file(s.file).line_col(s.start as usize).line);
        assert_eq!(line, Some(2));
    }
}
