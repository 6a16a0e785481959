//! `stackpack release-notes [DIR]`: render the changelog as the docs page section, the
//! archive's `RELEASE.md`, or JSON.

use super::changelog_cmd::load;
use super::output::{fatal, print_diagnostics};
use crate::changelog::render::{notes, render, Format, Select};
use crate::diag::render::Format as DiagFormat;
use semver::Version;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(disable_version_flag = true)]
pub struct Args {
    /// The pack directory (holding `stackpack.toml`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// `docs`: the documentation page's release-notes section; `markdown`: the archive's
    /// `RELEASE.md`; `json`: the data the templates receive.
    #[arg(long, value_enum, default_value_t = Format::Docs)]
    pub format: Format,
    /// Only releases newer than this version.
    #[arg(long, value_name = "VERSION")]
    pub since: Option<Version>,
    /// Only this release.
    #[arg(long, value_name = "VERSION", conflicts_with = "since")]
    pub version: Option<Version>,
    /// Include the unreleased fragments, as the upcoming version dated `unreleased`.
    #[arg(long)]
    pub unreleased: bool,
    /// A directory with templates replacing the built-in ones (`release-notes-docs.md.hbs`,
    /// `RELEASE.md.hbs`; missing files fall back to the built-in ones).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    if crate::v2::is_v2(&args.dir) {
        return super::v2::release_notes(&args);
    }
    if let Some(t) = &args.templates {
        if !t.is_dir() {
            return fatal(format!("templates directory `{}` does not exist", t.display()));
        }
    }
    let l = match load(&args.dir, DiagFormat::Human) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut diags = l.changelog_diags;
    crate::check::apply_allow(&l.pack, &mut diags);
    diags.sort(&l.pack.sources);
    // Findings go to stderr; errors stop the rendering (the notes would be wrong).
    print_diagnostics(DiagFormat::Human, &diags, &l.pack.sources);
    if diags.has_errors() {
        return super::EXIT_FINDINGS;
    }
    let Some(cl) = &l.changelog else {
        eprintln!(
            "error: `{}` has no changelog: create one with `stackpack changelog add`",
            args.dir.display()
        );
        return super::EXIT_FINDINGS;
    };
    let select = Select {
        since: args.since,
        version: args.version.clone(),
        unreleased: args.unreleased,
    };
    let n = notes(&l.pack, cl, &select);
    if let Some(v) = &args.version {
        if n.releases.is_empty() {
            eprintln!("error: the changelog has no release {v}");
            return super::EXIT_FINDINGS;
        }
    }
    match render(&n, args.format, args.templates.as_deref()) {
        Ok(text) => {
            if args.format == Format::Json {
                // The one JSON contract: every JSON output carries `schema_version`.
                if let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str::<serde_json::Value>(&text) {
                    m.insert("schema_version".into(), crate::diag::render::JSON_SCHEMA_VERSION.into());
                    outln!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
                    return super::EXIT_OK;
                }
            }
            out!("{text}");
            super::EXIT_OK
        }
        Err(diags) => {
            print_diagnostics(DiagFormat::Human, &diags, &l.pack.sources);
            super::EXIT_FINDINGS
        }
    }
}
