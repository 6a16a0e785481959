//! `stackpack build [DIR] [--out OUTDIR] [--templates DIR]`: load, model, check, compile and
//! write `<OUTDIR>/<name>-<version>.sts` atomically; print its path.
//!
//! Nothing is written when the pack has errors (exit 1). Output problems exit 2.

use super::output::{fatal, print_diagnostics};
use crate::compile::{self, CompileOptions};
use crate::diag::render::Format;
use crate::pipeline::{Analysis, Outcome};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack directory (holding `stackpack.toml`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Directory the archive is written to (created when missing).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Directory of templates (`stackpack.conf.hbs`, `provision.groovy.hbs`) that replace the
    /// built-in ones of the same name.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub check: super::lint::CheckArgs,
}

pub fn run(args: Args) -> u8 {
    if crate::v2::is_v2(&args.dir) {
        return super::v2::build(&args.dir, &args.out, args.format, &args.check);
    }
    if let Some(t) = &args.templates {
        if !t.is_dir() {
            return fatal(format!("--templates `{}` is not a directory", t.display()));
        }
    }
    // The same analysis as `lint`: any error stops the build before anything is written.
    let analysis = match crate::pipeline::analyze(&args.dir, &args.check.options()) {
        Ok(Outcome::Analyzed(a)) => a,
        Ok(Outcome::Unusable { sources, diags }) => {
            print_diagnostics(args.format, &diags, &sources);
            return super::EXIT_FINDINGS;
        }
        Err(e) => return fatal(e),
    };
    let Analysis {
        pack,
        changelog,
        mut diags,
    } = *analysis;
    if diags.has_errors() {
        print_diagnostics(args.format, &diags, &pack.sources);
        return super::EXIT_FINDINGS;
    }
    let release_notes = match crate::changelog::render::release_md(&pack, changelog.as_ref(), args.templates.as_deref())
    {
        Ok(notes) => notes,
        Err(errors) => {
            diags.extend(errors);
            diags.sort(&pack.sources);
            print_diagnostics(args.format, &diags, &pack.sources);
            return super::EXIT_FINDINGS;
        }
    };
    let epoch = crate::archive::write::build_epoch();
    let opts = CompileOptions {
        templates: args.templates.clone(),
        release_notes,
        timestamp: epoch,
    };
    let compiled = match compile::compile(&pack, &opts) {
        Ok(c) => c,
        Err(errors) => {
            diags.extend(errors);
            diags.sort(&pack.sources);
            print_diagnostics(args.format, &diags, &pack.sources);
            return super::EXIT_FINDINGS;
        }
    };
    // Warnings of the checks are still shown on a successful build.
    diags.sort(&pack.sources);
    print_diagnostics(args.format, &diags, &pack.sources);
    match crate::archive::write::write_sts(&args.out, &compiled.file_name, &compiled.entries, epoch) {
        Ok(path) => {
            if args.format == Format::Human {
                println!("{}", path.display());
            } else {
                eprintln!("{}", path.display());
            }
            super::EXIT_OK
        }
        Err(e) => fatal(e),
    }
}
