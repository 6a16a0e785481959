//! SP3xx: templates and scripts — every sync template parses, its `get` targets resolve,
//! import-time `{{…}}` in node fields name real variables, scripts are not empty.

use super::rules;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::tree::{Kind, Value};
use crate::model::resolve::urn_pack;
use crate::model::{kebab, Body, Node, NodeKind, Pack};
use crate::source::{Span, Spanned};
use crate::template::{self, TagKind};
use std::collections::{BTreeSet, HashMap};

/// What a `get` target in a template stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum GetTarget {
    /// A node of this pack.
    Local(usize),
    /// A URN of a declared dependency.
    Dependency,
    /// A URN of a pack that is not declared.
    Undeclared(String),
    /// Not checkable offline (built at sync time, `urn:system:auto:…`, other namespaces).
    Unchecked,
    Missing,
}

/// The URN segment a node's shorthand uses (`check-function` in `check-function:disk`).
fn segment(node: &Node) -> String {
    match &node.body {
        Body::Stj { stj_type, .. } => kebab(&stj_type.value),
        _ => node.kind.urn_segment().to_string(),
    }
}

/// Resolves `get` targets: full URNs, or the shorthand `<segment>:<id>` (looked up in a table
/// built once per pack).
pub struct GetResolver<'a> {
    pack: &'a Pack,
    shorthand: HashMap<String, usize>,
}

