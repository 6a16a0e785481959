//! `stackpack inspect FILE.sts`: what a StackPack archive (or classic source tree) holds —
//! name, version, dependencies, entries with sizes, and the nodes its templates create.

use super::output::{fatal, print_diagnostics};
use crate::diag::render::Format;
use crate::diag::{Diagnostics, Severity};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.sts` archive, or a classic pack directory holding `stackpack.conf`.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InspectFormat::Human)]
    pub format: InspectFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InspectFormat {
    Human,
    Json,
}

/// The facts `inspect` reports, also its JSON shape.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub version: Option<String>,
    pub dependencies: BTreeMap<String, String>,
    pub entries: Vec<EntryInfo>,
    pub nodes: Vec<NodeInfo>,
    /// Findings of the classic lint, by severity.
    pub findings: BTreeMap<String, usize>,
}

#[derive(Debug, serde::Serialize)]
pub struct EntryInfo {
    pub path: String,
    pub size: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct NodeInfo {
    #[serde(rename = "type")]
    pub stj_type: String,
    pub identifier: Option<String>,
    pub template: String,
}

pub fn run(args: Args) -> u8 {
    if crate::v2::is_v2(&args.file) {
        return super::v2::inspect(&args.file, args.format == InspectFormat::Json);
    }
    if let Err(e) = inspectable(&args.file) {
        return fatal(e);
    }
    let mut diags = Diagnostics::new();
    let classic = match crate::classic::lint::analyse(&args.file, &mut diags) {
        Err(e) => return fatal(e),
        Ok(None) => {
            print_diagnostics(Format::Human, &diags, &crate::source::SourceMap::new());
            return super::EXIT_FINDINGS;
        }
        Ok(Some(c)) => c,
    };
    let report = report(&classic, &diags);
    match args.format {
        InspectFormat::Json => {
            let mut v = match serde_json::to_value(&report) {
                Ok(v) => v,
                Err(e) => return fatal(e),
            };
            if let Some(m) = v.as_object_mut() {
                m.insert("schema_version".into(), crate::diag::render::JSON_SCHEMA_VERSION.into());
            }
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        InspectFormat::Human => out!("{}", crate::diag::escape::escape_lines(&human(&report))),
    }
    super::EXIT_OK
}

/// Only archives and classic source trees can be inspected; anything else is a usage error
/// (exit 2) that says what to do.
fn inspectable(path: &std::path::Path) -> Result<(), String> {
    let shown = crate::diag::escape::escape(&path.display().to_string()).into_owned();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if meta.is_dir() {
        if path.join(crate::load::MANIFEST).is_file() {
            return Err(format!(
                "`{shown}` is the source of a pack, not an archive: build it (`stackpack build {shown} --out dist`) and inspect the `.sts`, or check it with `stackpack lint {shown}`"
            ));
        }
        if !path.join("stackpack.conf").is_file() {
            return Err(format!(
                "`{shown}` is neither a `.sts` archive nor a classic pack directory (no `stackpack.conf` in it)"
            ));
        }
        return Ok(());
    }
    if !crate::classic::is_classic(path) {
        return Err(format!(
            "`{shown}` is not a `.sts` archive: `inspect` reads StackPack archives"
        ));
    }
    Ok(())
}

pub fn report(c: &crate::classic::lint::Classic, diags: &Diagnostics) -> Report {
    let s = |v: &Option<crate::source::Spanned<String>>| v.as_ref().map(|x| x.value.clone());
    let mut nodes = Vec::new();
    for f in &c.templates.files {
        for n in &f.nodes {
            nodes.push(NodeInfo {
                stj_type: n.stj_type.clone(),
                identifier: n.identifier.as_ref().map(|i| i.value.clone()),
                template: f.rel.trim_start_matches("provisioning/").to_string(),
            });
        }
    }
    let mut findings = BTreeMap::new();
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        findings.insert(sev.as_str().to_string(), diags.count(sev));
    }
    Report {
        name: s(&c.conf.name),
        display_name: s(&c.conf.display_name),
        version: s(&c.conf.version),
        dependencies: c
            .conf
            .dependencies
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect(),
        entries: c
            .files
            .files
            .iter()
            .map(|(p, b)| EntryInfo {
                path: p.clone(),
                size: b.len() as u64,
            })
            .collect(),
        nodes,
        findings,
    }
}

pub fn human(r: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let or = |v: &Option<String>, d: &str| v.clone().unwrap_or_else(|| d.to_string());
    let _ = writeln!(out, "name:         {}", or(&r.name, "(missing)"));
    let _ = writeln!(out, "display name: {}", or(&r.display_name, "(missing)"));
    let _ = writeln!(out, "version:      {}", or(&r.version, "(none: the build appends it)"));
    let deps: Vec<String> = r.dependencies.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(
        out,
        "dependencies: {}",
        if deps.is_empty() {
            "(none)".to_string()
        } else {
            deps.join(", ")
        }
    );
    let total: u64 = r.entries.iter().map(|e| e.size).sum();
    let _ = writeln!(out, "\nentries ({}, {} bytes):", r.entries.len(), total);
    let width = r.entries.iter().map(|e| e.size.to_string().len()).max().unwrap_or(1);
    for e in &r.entries {
        let _ = writeln!(out, "  {:>width$}  {}", e.size, e.path);
    }
    let _ = writeln!(out, "\nnodes ({}):", r.nodes.len());
    let mut by_type: BTreeMap<&str, Vec<&NodeInfo>> = BTreeMap::new();
    for n in &r.nodes {
        by_type.entry(n.stj_type.as_str()).or_default().push(n);
    }
    for (t, ns) in by_type {
        let _ = writeln!(out, "  {t} ({})", ns.len());
        for n in ns {
            let _ = writeln!(
                out,
                "    {}  [{}]",
                n.identifier.as_deref().unwrap_or("(no identifier)"),
                n.template
            );
        }
    }
    let errors = r.findings.get("error").copied().unwrap_or(0);
    let warnings = r.findings.get("warning").copied().unwrap_or(0);
    if errors + warnings > 0 {
        let pl = |n: usize, w: &str| {
            if n == 1 {
                format!("{n} {w}")
            } else {
                format!("{n} {w}s")
            }
        };
        let _ = writeln!(
            out,
            "\n{}, {}: run `stackpack lint` on it for details",
            pl(errors, "lint error"),
            pl(warnings, "warning")
        );
    }
    out
}
