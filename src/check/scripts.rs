//! Import-time variables of Groovy scripts (issue 10.8): a script node's `import-variables` are
//! checked like template variables are, and against the `{{var}}` tags the script contains.
//!
//! The build includes every script in the default (handlebars) mode, escaping each `{{`/`}}`
//! except the `{{var}}` tags of the declared variables, which the import pass substitutes (the
//! Splunk and SolarWinds packs label components with `{{instanceName}}` this way).

use super::rules;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Pack, Scope};
use crate::source::Span;

/// The unescaped `{{ var }}` tags of a script: (variable, start, end) byte offsets. A tag whose
/// content is not a plain name (a closure, a map literal) is not a variable and is skipped.
pub fn var_tags(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("{{").map(|i| i + from) {
        let escaped = i > 0 && text.as_bytes()[i - 1] == b'\\';
        let rest = &text[i + 2..];
        let Some(e) = rest.find("}}") else { break };
        let inner = rest[..e].trim();
        let plain = !inner.is_empty()
            && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !rest[..e].contains('{');
        if plain && !escaped {
            out.push((inner.to_string(), i, i + 2 + e + 2));
            from = i + 2 + e + 2;
        } else {
            from = i + 2;
        }
    }
    out
}

pub fn check(pack: &Pack, diags: &mut Diagnostics) {
    let vars = pack.manifest.import_vars();
    let with_args_by_scope = [
        (Scope::Shared, pack.imported_with_args(Scope::Shared)),
        (Scope::Instance, pack.imported_with_args(Scope::Instance)),
    ];
    for node in &pack.nodes {
        let Some((script, declared)) = node.body.script() else {
            continue;
        };
        let with_args = with_args_by_scope.iter().any(|(s, w)| *s == node.scope && *w);
        for v in declared {
            if !vars.contains(&v.value.as_str()) {
                diags.push(
                    Diagnostic::new(
                        &rules::UNKNOWN_IMPORT_VARIABLE,
                        v.span,
                        format!("`{}` is not an import-time variable", v.value),
                    )
                    .label("the import pass has no value for it")
                    .help(format!("use one of {}", vars.join(", "))),
                );
            } else if !with_args {
                diags.push(
                    Diagnostic::new(
                        &rules::IMPORT_VARIABLE_IN_SHARED_NODE,
                        v.span,
                        format!(
                            "`{}` is substituted in the script of {} `{}`, which is imported without instance arguments",
                            v.value,
                            node.kind.singular(),
                            node.id.value
                        ),
                    )
                    .label("renders as an empty string")
                    .help("make the node instance-scoped (`scope: instance`, in a `multi-instance` pack), or remove the variable"),
                );
            }
        }
        let Some((file, text)) = pack.text(&script.value) else {
            continue; // missing or unreadable: reported by the model
        };
        let tags = var_tags(text);
        for v in declared {
            if !tags.iter().any(|(name, _, _)| *name == v.value) {
                diags.push(
                    Diagnostic::new(
                        &rules::SCRIPT_VARIABLE_UNUSED,
                        v.span,
                        format!(
                            "`{}` never appears as `{{{{{}}}}}` in `{}`",
                            v.value, v.value, script.value
                        ),
                    )
                    .label("nothing to substitute")
                    .help("remove it from `import-variables`, or write `{{var}}` where the script needs the value"),
                );
            }
        }
        let mut reported: Vec<&str> = Vec::new();
        for (name, start, end) in &tags {
            if vars.contains(&name.as_str())
                && !declared.iter().any(|v| v.value == *name)
                && !reported.contains(&name.as_str())
            {
                reported.push(name);
                diags.push(
                    Diagnostic::new(
                        &rules::SCRIPT_VARIABLE_UNDECLARED,
                        Span::new(file, *start, *end),
                        format!(
                            "`{{{{{name}}}}}` is copied literally: {} `{}` does not declare it",
                            node.kind.singular(),
                            node.id.value
                        ),
                    )
                    .label("not substituted at import")
                    .related(script.span, "script of this node")
                    .help(format!(
                        "add `import-variables: [{name}]` to the node if the import pass should fill it in"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plain_variable_tags_only() {
        let t = "a '{{instanceName}}' \\{{x}} {{ -> 1 }} [a: [b: 1]]}} {{ topicName }}";
        let found: Vec<String> = var_tags(t).into_iter().map(|(n, _, _)| n).collect();
        assert_eq!(found, vec!["instanceName", "topicName"]);
    }
}