impl<'a> GetResolver<'a> {
    pub fn new(pack: &'a Pack) -> GetResolver<'a> {
        let mut shorthand = HashMap::with_capacity(pack.nodes.len());
        for (i, n) in pack.nodes.iter().enumerate() {
            shorthand.entry(format!("{}:{}", segment(n), n.id.value)).or_insert(i);
        }
        GetResolver { pack, shorthand }
    }

    /// Resolve one `get` target.
    pub fn resolve(&self, target: &str) -> GetTarget {
        let pack = self.pack;
        let t = target.trim();
        if t.starts_with("urn:") {
            if let Some(i) = pack.index.by_urn(t) {
                return GetTarget::Local(i);
            }
            if t.contains("{{") {
                return GetTarget::Unchecked;
            }
            return match urn_pack(t) {
                None => GetTarget::Unchecked,
                Some(p) if p == pack.manifest.name.value => GetTarget::Missing,
                Some(p) if pack.manifest.dependency(p).is_some() => GetTarget::Dependency,
                Some(p) => GetTarget::Undeclared(p.to_string()),
            };
        }
        if t.contains("{{") {
            return GetTarget::Unchecked;
        }
        match self.shorthand.get(t) {
            Some(&i) => GetTarget::Local(i),
            None => GetTarget::Missing,
        }
    }
}

/// Every template file of the pack with the nodes using it (each file once).
pub fn template_files(pack: &Pack) -> Vec<(&Node, &Spanned<String>)> {
    let mut seen = BTreeSet::new();
    pack.nodes
        .iter()
        .filter_map(|n| match &n.body {
            Body::Template(t) if seen.insert(t.template.value.as_str()) => Some((n, &t.template)),
            _ => None,
        })
        .collect()
}

/// Run the SP3xx rules. Returns the nodes that templates reach through `get` (for SP901).
pub fn check(pack: &Pack, diags: &mut Diagnostics) -> Vec<usize> {
    let vars = pack.manifest.import_vars();
    let gets = GetResolver::new(pack);
    let mut reached = Vec::new();
    let instance_args = files_with_instance_args(pack);
    for (node, path) in template_files(pack) {
        let Some((file, _)) = pack.text(&path.value) else {
            continue; // missing or unreadable: reported by the model (SP010, SP001)
        };
        let Some(scan) = pack.template_scan(&path.value) else {
            continue;
        };
        match scan {
            Err(e) => diags.push(
                Diagnostic::new(
                    &rules::TEMPLATE_SYNTAX,
                    Span::new(file, e.range.start, e.range.end),
                    format!(
                        "template of {} `{}`: {}",
                        node.kind.singular(),
                        node.id.value,
                        e.message
                    ),
                )
                .related(path.span, "used here")
                .help("fix the Handlebars syntax; templates are written unescaped (`{{ element.name }}`)"),
            ),
            Ok(scanned) => {
                if !instance_args.contains(path.value.as_str()) {
                    for tag in &scanned.tags {
                        if tag.escaped
                            || tag.phase != template::Phase::Import
                            || !matches!(tag.kind, TagKind::Expr | TagKind::Raw | TagKind::BlockOpen)
                        {
                            continue;
                        }
                        let var = if tag.args.is_empty() && tag.kind != TagKind::BlockOpen {
                            Some(tag.root())
                        } else {
                            tag.args
                                .first()
                                .filter(|a| a.kind == template::ArgKind::Path)
                                .and_then(|a| a.text.split(['.', '/', '[']).next())
                        };
                        if let Some(var) = var.filter(|v| vars.contains(v)) {
                            diags.push(shared_var(
                                pack,
                                Span::new(file, tag.range.start, tag.range.end),
                                var,
                                &format!("the template of {} `{}`", node.kind.singular(), node.id.value),
                                &format!("{} `{}`", node.kind.singular(), node.id.value),
                            ));
                        }
                    }
                }
                for w in &scanned.warnings {
                    diags.push(
                        Diagnostic::new(
                            &rules::TEMPLATE_ESCAPING,
                            Span::new(file, w.range.start, w.range.end),
                            w.message.clone(),
                        )
                        .help(w.help.unwrap_or(
                            "write templates unescaped (`{{ x }}`, not `\\{{ x \\}}`): the compiler escapes sync-time tags itself; a literal backslash before a tag is `\\\\{{ x }}` (one JSON-escaped backslash, then the tag)",
                        )),
                    );
                }
                for (var, range) in &scanned.shadowed {
                    diags.push(
                        Diagnostic::new(
                            &rules::IMPORT_VARIABLE_SHADOWED_IN_SYNC_BLOCK,
                            Span::new(file, range.start, range.end),
                            format!(
                                "`{var}` is inside a sync-time block, so it is read from the element at sync time, not replaced by the import variable `{var}`"
                            ),
                        )
                        .label("evaluated per element at sync time")
                        .help(format!(
                            "to use the element's field, write `this.{var}` (or `./{var}`) to make it explicit; to use the import variable, move the tag out of the block or rename the step"
                        )),
                    );
                }
                check_gets(pack, &gets, file, scanned, &mut reached, diags);
            }
        }
    }

    let mut seen = BTreeSet::new();
    for node in &pack.nodes {
        let script = match &node.body {
            Body::Script(s) => &s.script,
            Body::CheckFunction(c) => &c.script,
            _ => continue,
        };
        if !seen.insert(script.value.as_str()) {
            continue;
        }
        if let Some((_, text)) = pack.text(&script.value) {
            if text.trim().is_empty() {
                diags.push(
                    Diagnostic::new(
                        &rules::EMPTY_SCRIPT,
                        script.span,
                        format!("`{}` is empty", script.value),
                    )
                    .label("this file has no code")
                    .help(match node.kind {
                        NodeKind::IdExtractor => "return `Sts.createId(externalId, identifiers, type)` from the script",
                        NodeKind::CheckFunction => "return a health state (or run state) from the script",
                        _ => "return the (modified) element from the script",
                    }),
                );
            }
        }
    }

    let with_args = [
        pack.imported_with_args(crate::model::Scope::Shared),
        pack.imported_with_args(crate::model::Scope::Instance),
    ];
    for node in &pack.nodes {
        let args = with_args[usize::from(node.scope == crate::model::Scope::Instance)];
        node_strings(pack, node, &vars, args, diags);
    }
    reached
}

/// The `get`-family helpers of one template: `get` targets must exist (and a
/// `"Type=Parameter;Name=x"` child must be a parameter of the target), at least one URN of a
/// `getFirstExisting` must, and `getOrCreate` must have the shape StackState accepts.
fn check_gets(
    pack: &Pack,
    gets: &GetResolver,
    file: crate::source::FileId,
    scanned: &template::Scanned,
    reached: &mut Vec<usize>,
    diags: &mut Diagnostics,
) {
    use template::ArgKind;
    for tag in &scanned.tags {
        let strings: Vec<&template::Arg> = tag.args.iter().filter(|a| a.kind == ArgKind::String).collect();
        let span_of = |a: &template::Arg| Span::new(file, a.range.start, a.range.end);
        match tag.head.as_str() {
            "get" => {
                let Some(target) = strings.first().filter(|a| !a.text.starts_with("Type=")) else {
                    continue;
                };
                let resolved = gets.resolve(&target.text);
                report_target(pack, &resolved, &target.text, span_of(target), diags);
                if let GetTarget::Local(i) = resolved {
                    reached.push(i);
                    instance_get(pack, i, tag, span_of(target), diags);
                    if let Some(child) = strings.get(1) {
                        check_parameter(pack, i, child, span_of(child), diags);
                    }
                }
            }
            "getFirstExisting" => {
                let mut any = false;
                for a in &strings {
                    let resolved = gets.resolve(&a.text);
                    match &resolved {
                        GetTarget::Local(i) => {
                            reached.push(*i);
                            any = true;
                        }
                        GetTarget::Dependency | GetTarget::Unchecked => any = true,
                        GetTarget::Undeclared(_) => report_target(pack, &resolved, &a.text, span_of(a), diags),
                        GetTarget::Missing => {}
                    }
                }
                if !any && !strings.is_empty() {
                    diags.push(
                        Diagnostic::new(
                            &rules::UNRESOLVED_TEMPLATE_GET,
                            Span::new(file, tag.range.start, tag.range.end),
                            "none of the URNs of this `getFirstExisting` names a node of the pack or a dependency",
                        )
                        .label("would find nothing")
                        .help("list at least one URN that exists (the current one after the old ones)"),
                    );
                }
            }
            "getOrCreate" => {
                if let Some(first) = tag.args.first().filter(|a| a.kind == ArgKind::String) {
                    let resolved = gets.resolve(&first.text);
                    match resolved {
                        GetTarget::Local(i) => reached.push(i),
                        GetTarget::Undeclared(_) => report_target(pack, &resolved, &first.text, span_of(first), diags),
                        _ => {} // a missing URN is what getOrCreate is for
                    }
                }
                get_or_create_shape(tag, file, diags);
            }
            _ => {}
        }
    }
}

/// A sync-time `get` of an instance-scoped node (issue 10.2). Its URN holds `{{instanceId}}`, so
/// the compiled tag would be `\{{ get "urn:…:instance:{{instanceId}}:…" \}}`: an import-time tag
/// inside an escaped one. No published pack does this (their sync templates only `get` shared
/// and `common` nodes) and our own import pass of the built `.sts` rejects it (SP726).
fn instance_get(pack: &Pack, target: usize, tag: &template::Tag, span: Span, diags: &mut Diagnostics) {
    let node = &pack.nodes[target];
    if node.scope != crate::model::Scope::Instance || tag.phase != template::Phase::Sync {
        return;
    }
    diags.push(
        Diagnostic::new(
            &rules::SYNC_GET_OF_INSTANCE_NODE,
            span,
            format!(
                "sync-time `get` of instance-scoped {} `{}`",
                node.kind.singular(),
                node.id.value
            ),
        )
        .label("its URN contains `{{instanceId}}`, which cannot be written inside a sync-time tag")
        .related(node.id.span, "declared with `scope: instance` here")
        .help("make the target `scope: shared` (published packs only `get` shared and dependency nodes at sync time)"),
    );
}

/// Report a `get` target that does not resolve.
fn report_target(pack: &Pack, resolved: &GetTarget, target: &str, span: Span, diags: &mut Diagnostics) {
    match resolved {
        GetTarget::Local(_) | GetTarget::Dependency | GetTarget::Unchecked => {}
        GetTarget::Undeclared(dep) => diags.push(
            Diagnostic::new(
                &rules::UNDECLARED_DEPENDENCY,
                span,
                format!("`{target}` belongs to the pack `{dep}`, which is not a declared dependency"),
            )
            .label("may not be installed")
            .help(format!(
                "add `{dep} = \"<version>\"` to [dependencies] in stackpack.toml"
            )),
        ),
        GetTarget::Missing => {
            let shorthand: Vec<String> = pack
                .nodes
                .iter()
                .map(|n| format!("{}:{}", segment(n), n.id.value))
                .collect();
            let candidates: Vec<&str> = if target.starts_with("urn:") {
                pack.index.urns.iter().map(String::as_str).collect()
            } else {
                shorthand.iter().map(String::as_str).collect()
            };
            let mut d = Diagnostic::new(
                &rules::UNRESOLVED_TEMPLATE_GET,
                span,
                format!("`get \"{target}\"` names no node of the pack"),
            )
            .label(if target.starts_with("urn:") {
                "no node with this URN"
            } else {
                "no node with this segment and id"
            });
            d = match did_you_mean(target, candidates) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(
                    "write a full URN, or `<segment>:<id>` of a node of this pack (e.g. `check-function:disk-space`)",
                ),
            };
            diags.push(d);
        }
    }
}

