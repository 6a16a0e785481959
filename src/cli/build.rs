//! `stackpack build [DIR] [--out OUTDIR|FILE.sts] [--templates DIR]`: load, model, check,
//! compile and write `<OUTDIR>/<name>-<version>.sts` (or exactly `FILE.sts`) atomically; print
//! its path.
//!
//! Nothing is written when the pack has errors (exit 1), or, with `--deny warnings`, warnings.
//! Output problems exit 2. Without DIR the pack containing the current directory is built.

use super::output::{fatal, print_diagnostics, write_stderr};
use crate::compile::{self, CompileOptions};
use crate::diag::render::Format;
use crate::pipeline::{Loaded, LoadedPack};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack directory (holding `stackpack.toml`); default: the pack containing the current
    /// directory.
    pub dir: Option<PathBuf>,
    /// Directory the archive `<name>-<version>.sts` is written to (created when missing), or
    /// a path ending in `.sts`: exactly that file.
    #[arg(long, default_value = ".", value_name = "OUTDIR|FILE.sts")]
    pub out: PathBuf,
    /// Treat warnings as failures: no archive is written when there is one.
    #[arg(long, value_parser = ["warnings"])]
    pub deny: Option<String>,
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

/// Why `build` does not take a classic StackPack 1.0 tree or archive, and what does.
fn classic_message(path: &std::path::Path) -> String {
    let p = path.display();
    format!(
        "`{p}` is a classic StackPack 1.0 pack (`stackpack.conf`): `build` compiles declarative sources; `stackpack import {p} --out DIR` converts it into them, and `stackpack lint {p}` \
         checks it as it is"
    )
}

