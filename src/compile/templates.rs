//! The Handlebars templates of generated files, embedded in the binary (from the top-level
//! `templates/` directory) and overridable per file with `--templates DIR`.
//!
//! Rendering uses no HTML escaping: values are inserted as given, and templates quote them with
//! the `quote` helper (a HOCON/JSON string literal) or the `groovy` helper (a single-quoted Groovy
//! string literal).

use crate::archive::rules;
use crate::diag::{Diagnostic, Diagnostics};
use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason};
use std::path::PathBuf;

/// `stackpack.conf`.
pub const CONF: &str = "stackpack.conf.hbs";
/// The provisioning script.
pub const PROVISION: &str = "provision.groovy.hbs";

/// Every embedded template by file name.
pub const EMBEDDED: &[(&str, &str)] = &[
    (CONF, include_str!("../../templates/stackpack.conf.hbs")),
    (PROVISION, include_str!("../../templates/provision.groovy.hbs")),
];

/// Where templates come from.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    dir: Option<PathBuf>,
}

impl Templates {
    pub fn new(dir: Option<PathBuf>) -> Templates {
        Templates { dir }
    }

    /// The text of template `name`: the override file when `--templates` has one, else the
    /// embedded one.
    fn source(&self, name: &str, diags: &mut Diagnostics) -> Option<(String, String)> {
        if let Some(dir) = &self.dir {
            let path = dir.join(name);
            if path.is_file() {
                return match crate::load::safe::read_regular_to_string(&path) {
                    Ok(t) => Some((path.display().to_string(), t)),
                    Err(e) => {
                        diags.push(Diagnostic::at_path(
                            &rules::OUTPUT_TEMPLATE,
                            path.display().to_string(),
                            format!("cannot read template `{name}`: {e}"),
                        ));
                        None
                    }
                };
            }
        }
        EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, t)| (format!("<embedded>/{n}"), t.to_string()))
    }

    /// Render template `name` with `data`.
    pub fn render(&self, name: &str, data: &serde_json::Value, diags: &mut Diagnostics) -> Option<String> {
        let (origin, text) = self.source(name, diags)?;
        let mut hb = Handlebars::new();
        hb.register_escape_fn(handlebars::no_escape);
        hb.register_helper("quote", Box::new(quote_helper));
        hb.register_helper("groovy", Box::new(groovy_helper));
        if let Err(e) = hb.register_template_string(name, &text) {
            diags.push(
                Diagnostic::at_path(
                    &rules::OUTPUT_TEMPLATE,
                    origin,
                    format!("template `{name}` does not parse: {e}"),
                )
                .help("fix the template, or remove it from the --templates directory to use the built-in one"),
            );
            return None;
        }
        match hb.render(name, data) {
            Ok(s) => Some(s),
            Err(e) => {
                diags.push(
                    Diagnostic::at_path(
                        &rules::OUTPUT_TEMPLATE,
                        origin,
                        format!("template `{name}` does not render: {e}"),
                    )
                    .help("fix the template, or remove it from the --templates directory to use the built-in one"),
                );
                None
            }
        }
    }
}

/// A HOCON quoted string (HOCON quoted strings are JSON strings).
pub fn hocon_string(s: &str) -> String {
    let mut out = String::new();
    super::json::escape_into(&mut out, s);
    out
}

/// A single-quoted Groovy string literal (no `$` interpolation in single quotes).
pub fn groovy_string(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn string_param(h: &Helper, name: &'static str) -> Result<String, RenderErrorReason> {
    let v = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?
        .value();
    Ok(match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => return Err(RenderErrorReason::InvalidParamType("a string, found null")),
        other => other.to_string(),
    })
}

fn quote_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let s = string_param(h, "quote")?;
    out.write(&hocon_string(&s))?;
    Ok(())
}

fn groovy_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let s = string_param(h, "groovy")?;
    out.write(&groovy_string(&s))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(hocon_string("a \"b\" \\ ${x}\n"), "\"a \\\"b\\\" \\\\ ${x}\\n\"");
        assert_eq!(groovy_string("it's $x \\"), "'it\\'s $x \\\\'");
    }

    #[test]
    fn override_directory_replaces_one_template() {
        let dir = tempfile::tempdir();
        let Ok(dir) = dir else { return };
        let _ = std::fs::write(dir.path().join(CONF), "name = {{quote name}}\n");
        let t = Templates::new(Some(dir.path().to_path_buf()));
        let mut diags = Diagnostics::new();
        let out = t.render(CONF, &serde_json::json!({"name": "a\"b"}), &mut diags);
        assert_eq!(out.as_deref(), Some("name = \"a\\\"b\"\n"));
        let _ = std::fs::write(dir.path().join(CONF), "{{#if x}}");
        let out = t.render(CONF, &serde_json::json!({}), &mut diags);
        assert_eq!(out, None);
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), vec!["SP855"]);
    }
}