/// `"Type=Parameter;Name=<p>"` after a `get` of a function of the pack: `<p>` must be one of its
/// parameters (reference §4.1, §7.16).
fn check_parameter(pack: &Pack, target: usize, child: &template::Arg, span: Span, diags: &mut Diagnostics) {
    let Some(rest) = child.text.strip_prefix("Type=Parameter;Name=") else {
        return;
    };
    let Some(node) = pack.nodes.get(target) else { return };
    let params: Vec<&str> = match &node.body {
        Body::CheckFunction(c) => c.parameters.iter().map(|p| p.name.value.as_str()).collect(),
        Body::Script(s) => vec![s.parameter.value.as_str()],
        Body::Template(t) => vec![t.parameter.value.as_str()],
        _ => return,
    };
    if params.contains(&rest) {
        return;
    }
    let mut d = Diagnostic::new(
        &rules::UNKNOWN_GET_PARAMETER,
        span,
        format!("{} `{}` has no parameter `{rest}`", node.kind.singular(), node.id.value),
    )
    .label("no such parameter")
    .related(node.id.span, "the function");
    d = match did_you_mean(rest, params.iter().copied()) {
        Some(s) => d.help(format!("did you mean `Type=Parameter;Name={s}`?")),
        None if params.is_empty() => d.help("the function declares no parameters"),
        None => d.help(format!("its parameters: {}", params.join(", "))),
    };
    diags.push(d);
}

