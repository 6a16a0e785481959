//! `stackpack rules`: the rule list, for humans, as JSON, or as the Markdown of `docs/rules.md`.

use crate::diag::escape::escape;
use crate::diag::{registry, Rule};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Human,
    /// `{"schema_version": 1, "rules": [{code, name, severity, summary, example}]}`.
    Json,
    /// The rule reference (the text of `docs/rules.md`).
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Explain one rule (`SP203`, or its name `unresolved-reference`).
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
    /// Same as `--format json` (kept for older scripts).
    #[arg(long, hide = true, conflicts_with_all = ["markdown", "format"])]
    pub json: bool,
    /// Same as `--format markdown` (kept for older scripts).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub markdown: bool,
}

fn rule_json(r: &Rule) -> serde_json::Value {
    serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity.as_str(), "summary": r.summary, "example": r.example})
}

pub fn run(args: Args) -> u8 {
    let format = if args.json {
        RulesFormat::Json
    } else if args.markdown {
        RulesFormat::Markdown
    } else {
        args.format
    };
    let rules = registry::all();
    if let Some(code) = &args.code {
        let wanted = code.trim();
        let Some(rule) = rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(wanted) || r.name == wanted)
        else {
            let hint = crate::diag::did_you_mean(&wanted.to_ascii_uppercase(), rules.iter().map(|r| r.code))
                .or_else(|| crate::diag::did_you_mean(wanted, rules.iter().map(|r| r.name)))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| "; `stackpack rules` lists them all".to_string());
            return super::output::fatal(format!("no rule `{}`{hint}", escape(wanted)));
        };
        match format {
            RulesFormat::Json => outln!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "schema_version": crate::diag::render::JSON_SCHEMA_VERSION,
                    "rules": [rule_json(rule)],
                }))
                .unwrap_or_default()
            ),
            RulesFormat::Markdown => out!("{}", section(rule)),
            RulesFormat::Human => out!("{}", explain(rule)),
        }
        return super::EXIT_OK;
    }
    match format {
        RulesFormat::Json => {
            let v: Vec<_> = rules.iter().map(|r| rule_json(r)).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "schema_version": crate::diag::render::JSON_SCHEMA_VERSION,
                    "rules": v,
                }))
                .unwrap_or_default()
            );
        }
        RulesFormat::Markdown => out!("{}", markdown(&rules)),
        RulesFormat::Human => {
            for r in rules {
                outln!("{}  {:<8} {:<28} {}", r.code, r.severity.as_str(), r.name, r.summary);
            }
            outln!("\n`stackpack rules CODE` explains one rule.");
        }
    }
    super::EXIT_OK
}

/// What `stackpack rules SP203` prints.
pub fn explain(r: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {} ({})\n", r.code, r.name, r.severity.as_str());
    let _ = writeln!(out, "{}", r.summary);
    if !r.example.is_empty() {
        let _ = writeln!(out, "\nExample that triggers it:\n");
        for line in r.example.split("\\n") {
            let _ = writeln!(out, "    {line}");
        }
    }
    let _ = writeln!(out);
    if r.severity == crate::diag::Severity::Error {
        let _ = writeln!(
            out,
            "Errors cannot be suppressed: fix the finding (`build` refuses the pack until then)."
        );
    } else {
        let _ = writeln!(
            out,
            "Suppress one finding with a comment on its line, `# stackpack: allow {} <reason>`,\nor the whole pack in stackpack.toml: `[lint] allow = [{{ code = \"{}\", reason = \"…\" }}]`.",
            r.code, r.code
        );
    }
    out
}

fn section(r: &Rule) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "\n## {code}\n\n`{name}` — {sev}\n\n{summary}\n",
        code = r.code,
        name = r.name,
        sev = r.severity.as_str(),
        summary = r.summary
    );
    if !r.example.is_empty() {
        let _ = write!(out, "\nExample:\n\n```text\n{}\n```\n", r.example);
    }
    out
}

/// The rule reference in Markdown: a summary table, then one section per rule.
pub fn markdown(rules: &[&Rule]) -> String {
    let mut out = String::new();
    out.push_str("# Lint rules\n\n");
    out.push_str("<!-- Generated by `stackpack rules --markdown > docs/rules.md`; do not edit by hand. -->\n\n");
    out.push_str(
        "Every finding of `stackpack lint` (and `build`) has one of these stable codes; `stackpack rules CODE` \
         explains one. Warnings and infos can be allowed on one line with a comment, \
         `# stackpack: allow SP901 kept for the next release`, or for the whole pack with a reason in \
         `stackpack.toml`:\n\n\
         ```toml\n[lint]\nallow = [{ code = \"SP901\", reason = \"kept for the next release\" }]\n```\n\n\
         Errors cannot be allowed.\n\n",
    );
    out.push_str("| Code | Name | Severity | Rationale |\n|---|---|---|---|\n");
    for r in rules {
        let _ = writeln!(
            out,
            "| [{code}](#{anchor}) | `{name}` | {sev} | {summary} |",
            code = r.code,
            anchor = r.code.to_ascii_lowercase(),
            name = r.name,
            sev = r.severity.as_str(),
            summary = r.summary.replace('|', "\\|")
        );
    }
    for r in rules {
        out.push_str(&section(r));
    }
    out
}
