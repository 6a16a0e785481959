//! `stackpack import SRC --out DIR [--version X]`: convert a classic pack (a directory holding
//! `stackpack.conf`, or a `.sts` archive) into declarative sources.

use super::output::{fatal, print_diagnostics};
use crate::classic::import::{convert_sources, refined_manifest, ImportOptions, Staging};
use crate::diag::render::Format;
use crate::diag::{Diagnostics, Severity};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(disable_version_flag = true)]
pub struct Args {
    /// The classic pack: a directory holding `stackpack.conf`, or a `.sts` archive.
    pub src: PathBuf,
    /// Directory to create with the declarative sources (must not exist, or be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Version of the pack (classic confs usually have none: the old build appended it).
    #[arg(long)]
    pub version: Option<String>,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> u8 {
    // A 2.0 pack (or its archive) is not a classic pack with a dozen errors: it is already
    // the source the other commands take.
    if args.src.is_dir() && crate::v2::load::is_old_dialect(&args.src) {
        return fatal(format!(
            "`{}` is a pack of the old StackPack 2.0 dialect (`stackpack.conf` with `.sty` files in `provisioning/`): `import` converts classic 1.0 packs; `stackpack lint {}` says how to migrate it",
            args.src.display(),
            args.src.display()
        ));
    }
    if crate::v2::is_v2(&args.src) {
        return fatal(format!(
            "`{}` is a StackPack 2.0 pack: `import` converts classic 1.0 packs; a 2.0 pack is already its own source (`stackpack lint`, `build`, `test` take it as it is{})",
            args.src.display(),
            if args.src.is_file() {
                "; unzip the archive to edit it"
            } else {
                ""
            }
        ));
    }
    let mut diags = Diagnostics::new();
    let classic = match crate::classic::lint::analyse(&args.src, &mut diags) {
        Err(e) => return fatal(e),
        Ok(None) => {
            print_diagnostics(args.format, &diags, &crate::source::SourceMap::new());
            return super::EXIT_FINDINGS;
        }
        Ok(Some(c)) => c,
    };
    // Lint errors mean the classic pack itself is broken: converting it would carry them over.
    if diags.has_errors() {
        diags.sort(&classic.files.sources);
        print_diagnostics(args.format, &diags, &classic.files.sources);
        eprintln!("error: the classic pack has errors (above); fix them before importing");
        return super::EXIT_FINDINGS;
    }
    // Only the importer's own findings are shown; the classic lint's warnings are `lint`'s job.
    let mut import_diags = Diagnostics::new();
    let opts = ImportOptions {
        version: args.version.clone(),
    };
    let mut imported = match convert_sources(&classic, &opts, &mut import_diags) {
        Ok(i) => i,
        Err(e) => return fatal(e),
    };
    // Every file but the manifest is final: they are written (on two threads) while the
    // imported sources are checked as a pack, which settles the manifest's
    // `min-stackstate-version`; the output appears only once all is written.
    let cannot_write = |e: std::io::Error| fatal(format!("cannot write `{}`: {e}", args.out.display()));
    let manifest = crate::load::MANIFEST;
    let staging = match Staging::begin(&args.out, imported.files.keys().map(String::as_str)) {
        Ok(s) => s,
        Err(e) => return cannot_write(e),
    };
    let root = classic.files.display_root();
    let (written, refined) = staging.write_while(
        imported
            .files
            .iter()
            .filter(|(k, _)| k.as_str() != manifest)
            .map(|(k, v)| (k.as_str(), v.as_slice())),
        || refined_manifest(&imported, &mut import_diags, &root),
    );
    if let Some(m) = refined {
        imported.files.insert(manifest.to_string(), m);
    }
    import_diags.sort(&classic.files.sources);
    print_diagnostics(args.format, &import_diags, &classic.files.sources);
    let published = written
        .and_then(|()| match imported.files.get(manifest) {
            Some(m) => staging.write_file(manifest, m),
            None => Ok(()),
        })
        .and_then(|()| staging.publish());
    if let Err(e) = published {
        return cannot_write(e);
    }
    if args.format == Format::Human {
        eprintln!(
            "imported {} files into {} ({} warnings)",
            imported.files.len(),
            args.out.display(),
            import_diags.count(Severity::Warning)
        );
        // The sources are written in `fmt`'s layout already (`fmt::emit`).
        eprintln!(
            "next: `stackpack lint {0}` (or `stackpack build {0}`)",
            args.out.display()
        );
    }
    super::EXIT_OK
}