/// Types `getOrCreate` may create (reference §5).
const GET_OR_CREATE_TYPES: [&str; 5] = ["Environment", "Layer", "Domain", "ComponentType", "RelationType"];

/// `getOrCreate <urn> <createUrn> "Type=<T>;Name=<N>"`: three arguments, a create-URN in
/// `urn:system:auto`, and `T` one of the types StackState creates.
fn get_or_create_shape(tag: &template::Tag, file: crate::source::FileId, diags: &mut Diagnostics) {
    use template::ArgKind;
    let whole = Span::new(file, tag.range.start, tag.range.end);
    if tag.args.len() != 3 {
        diags.push(
            Diagnostic::new(
                &rules::INVALID_GET_OR_CREATE,
                whole,
                format!("`getOrCreate` takes 3 arguments, found {}", tag.args.len()),
            )
            .help("write `getOrCreate \"<urn>\" \"urn:system:auto:<…>\" \"Type=<Type>;Name=<name>\"`"),
        );
        return;
    }
    let create = &tag.args[1];
    if create.kind == ArgKind::String && !create.text.starts_with("urn:system:auto:") {
        diags.push(
            Diagnostic::new(
                &rules::INVALID_GET_OR_CREATE,
                Span::new(file, create.range.start, create.range.end),
                format!(
                    "`getOrCreate` creates `{}`, which is not a `urn:system:auto:` URN",
                    create.text
                ),
            )
            .label("StackState only creates nodes under urn:system:auto")
            .help("use `urn:system:auto:<type>:<name>` as the second argument"),
        );
    }
    let spec = &tag.args[2];
    if spec.kind == ArgKind::String {
        let ty = spec
            .text
            .strip_prefix("Type=")
            .and_then(|r| r.split_once(";Name="))
            .map(|(t, _)| t);
        let problem = match ty {
            None => Some(format!("`{}` is not shaped `Type=<Type>;Name=<name>`", spec.text)),
            Some(t) if !GET_OR_CREATE_TYPES.contains(&t) => Some(format!("`getOrCreate` cannot create a `{t}`")),
            Some(_) => None,
        };
        if let Some(message) = problem {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_GET_OR_CREATE,
                    Span::new(file, spec.range.start, spec.range.end),
                    message,
                )
                .help(format!("the type is one of {}", GET_OR_CREATE_TYPES.join(", "))),
            );
        }
    }
}

/// The template files some node using them is imported with the instance arguments, in one
/// pass (a scan of every node per template file would make SP306 quadratic).
fn files_with_instance_args(pack: &Pack) -> std::collections::HashSet<&str> {
    pack.nodes
        .iter()
        .filter_map(|n| match &n.body {
            Body::Template(t) if pack.imported_with_args(n.scope) => Some(t.template.value.as_str()),
            _ => None,
        })
        .collect()
}

