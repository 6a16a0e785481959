//! `stackpack new PATH [--name NAME] [--display-name TITLE] [--multi-instance] [--format v1|v2]`:
//! create a pack that lints clean and builds, from the templates embedded in the binary
//! (offline).

use super::output::{fatal, settings};
use crate::scaffold::{self, Layout, Options};
use std::path::PathBuf;

/// The source format of the new pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewFormat {
    /// The declarative format of docs/format.md (`stackpack.toml` + `nodes/*.yaml`), built
    /// into a StackPack 1.0 `.sts`.
    V1,
    /// StackPack 2.0 for SUSE Observability (docs/v2.md): `stackpack.yaml`, an OTel component
    /// mapping in `settings/`, its offline test in `tests/` (`stackpack test`).
    V2,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to create (must not exist or be empty); its last part is the pack name
    /// unless `--name` is given.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Pack name (lower-case letters, digits and `-`): the `<pack>` segment of every URN.
    #[arg(long)]
    pub name: Option<String>,
    /// Title shown in StackState (default: the name's words capitalised).
    #[arg(long, value_name = "TITLE")]
    pub display_name: Option<String>,
    /// A pack installed once per monitored server, each installation with its own topic and
    /// install-dialog values.
    #[arg(long)]
    pub multi_instance: bool,
    /// Source format of the pack.
    #[arg(long, value_enum, default_value_t = NewFormat::V1)]
    pub format: NewFormat,
}

pub fn run(args: Args) -> u8 {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => match args.path.file_name() {
            Some(n) => n.to_string_lossy().to_string(),
            None => {
                return fatal(format!(
                    "`{}` names no directory: give a path like `acme`",
                    args.path.display()
                ))
            }
        },
    };
    let layout = match args.format {
        NewFormat::V1 => Layout::V1 {
            multi_instance: args.multi_instance,
        },
        NewFormat::V2 if args.multi_instance => {
            return fatal(
                "--multi-instance is a StackPack 1.0 notion: a 2.0 pack is installed once per server (drop --multi-instance or use --format v1)",
            )
        }
        NewFormat::V2 => Layout::V2,
    };
    if let Some(outer) = enclosing_pack(&args.path) {
        return fatal(format!(
            "`{}` would be inside the pack in `{}`: its files would become part of that pack (and fail its lint); create it outside, e.g. `stackpack new {}`",
            args.path.display(),
            outer.display(),
            outer
                .parent()
                .map(|p| p.join(args.path.file_name().unwrap_or_default()))
                .unwrap_or_else(|| args.path.clone())
                .display()
        ));
    }
    let opts = Options {
        name,
        display_name: args.display_name.clone(),
        layout,
    };
    match scaffold::create(&args.path, &opts) {
        Ok(files) => {
            let dir = args.path.display();
            if settings().quiet {
                return super::EXIT_OK;
            }
            match layout {
                Layout::V1 { multi_instance } => {
                    outln!(
                        "created {} pack `{}` in {dir} ({} files)",
                        if multi_instance {
                            "multi-instance"
                        } else {
                            "single-instance"
                        },
                        opts.name,
                        files.len()
                    );
                    outln!("next:\n  cd {dir}\n  stackpack lint\n  stackpack build --out dist");
                }
                Layout::V2 => {
                    outln!(
                        "created StackPack 2.0 pack `{}` in {dir} ({} files)",
                        opts.name,
                        files.len()
                    );
                    // `dist/` inside a 2.0 pack would be an unshipped entry (SP2903).
                    outln!("next:\n  cd {dir}\n  stackpack lint\n  stackpack test\n  stackpack build --out ../dist");
                }
            }
            super::EXIT_OK
        }
        Err(scaffold::Error::InvalidName(m)) => fatal(m),
        Err(e) => fatal(e),
    }
}

/// The nearest directory above `path` that is a pack (a `stackpack.toml`, `stackpack.yaml` or
/// classic `stackpack.conf`): a pack created there would be read as part of it.
fn enclosing_pack(path: &std::path::Path) -> Option<PathBuf> {
    // `..` resolved by the components (the target does not exist yet, so no canonicalize).
    let mut absolute = PathBuf::new();
    for c in std::path::absolute(path).ok()?.components() {
        match c {
            std::path::Component::ParentDir => {
                absolute.pop();
            }
            std::path::Component::CurDir => {}
            other => absolute.push(other),
        }
    }
    absolute.ancestors().skip(1).find_map(|dir| {
        [crate::load::MANIFEST, crate::v2::load::MANIFEST, "stackpack.conf"]
            .iter()
            .any(|m| dir.join(m).is_file())
            .then(|| dir.to_path_buf())
    })
}
