//! `stackpack build [DIR] [--out OUTDIR] [--templates DIR]`: load, model, check, compile and
//! write `<OUTDIR>/<name>-<version>.sts` atomically; print its path.
//!
//! Nothing is written when the pack has errors (exit 1). Output problems exit 2.

use super::output::{exit_code, fatal, print_diagnostics};
use crate::check::{self, CheckOptions};
use crate::compile::{self, CompileOptions};
use crate::diag::render::Format;
use crate::diag::Diagnostics;
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
}

pub fn run(args: Args) -> u8 {
    if let Some(t) = &args.templates {
        if !t.is_dir() {
            return fatal(format!("--templates `{}` is not a directory", t.display()));
        }
    }
    let mut diags = Diagnostics::new();
    let pack = match crate::model::load_pack(&args.dir, &mut diags) {
        Ok(p) => p,
        Err(e) => return fatal(e),
    };
    let mut pack = match pack {
        Ok(pack) => pack,
        Err(sources) => {
            diags.sort(&sources);
            print_diagnostics(args.format, &diags, &sources);
            return exit_code(&diags, false).max(super::EXIT_FINDINGS);
        }
    };
    // The changelog (when the pack has one) is checked like the rest of the pack and rendered
    // into `resources/RELEASE.md`.
    let (changelog, changelog_diags) = crate::changelog::load_and_check(&mut pack);
    diags.extend(changelog_diags);
    diags.extend(check::run(&pack, &CheckOptions::default()));
    check::apply_allow(&pack, &mut diags);
    if diags.has_errors() {
        diags.sort(&pack.sources);
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
