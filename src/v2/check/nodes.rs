//! `.sty` documents, node types and their schemas, identifiers, and handlebars left in `.sty`.

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::source::Span;
use crate::v2::load::Pack;
use crate::v2::rules;
use crate::v2::schema::{self, Embedded, Targets};
use std::collections::HashMap;

/// The embedded strings of one node, with the node's index in [`Pack::nodes`].
pub struct NodeEmbedded<'a> {
    pub node: usize,
    pub items: Vec<Embedded<'a>>,
}

pub fn run<'a>(pack: &'a Pack, targets: &Targets, diags: &mut Diagnostics) -> Vec<NodeEmbedded<'a>> {
    for f in &pack.sty {
        handlebars_in_sty(pack, f.file, diags);
        if f.docs.len() > 1 {
            diags.push(
                Diagnostic::new(
                    &rules::MULTI_DOCUMENT,
                    Span::file_start(f.file),
                    format!("`{}` holds {} YAML documents", f.path, f.docs.len()),
                )
                .help("put each document in its own .sty file: every published pack has one `nodes:` document per file")
                .note("Guess: the server's reader is not documented to read more than one document per file"),
            );
        }
        for d in &f.docs {
            let shape_ok = d.as_map().is_some_and(|m| m.len() == 1)
                && d.get("nodes")
                    .is_some_and(|n| n.as_seq().is_some() || matches!(n.kind, crate::v2::yaml::Kind::Null));
            if !shape_ok {
                let keys: Vec<String> = d
                    .as_map()
                    .map(|m| m.iter().map(|(k, _)| format!("`{}`", k.value)).collect())
                    .unwrap_or_default();
                let found = if keys.is_empty() {
                    d.type_name().to_string()
                } else {
                    format!("the keys {}", keys.join(", "))
                };
                diags.push(
                    Diagnostic::new(
                        &rules::STY_SHAPE,
                        d.span,
                        format!("a .sty document must be `nodes:` with a list of nodes; found {found}"),
                    )
                    .help("write `nodes:` followed by `- _type: …` items"),
                );
            }
        }
    }
    let schema = schema::schema();
    let name = pack.name();
    let mut out = Vec::new();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for (i, at) in pack.nodes().enumerate() {
        let node = at.node;
        if node.as_map().is_none() {
            diags.push(
                Diagnostic::new(
                    &rules::STY_SHAPE,
                    node.span,
                    format!("a node must be a mapping, found {}", node.type_name()),
                )
                .help("write `- _type: Monitor` …"),
            );
            continue;
        }
        let Some(tn) = at.type_name() else {
            diags.push(
                Diagnostic::new(&rules::MISSING_TYPE, node.span, "this node has no `_type`").help(format!(
                    "add `_type:` with one of {}",
                    schema
                        .node_types()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            continue;
        };
        let Some(st) = schema.node_type(tn) else {
            let span = node.get("_type").map(|t| t.span).unwrap_or(node.span);
            let mut d = Diagnostic::new(
                &rules::UNKNOWN_NODE_TYPE,
                span,
                format!("`{tn}` is not a 2.0 node type"),
            );
            d = match did_you_mean(tn, schema.node_types().map(|s| s.name.as_str())) {
                Some(m) => d.help(format!("did you mean `{m}`?")),
                None => d.help(format!(
                    "the node types are {}",
                    schema
                        .node_types()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            if tn == "MetricBinding" {
                d = d.note("MetricBinding belongs to the old template; 2.0 presentations define `metrics[]`");
            }
            diags.push(d);
            continue;
        };
        let mut w = schema::Walk {
            schema,
            targets,
            diags,
            embedded: Vec::new(),
        };
        w.check_struct(node, st, "");
        out.push(NodeEmbedded {
            node: i,
            items: w.embedded,
        });
        if let Some(idn) = node.get("identifier") {
            if let Some(id) = idn.as_str() {
                identifier(id, idn.span, name, st.kind.as_deref().unwrap_or(""), tn, diags);
                match seen.get(id) {
                    Some(first) => diags.push(
                        Diagnostic::new(
                            &rules::DUPLICATE_IDENTIFIER,
                            idn.span,
                            format!("the identifier `{id}` is already used"),
                        )
                        .related(*first, "first used here")
                        .help("give each node its own identifier: on import the later node replaces the earlier one"),
                    ),
                    None => {
                        seen.insert(id, idn.span);
                    }
                }
            }
        }
    }
    out
}

fn identifier(id: &str, span: Span, pack_name: Option<&str>, kind: &str, tn: &str, diags: &mut Diagnostics) {
    let parts: Vec<&str> = id.split(':').collect();
    if parts.contains(&"shared") {
        diags.push(
            Diagnostic::new(
                &rules::SHARED_SEGMENT,
                span,
                format!("`{id}` has the old `:shared:` segment"),
            )
            .help(format!("write `{}`", id.replacen(":shared:", ":", 1))),
        );
    }
    let parts: Vec<&str> = parts.into_iter().filter(|p| *p != "shared").collect();
    let expected = format!("urn:stackpack:{}:{kind}:<name>", pack_name.unwrap_or("<pack>"));
    if parts.len() < 5 || parts[0] != "urn" || parts[1] != "stackpack" || parts.iter().skip(4).any(|p| p.is_empty()) {
        diags.push(
            Diagnostic::new(
                &rules::IDENTIFIER_FORMAT,
                span,
                format!("`{id}` is not of the form `{expected}`"),
            )
            .help(format!("identifiers of {tn} nodes are `{expected}`")),
        );
        return;
    }
    if let Some(n) = pack_name {
        if parts[2] != n {
            diags.push(
                Diagnostic::new(
                    &rules::IDENTIFIER_FORMAT,
                    span,
                    format!("`{id}` names the pack `{}`, but this pack is `{n}`", parts[2]),
                )
                .help(format!("write `urn:stackpack:{n}:{}`", parts[3..].join(":"))),
            );
            return;
        }
    }
    if parts[3] != kind {
        diags.push(
            Diagnostic::new(
                &rules::IDENTIFIER_FORMAT,
                span,
                format!("`{id}` has the kind segment `{}`, but a {tn} is `{kind}`", parts[3]),
            )
            .help(format!(
                "write `urn:stackpack:{}:{kind}:{}`",
                parts[2],
                parts[4..].join(":")
            )),
        );
    }
}

/// `{{ … }}` anywhere in a `.sty` file (comments excepted).
fn handlebars_in_sty(pack: &Pack, file: crate::source::FileId, diags: &mut Diagnostics) {
    let text = &pack.sources.file(file).text;
    let mut offset = 0;
    let mut found = 0;
    for line in text.split_inclusive('\n') {
        let code_end = comment_start(line).unwrap_or(line.len());
        let code = &line[..code_end];
        let mut from = 0;
        while let Some(i) = code[from..].find("{{") {
            let at = offset + from + i;
            let end = code[from + i..]
                .find("}}")
                .map(|e| offset + from + i + e + 2)
                .unwrap_or(at + 2);
            let snippet = &text[at..end.min(text.len())];
            let mut d = Diagnostic::new(
                &rules::HANDLEBARS_IN_STY,
                Span::new(file, at, end),
                "handlebars in a .sty file",
            )
            .help("2.0 settings are plain YAML: use `!include <file>` for text and write URNs literally");
            if snippet.contains("include") {
                d = d.help("replace `{{ include \"x\" … }}` with `!include x` (the path under includes/)");
            } else if snippet.contains("get ") {
                d = d.help("replace `{{ get \"urn:…\" }}` with the URN itself");
            }
            diags.push(d);
            found += 1;
            if found >= 20 {
                return;
            }
            from += i + 2;
        }
        offset += line.len();
    }
}

/// Start of a YAML comment in a line (a `#` at the start or after a space, outside quotes).
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let (mut single, mut double) = (false, false);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') => return Some(i),
            _ => {}
        }
    }
    None
}
