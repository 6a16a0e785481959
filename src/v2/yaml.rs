//! YAML for 2.0 packs: the tool's one YAML reader (`crate::load::yaml`) in the 2.0 dialect.
//! Values keep their tags (`!include`, `!icon`, `!resource`) and whether a scalar was quoted,
//! one value per document; a tagged scalar is text; spans cover a scalar's own text; syntax
//! errors are SP2001 (a file the server's lenient parser reads is a warning and is read that
//! way), duplicate keys SP2012, non-text keys SP2016. Aliases are expanded with a budget,
//! nesting is bounded.

use super::rules;
use crate::diag::Diagnostics;
use crate::load::yaml::{Dialect, Recovery, RunBudget};
use crate::source::{FileId, SourceFile};

pub use crate::load::yaml::{Node, NodeKind as Kind};

/// The 2.0 dialect of the shared reader.
pub const V2: Dialect = Dialect {
    syntax: &rules::YAML_SYNTAX,
    duplicate_key: &rules::DUPLICATE_KEY,
    wrong_type: &rules::WRONG_TYPE,
    run_budget: None,
    inexact_number: None,
    max_depth: 200,
    tagged_scalars_are_text: true,
    narrow_scalar_spans: true,
    alias_help: "write the values out instead of repeating aliases",
    duplicate_help: "remove one of the two entries: YAML readers keep only one of them",
    recovery: Recovery::Lenient,
};

/// Parse every document of `file`. `None` after a syntax error (reported as SP2001).
pub fn parse(id: FileId, file: &SourceFile, diags: &mut Diagnostics) -> Option<Vec<Node>> {
    crate::load::yaml::parse_nodes(id, file, &V2, &mut RunBudget::default(), diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    fn load(text: &str) -> (SourceMap, Option<Vec<Node>>, Diagnostics) {
        let mut sources = SourceMap::new();
        let id = sources.add("t.yaml", None, text);
        let mut diags = Diagnostics::new();
        let docs = parse(id, sources.file(id), &mut diags);
        (sources, docs, diags)
    }

    #[test]
    fn tags_quotes_and_documents_are_kept() {
        let (sources, docs, diags) = load("a: !include x/y.md.hbs\nb: \"1.0.0\"\nc: 1.10\n---\nd: [1]\n");
        assert!(diags.is_empty());
        let docs = docs.unwrap_or_default();
        assert_eq!(docs.len(), 2);
        let a = docs[0].get("a").cloned();
        assert_eq!(a.as_ref().and_then(|n| n.tag.clone()).as_deref(), Some("!include"));
        assert_eq!(a.as_ref().and_then(|n| n.as_str()), Some("x/y.md.hbs"));
        assert_eq!(
            a.map(|n| sources.text(n.span).to_string()).as_deref(),
            Some("x/y.md.hbs")
        );
        let b = docs[0].get("b").cloned();
        assert!(b.as_ref().is_some_and(|n| n.quoted));
        assert_eq!(b.and_then(|n| n.as_str().map(String::from)).as_deref(), Some("1.0.0"));
        assert_eq!(docs[0].get("c").map(|n| n.kind.clone()), Some(Kind::Float(1.1)));
    }

    #[test]
    fn errors_and_duplicates() {
        let (_, docs, diags) = load("a: [1, 2\n");
        assert!(docs.is_none());
        assert_eq!(diags.iter().next().map(|d| d.code), Some("SP2001"));
        let (_, _, diags) = load("a: 1\na: 2\n");
        assert_eq!(diags.iter().next().map(|d| d.code), Some("SP2012"));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in ['b', 'c', 'd', 'e', 'f', 'g', 'h'] {
            text.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        let (_, docs, diags) = load(&text);
        assert!(docs.is_none() && diags.has_errors());
    }
}