/// SP306 for `var` used in `place` (the node itself or its template) of the node `node`.
fn shared_var(pack: &Pack, span: Span, var: &str, place: &str, node: &str) -> Diagnostic {
    let what = place;
    let help = if pack.manifest.multi_instance {
        format!("make {node} instance-scoped (`scope: instance`), or remove `{var}`")
    } else {
        format!("this pack is single-instance: set `multi-instance = true` and `scope: instance` on {node}, or remove `{var}`")
    };
    Diagnostic::new(
        &rules::IMPORT_VARIABLE_IN_SHARED_NODE,
        span,
        format!("`{var}` is used in {what}, which is imported without instance arguments"),
    )
    .label("renders as an empty string")
    .help(help)
}

/// `{{x}}` in plain node fields (names, topics, queries, verbatim fields): `x` must be an
/// import-time variable.
fn node_strings(pack: &Pack, node: &Node, vars: &[&str], instance_args: bool, diags: &mut Diagnostics) {
    let mut strings: Vec<&Spanned<String>> = vec![&node.name];
    strings.extend(node.description.iter());
    strings.extend(node.identifier.iter());
    let mut owned: Vec<Spanned<String>> = Vec::new();
    match &node.body {
        Body::DataSource(ds) => {
            strings.push(&ds.topic);
            strings.push(&ds.integration_type);
        }
        Body::View(v) => strings.push(&v.query),
        Body::Sync(s) => {
            for a in s.component_actions.iter().chain(&s.relation_actions) {
                strings.extend(a.type_name.iter());
            }
        }
        Body::Stj { fields, .. } => collect_strings(fields, &mut owned, 0),
        _ => {}
    }
    for s in strings.into_iter().chain(owned.iter()) {
        for (root, from, to) in import_tags(&s.value) {
            if vars.contains(&root.as_str()) {
                if !instance_args {
                    let span = super::views::value_sub_span(pack, s, from, to);
                    let what = format!("{} `{}`", node.kind.singular(), node.id.value);
                    diags.push(shared_var(pack, span, &root, &what, &what));
                }
                continue;
            }
            let span = super::views::value_sub_span(pack, s, from, to);
            let mut d = Diagnostic::new(
                &rules::UNKNOWN_IMPORT_VARIABLE,
                span,
                format!("`{{{{{root}}}}}` is not an import-time variable"),
            )
            .label("renders as an empty string at import");
            d = match did_you_mean(&root, vars.iter().copied()) {
                Some(v) => d.help(format!("did you mean `{v}`?")),
                None => d.help(format!(
                    "import-time variables are {} (add a [[steps]] entry to ask the user for a value)",
                    vars.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                )),
            };
            diags.push(d);
        }
    }
}

fn collect_strings(v: &Value, out: &mut Vec<Spanned<String>>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &v.kind {
        Kind::Str(s) => out.push(Spanned::new(s.clone(), v.span)),
        Kind::Seq(items) => items.iter().for_each(|i| collect_strings(i, out, depth + 1)),
        Kind::Map(m) => m.entries.iter().for_each(|(_, i)| collect_strings(i, out, depth + 1)),
        _ => {}
    }
}

/// Unescaped `{{ var … }}` tags whose head is a plain variable: `(root, start, end)` byte range
/// of the whole tag. Helpers (`get`, `include`, blocks, `else`) and escaped tags are skipped.
fn import_tags(s: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = s.get(i..).and_then(|r| r.find("{{")) {
        let start = i + rel;
        let Some(close) = s[start + 2..].find("}}") else { break };
        let end = start + 2 + close + 2;
        i = end;
        if start > 0 && s.as_bytes()[start - 1] == b'\\' {
            continue;
        }
        let inner = s[start + 2..end - 2].trim_matches(|c: char| c == '{' || c == '}' || c == '~' || c.is_whitespace());
        if inner.starts_with(['#', '/', '!', '>', '^']) || inner.is_empty() {
            continue;
        }
        let head = inner.split_whitespace().next().unwrap_or("");
        if head.contains(['(', '"', '\'']) || inner.split_whitespace().count() > 1 {
            continue; // a helper call
        }
        if matches!(head, "else" | "this") {
            continue;
        }
        let root = head.split(['.', '/', '[']).next().unwrap_or("").to_string();
        if !root.is_empty() {
            out.push((root, start, end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_tags_are_found() {
        let t = import_tags("sts_{{topicName}}_\\{{element.x\\}} {{ get \"u\" }} {{#if a}}{{ instanceId }}");
        let roots: Vec<_> = t.iter().map(|(r, _, _)| r.as_str()).collect();
        assert_eq!(roots, vec!["topicName", "instanceId"]);
        assert_eq!(t[0].1, 4);
    }
}
