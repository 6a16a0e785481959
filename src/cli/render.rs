//! `stackpack render DIR TEMPLATE --element FILE.json`: render one component or relation
//! template for one sample element with StackState's sync-time helpers and print the JSON.

use super::output::{fatal, print_diagnostics};
use crate::diag::render::Format;
use crate::diag::{Diagnostics, Severity};
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack directory.
    pub dir: PathBuf,
    /// The template: the short id of a component or relation template, or its URN.
    pub template: String,
    /// The sample element, as JSON in the shape the sync receives (`externalId`, `type.name`,
    /// `data`; relations also `sourceExternalId`/`targetExternalId`); `-` reads stdin.
    #[arg(long, value_name = "FILE.json")]
    pub element: PathBuf,
    /// An import-time variable (`instanceId=7`, a step value); repeatable.
    #[arg(long = "import-arg", value_name = "NAME=VALUE")]
    pub import_args: Vec<String>,
    /// Print the rendered text exactly as produced instead of re-indented JSON.
    #[arg(long)]
    pub raw: bool,
}

pub fn run(args: Args) -> u8 {
    let pack = match super::test::load(&args.dir) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Some(node) = crate::sync::find_template(&pack, &args.template) else {
        let ids: Vec<&str> = pack
            .nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.kind,
                    crate::model::NodeKind::ComponentTemplate | crate::model::NodeKind::RelationTemplate
                )
            })
            .map(|n| n.id.value.as_str())
            .collect();
        let hint = crate::diag::did_you_mean(&args.template, ids.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| format!("; templates: {}", ids.join(", ")));
        return fatal(format!(
            "`{}` is no component or relation template of this pack{hint}",
            args.template
        ));
    };
    let text = if args.element.as_os_str() == "-" {
        let mut s = String::new();
        match std::io::stdin().read_to_string(&mut s) {
            Ok(_) => s,
            Err(e) => return fatal(format!("cannot read the element from stdin: {e}")),
        }
    } else {
        match std::fs::read_to_string(&args.element) {
            Ok(s) => s,
            Err(e) => return fatal(format!("cannot read `{}`: {e}", args.element.display())),
        }
    };
    let element: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return fatal(format!("`{}` is not JSON: {e}", args.element.display())),
    };
    let has_id = element
        .get("externalId")
        .and_then(|v| v.as_str())
        .is_some_and(|s| !s.is_empty());
    if !has_id || element.pointer("/type/name").and_then(|v| v.as_str()).is_none() {
        return fatal("the element needs a non-empty `externalId` and a `type: { \"name\": … }` (see docs/testing.md)");
    }
    let mut import = crate::sync::render::default_import_args(&pack);
    for a in &args.import_args {
        let Some((k, v)) = a.split_once('=') else {
            return fatal(format!("--import-arg `{a}`: write NAME=VALUE"));
        };
        import.insert(k.trim().to_string(), serde_json::Value::from(v));
    }
    let ev = crate::sync::evaluate(&pack, node, &element, &import);
    for l in &ev.lookups {
        let _ = writeln!(std::io::stderr(), "{:<17} {} = {} ({})", l.helper, l.urn, l.id, l.found);
    }
    match (&ev.output, &ev.text) {
        (Some(v), Some(t)) => {
            let text = if args.raw {
                t.clone()
            } else {
                format!("{}\n", crate::sync::runner::pretty(v))
            };
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
        (None, Some(t)) => {
            let _ = std::io::stdout().write_all(t.as_bytes());
        }
        _ => {}
    }
    let mut diags = Diagnostics::new();
    diags.extend(ev.diags);
    diags.sort(&pack.sources);
    print_diagnostics(Format::Human, &diags, &pack.sources);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