pub fn run(args: Args) -> u8 {
    if let Some(t) = &args.templates {
        if !t.is_dir() {
            return fatal(format!("--templates `{}` is not a directory", t.display()));
        }
    }
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => match super::lint::find_pack(std::path::Path::new(".")) {
            Ok(super::lint::Target::Pack(root, _)) => root,
            Ok(super::lint::Target::V2(root)) => root,
            Ok(super::lint::Target::Classic(root)) => return fatal(classic_message(&root)),
            Err(e) => return fatal(e),
        },
    };
    if dir.is_file() {
        return fatal(format!(
            "`{}` is a file: `build` takes a pack directory (`stackpack inspect` and `lint` read built archives)",
            dir.display()
        ));
    }
    if crate::classic::is_classic(&dir) {
        return fatal(classic_message(&dir));
    }
    let (out_dir, out_file) = match output_target(&args.out) {
        Ok(t) => t,
        Err(e) => return fatal(e),
    };
    if crate::v2::is_v2(&dir) {
        if args.templates.is_some() {
            return fatal(
                "--templates replaces the templates of a 1.x archive (`stackpack.conf.hbs`, `provision.groovy.hbs`); a 2.0 archive has neither: drop --templates",
            );
        }
        return super::v2::build(
            &dir,
            &out_dir,
            out_file.as_deref(),
            args.format,
            args.deny.is_some(),
            &args.check,
        );
    }
    // The same analysis as `lint`: any error stops the build before anything is visible.
    // Without `--baseline` (which needs the pack mutably) the checks run on a second thread
    // while this one renders the release notes, compiles and deflates the archive into an
    // unnamed temporary file; the archive is published only when the checks allow it, so the
    // outcome is the sequential one and the wall time is about half the work on two cores.
    let opts = args.check.options();
    let deny = args.deny.is_some();
    let loaded = match crate::pipeline::load(&dir) {
        Ok(Loaded::Pack(l)) => *l,
        Ok(Loaded::Unusable { sources, diags }) => {
            print_diagnostics(args.format, &diags, &sources);
            return super::EXIT_FINDINGS;
        }
        Err(e) => return fatal(e),
    };
    let LoadedPack {
        mut pack,
        changelog,
        diags: load_diags,
    } = loaded;
    let refuses = |diags: &crate::diag::Diagnostics| {
        diags.has_errors() || (deny && diags.count(crate::diag::Severity::Warning) > 0)
    };
    let refused = |diags: &crate::diag::Diagnostics, pack: &crate::model::Pack| {
        print_diagnostics(args.format, diags, &pack.sources);
        if !diags.has_errors() {
            write_stderr(format_args!(
                "error: not building: --deny warnings and the pack has warnings\n"
            ));
        }
        super::EXIT_FINDINGS
    };
    let epoch = crate::archive::write::build_epoch();
    let compile_and_write = |pack: &crate::model::Pack, publish: &mut dyn FnMut() -> bool| -> Built {
        let release_notes =
            match crate::changelog::render::release_md(pack, changelog.as_ref(), args.templates.as_deref()) {
                Ok(notes) => notes,
                Err(errors) => return Built::Failed(errors),
            };
        let opts = CompileOptions {
            templates: args.templates.clone(),
            release_notes,
            timestamp: epoch,
        };
        let compiled = match compile::compile(pack, &opts) {
            Ok(c) => c,
            Err(errors) => return Built::Failed(errors),
        };
        let file_name = out_file.clone().unwrap_or_else(|| compiled.file_name.clone());
        match crate::archive::write::write_sts_if(&out_dir, &file_name, &compiled.entries, epoch, publish) {
            Ok(Some(path)) => Built::Written(path),
            Ok(None) => Built::Withheld,
            Err(e) => Built::WriteFailed(e),
        }
    };
    let (mut diags, built) = if opts.baseline.is_some() {
        let diags = crate::pipeline::check_loaded(&mut pack, changelog.as_ref(), load_diags, &dir, &opts);
        if refuses(&diags) {
            return refused(&diags, &pack);
        }
        let built = compile_and_write(&pack, &mut || true);
        (diags, built)
    } else {
        let pack = &pack;
        std::thread::scope(|scope| {
            let mut checks = Checks {
                running: Some(scope.spawn(|| crate::pipeline::check_loaded_shared(pack, load_diags, &dir, &opts))),
                done: crate::diag::Diagnostics::new(),
            };
            let built = compile_and_write(pack, &mut || !refuses(checks.wait()));
            checks.wait();
            (checks.done, built)
        })
    };
    // The checks decide first, as in the sequential order: their errors are reported alone.
    if refuses(&diags) {
        return refused(&diags, &pack);
    }
    let path = match built {
        Built::Written(path) => path,
        Built::Failed(errors) => {
            diags.extend(errors);
            diags.sort(&pack.sources);
            print_diagnostics(args.format, &diags, &pack.sources);
            return super::EXIT_FINDINGS;
        }
        Built::WriteFailed(e) => {
            print_diagnostics(args.format, &diags, &pack.sources);
            return fatal(e);
        }
        Built::Withheld => return refused(&diags, &pack),
    };
    diags.sort(&pack.sources);
    // Warnings of the checks are still shown on a successful build.
    match args.format {
        Format::Human => {
            print_diagnostics(args.format, &diags, &pack.sources);
            outln!("{}", path.display());
        }
        Format::Json => {
            // The findings' JSON with the archive written (`archive`, also in docs/lint.md).
            let mut v = crate::diag::render::json::to_value(&diags, &pack.sources);
            v["archive"] = serde_json::json!(path.display().to_string());
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            write_stderr(format_args!("{}\n", path.display()));
        }
        _ => {
            print_diagnostics(args.format, &diags, &pack.sources);
            write_stderr(format_args!("{}\n", path.display()));
        }
    }
    super::EXIT_OK
}

/// What compiling and writing the archive gave.
enum Built {
    Written(PathBuf),
    /// Release notes or compile errors.
    Failed(crate::diag::Diagnostics),
    WriteFailed(crate::archive::write::WriteError),
    /// Complete, but the checks refused it: never published.
    Withheld,
}

/// `--out`: a directory, or a `.sts` file path (its directory and file name).
/// The checks running on their own thread beside the compiler: joined the first time their
/// findings are needed (when the archive is ready to be published, or after a failed compile).
struct Checks<'scope> {
    running: Option<std::thread::ScopedJoinHandle<'scope, crate::diag::Diagnostics>>,
    done: crate::diag::Diagnostics,
}

impl Checks<'_> {
    fn wait(&mut self) -> &crate::diag::Diagnostics {
        if let Some(h) = self.running.take() {
            self.done = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        &self.done
    }
}

fn output_target(out: &std::path::Path) -> Result<(PathBuf, Option<String>), String> {
    let is_sts = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("sts"));
    if !is_sts {
        if out.is_file() {
            return Err(format!(
                "--out `{}` is a file: give a directory, or a path ending in `.sts`",
                out.display()
            ));
        }
        return Ok((out.to_path_buf(), None));
    }
    if out.is_dir() {
        return Err(format!(
            "--out `{}` is a directory named like an archive: remove it, or give another path",
            out.display()
        ));
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .ok_or_else(|| format!("--out `{}` names no file", out.display()))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, Some(name)))
}
