//! `stackpack test [DIR]`: run the pack's tests under `tests/` (sample elements through the id
//! extractor, mapping function and template; see docs/testing.md). Output like `cargo test`.

use super::output::{fatal, print_diagnostics, use_color};
use crate::diag::render::Format;
use crate::diag::{Diagnostics, Severity};
use crate::model::Pack;
use crate::sync::runner::{self, Options};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// One line per case, failures with findings and diffs, a summary line.
    Human,
    /// One JSON document with every case, its status, findings and output.
    Json,
    /// JUnit XML, for CI test reports.
    Junit,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack directory (holding `stackpack.toml` and `tests/`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Rewrite the expectations (`expect`, `mapped`, `id`, inline or in files) with what the
    /// templates and scripts produce now.
    #[arg(long)]
    pub update: bool,
    /// Run only the cases whose `<file> :: <case>` name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Do not run Groovy mapping functions and id extractors, even when `groovy` is installed.
    #[arg(long)]
    pub no_groovy: bool,
    /// 2.0 packs: print every mapping's verdict on every record under each case (which
    /// mapping matched which record, and why the others did not), not only for failures.
    #[arg(long)]
    pub trace: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
}

/// Load the declarative pack in `dir`; on failure print why and return the exit code.
pub(super) fn load(dir: &Path) -> Result<Pack, u8> {
    if crate::classic::is_classic(dir) {
        return Err(fatal(
            "this is a classic pack: run `stackpack import` first, then test the declarative sources",
        ));
    }
    let mut diags = Diagnostics::new();
    match crate::model::load_pack(dir, &mut diags) {
        Err(e) => Err(fatal(e)),
        Ok(Err(sources)) => {
            diags.sort(&sources);
            print_diagnostics(Format::Human, &diags, &sources);
            Err(super::EXIT_FINDINGS)
        }
        Ok(Ok(pack)) => {
            if diags.has_errors() {
                diags.retain(|d| d.severity == Severity::Error);
                diags.sort(&pack.sources);
                print_diagnostics(Format::Human, &diags, &pack.sources);
                eprintln!("error: the pack does not load cleanly; fix these errors first (`stackpack lint`)");
                return Err(super::EXIT_FINDINGS);
            }
            Ok(pack)
        }
    }
}

pub fn run(args: Args) -> u8 {
    if crate::v2::is_v2(&args.dir) {
        return run_v2(&args);
    }
    let mut pack = match load(&args.dir) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let opts = Options {
        update: args.update,
        no_groovy: args.no_groovy,
        filter: args.filter.clone(),
    };
    let run = runner::run(&mut pack, &opts);
    if run.cases.is_empty() && run.file_diags.is_empty() {
        let what = if args.filter.is_some() {
            "no test matches the filter"
        } else {
            "no tests: the pack has no `tests/*.yaml`"
        };
        eprintln!("warning: {what} (see docs/testing.md)");
    }
    report(args.format, &run, &pack.sources)
}

/// A 2.0 pack: its OTel mappings on the sample telemetry of `tests/` (docs/testing.md).
fn run_v2(args: &Args) -> u8 {
    if !args.dir.is_dir() {
        return fatal("`stackpack test` runs the tests of a pack directory, not of an archive");
    }
    let mut analysis = match crate::v2::analyze(&args.dir, &crate::v2::Options::default()) {
        Ok(a) => a,
        Err(e) => return fatal(e),
    };
    if analysis.diags.has_errors() {
        let mut diags = analysis.diags;
        diags.retain(|d| d.severity == Severity::Error);
        print_diagnostics(Format::Human, &diags, &analysis.pack.sources);
        eprintln!("error: the pack does not load cleanly; fix these errors first (`stackpack lint`)");
        return super::EXIT_FINDINGS;
    }
    let opts = Options {
        update: args.update,
        no_groovy: true,
        filter: args.filter.clone(),
    };
    let pack = &mut analysis.pack;
    let mut run = match crate::sync::otel_test::run(pack, &opts) {
        Ok(r) => r,
        Err(e) => return fatal(e),
    };
    if args.trace {
        for c in &mut run.cases {
            c.explain = c.notes.clone();
        }
    }
    if run.cases.is_empty() && run.file_diags.is_empty() {
        let what = if args.filter.is_some() {
            "no test matches the filter"
        } else {
            "no tests: the pack has no `tests/*.yaml`"
        };
        eprintln!("warning: {what} (see docs/testing.md)");
    }
    report(args.format, &run, &pack.sources)
}

fn report(format: TestFormat, run: &runner::Run, sources: &crate::source::SourceMap) -> u8 {
    let text = match format {
        TestFormat::Human => crate::sync::report::human(run, sources, use_color(std::io::stdout().is_terminal())),
        TestFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&runner::to_json(run, sources)).unwrap_or_default()
        ),
        TestFormat::Junit => crate::sync::report::junit(run, sources),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    if run.failed() {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
