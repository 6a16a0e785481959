//! `stackpack diff OLD NEW`: compare two builds of a pack node by node and check the version bump.
//!
//! OLD and NEW are `.sts` archives, pack directories or classic source trees. Exit code 0 when NEW's version is greater
//! than OLD's by at least the bump the changes need, 1 when it is not, 2 when either side cannot
//! be read or built.

use super::output::fatal;
use crate::diff;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The previous release: a `.sts` archive, a pack directory or a classic source tree.
    pub old: PathBuf,
    /// The new build: a `.sts` archive, a pack directory or a classic source tree.
    pub new: PathBuf,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

pub fn run(args: Args) -> u8 {
    if crate::v2::is_v2(&args.old) || crate::v2::is_v2(&args.new) {
        return super::v2::diff(&args.old, &args.new, args.format == DiffFormat::Json);
    }
    let side = |p: &PathBuf| -> Result<diff::Snapshot, String> {
        let entries = diff::entries_of(p)?;
        diff::snapshot(&entries).map_err(|e| format!("{}: {e}", p.display()))
    };
    let old = match side(&args.old) {
        Ok(s) => s,
        Err(e) => return fatal(e),
    };
    let new = match side(&args.new) {
        Ok(s) => s,
        Err(e) => return fatal(e),
    };
    let report = diff::compare(
        &old,
        &new,
        &args.old.display().to_string(),
        &args.new.display().to_string(),
    );
    match args.format {
        DiffFormat::Human => out!("{}", crate::diag::escape::escape_lines(&diff::render_human(&report))),
        DiffFormat::Json => {
            let mut v = match serde_json::to_value(&report) {
                Ok(v) => v,
                Err(e) => return fatal(e),
            };
            if let Some(m) = v.as_object_mut() {
                m.insert("schema_version".into(), crate::diag::render::JSON_SCHEMA_VERSION.into());
            }
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    if report.ok {
        super::EXIT_OK
    } else {
        super::EXIT_FINDINGS
    }
}
