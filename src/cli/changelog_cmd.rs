//! `stackpack changelog add|check`: write an unreleased fragment; check the changelog alone.

use super::output::{exit_code, fatal, print_diagnostics};
use crate::changelog::check::{missing_bumps, value_at_newest};
use crate::changelog::seam::PackSeam;
use crate::changelog::write::{add_fragment, BumpSpec, NewEntry, WriteError};
use crate::changelog::{self, ChangeKind, Changelog};
use crate::diag::render::Format;
use crate::diag::{did_you_mean, Diagnostics};
use crate::model::version::parse_stackstate;
use crate::model::Pack;
use semver::Version;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Add an unreleased change (one fragment file in `<changelog>/unreleased/`).
    ///
    /// Examples: `stackpack changelog add --kind feature "Report desired replicas"`,
    /// `stackpack changelog add stackpack --bump common=2.5.1`, `stackpack changelog add --sync`.
    Add(AddArgs),
    /// Check the changelog against itself and the manifest, and print the findings.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// `[DIR] [TEXT]`: the pack directory (default `.`) and the text of the change. With a
    /// single value and `--kind`, the value is the text.
    #[arg(num_args = 0..=2, value_name = "DIR] [TEXT")]
    pub args: Vec<String>,
    /// Kind of change: breaking, removal, deprecation, security, feature, improvement, bugfix,
    /// documentation (default for `--bump`: improvement).
    #[arg(long)]
    pub kind: Option<String>,
    /// A sub-item of the entry (repeatable).
    #[arg(long = "item", value_name = "TEXT")]
    pub items: Vec<String>,
    /// A version bump to announce: `common=2.5.1` (a dependency) or `stackstate-min=4.4.0`.
    /// The previous version is taken from the changelog.
    #[arg(long, value_name = "NAME=VERSION", conflicts_with = "sync")]
    pub bump: Option<String>,
    /// Write a bump fragment for every manifest version change since the last release that no
    /// fragment announces yet.
    #[arg(long)]
    pub sync: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The pack directory (holding `stackpack.toml`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> u8 {
    match args.command {
        Sub::Add(a) => add(a),
        Sub::Check(a) => check(a),
    }
}

/// A pack and its changelog, loaded for the changelog commands.
pub(crate) struct Loaded {
    pub pack: Pack,
    pub changelog: Option<Changelog>,
    /// Findings of loading the pack itself (manifest, nodes).
    pub pack_diags: Diagnostics,
    /// Findings of loading and checking the changelog.
    pub changelog_diags: Diagnostics,
}

/// Load the pack in `dir` and its changelog. On failure the problem is printed and the exit
/// code returned.
pub(crate) fn load(dir: &Path, format: Format) -> Result<Loaded, u8> {
    let mut pack_diags = Diagnostics::new();
    let pack = match crate::model::load_pack(dir, &mut pack_diags) {
        Ok(Ok(p)) => p,
        Ok(Err(sources)) => {
            pack_diags.sort(&sources);
            print_diagnostics(format, &pack_diags, &sources);
            return Err(super::EXIT_FINDINGS);
        }
        Err(e) => return Err(fatal(e)),
    };
    let mut pack = pack;
    let (cl, changelog_diags) = changelog::load_and_check(&mut pack);
    Ok(Loaded {
        pack,
        changelog: cl,
        pack_diags,
        changelog_diags,
    })
}

/// Take the lock of the pack in `dir` (whose manifest is `manifest_file`: `stackpack.toml`,
/// `stackpack.yaml`) and complete or undo what an interrupted earlier run left in the pack root.
/// The notes say what recovery did; [`recover_changelog`] adds the changelog's part and prints
/// them. No lock when the manifest is missing (the load that follows reports it).
pub(crate) fn lock_and_recover(
    dir: &Path,
    manifest_file: &str,
) -> Result<(Option<changelog::journal::Lock>, Vec<String>), u8> {
    let manifest = dir.join(manifest_file);
    let lock = if manifest.is_file() {
        match changelog::journal::lock(&manifest) {
            Ok(l) => Some(l),
            Err(e) => return Err(fatal(e)),
        }
    } else {
        None
    };
    match changelog::journal::recover(dir, None) {
        Ok(n) => Ok((lock, n)),
        Err(e) => Err(fatal(e)),
    }
}

/// The second half of recovery, once the pack is loaded: staged files of a killed run in the
/// changelog directory; then print every note.
pub(crate) fn recover_changelog(
    dir: &Path,
    pack: &dyn PackSeam,
    cl: Option<&Changelog>,
    mut notes: Vec<String>,
) -> Result<(), u8> {
    let cl_dir = cl
        .map(|c| c.dir.clone())
        .or_else(|| changelog::load::locate(pack, &mut Diagnostics::new()).map(|loc| loc.dir));
    match changelog::journal::recover(dir, cl_dir.as_deref()) {
        Ok(n) => notes.extend(n),
        Err(e) => return Err(fatal(e)),
    }
    for n in notes {
        eprintln!("note: {n}");
    }
    Ok(())
}

/// [`load`] for the commands that write (`release`, `changelog add`): first take the pack's
/// lock and complete or undo what an interrupted earlier run left (saying so), then load.
pub(crate) fn load_locked(dir: &Path, format: Format) -> Result<(Option<changelog::journal::Lock>, Loaded), u8> {
    let (lock, notes) = lock_and_recover(dir, crate::load::MANIFEST)?;
    let l = load(dir, format)?;
    recover_changelog(dir, &l.pack, l.changelog.as_ref(), notes)?;
    Ok((lock, l))
}

fn check(args: CheckArgs) -> u8 {
    let l = match load(&args.dir, args.format) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut diags = l.changelog_diags;
    crate::check::apply_allow(&l.pack, &mut diags);
    diags.sort(&l.pack.sources);
    print_diagnostics(args.format, &diags, &l.pack.sources);
    if l.changelog.is_none() && diags.is_empty() {
        eprintln!("note: the pack has no changelog directory");
    }
    exit_code(&diags, false)
}

fn parse_kind(raw: &str) -> Result<ChangeKind, String> {
    ChangeKind::parse(raw).ok_or_else(|| {
        let hint = match did_you_mean(raw, ChangeKind::keys()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("use one of: {}", ChangeKind::keys().collect::<Vec<_>>().join(", ")),
        };
        format!("unknown change kind `{raw}`: {hint}")
    })
}

/// `common=2.5.1` / `stackstate-min=4.4.0` → a bump with its previous version from the changelog.
fn parse_bump(raw: &str, pack: &dyn PackSeam, cl: Option<&Changelog>) -> Result<BumpSpec, String> {
    let Some((name, version)) = raw.split_once('=') else {
        return Err(format!(
            "`--bump {raw}`: write NAME=VERSION, e.g. `common=2.5.1` or `stackstate-min=4.4.0`"
        ));
    };
    let name = name.trim();
    let v2 = pack.manifest_file() == crate::v2::load::MANIFEST;
    if v2 {
        return Err(format!(
            "`--bump {raw}`: a StackPack 2.0 pack pins no dependencies and no minimum StackState version in `{}`; describe the change with `--kind <kind> \"<text>\"` instead",
            pack.manifest_file()
        ));
    }
    if name == "stackstate-min" {
        let to = parse_stackstate(version.trim())?;
        let from = cl.and_then(|c| value_at_newest(c, None)).map(|(v, _)| v);
        return Ok(BumpSpec::StackStateMin { from, to });
    }
    let to = Version::parse(version.trim()).map_err(|e| format!("`{version}` is not semver: {e}"))?;
    if pack.dependency(name).is_none() {
        let known: Vec<String> = pack.dependencies().into_iter().map(|d| d.name.value).collect();
        return Err(format!(
            "`{name}` is not a dependency in the manifest (dependencies: {}; or `stackstate-min`)",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    let from = cl.and_then(|c| value_at_newest(c, Some(name))).map(|(v, _)| v);
    Ok(BumpSpec::Dependency {
        name: name.to_string(),
        from,
        to,
    })
}

fn add(args: AddArgs) -> u8 {
    // `[DIR] [TEXT]`: one value is the text when a kind is given for a plain entry.
    let (dir, text) = match args.args.as_slice() {
        [] => (".".to_string(), None),
        [one] if args.kind.is_some() && args.bump.is_none() && !args.sync => (".".to_string(), Some(one.clone())),
        [one] => (one.clone(), None),
        [d, t, ..] => (d.clone(), Some(t.clone())),
    };
    let kind = match args.kind.as_deref().map(parse_kind).transpose() {
        Ok(k) => k,
        Err(e) => return fatal(e),
    };
    let dir = Path::new(&dir);
    if crate::v2::is_v2(dir) {
        // The same fragments, lock and recovery as for 1.x packs, through the 2.0 seam.
        let mut l = match super::v2::load_locked(dir) {
            Ok(l) => l,
            Err(code) => return code,
        };
        let cl = l.changelog.take();
        let Some(mut seam) = crate::v2::changelog::Seam::new(&mut l.analysis.pack) else {
            return fatal("`changelog add` takes a 2.0 pack directory, not an archive");
        };
        return add_entries(&mut seam, cl.as_ref(), &args, kind, text);
    }
    let (_lock, mut l) = match load_locked(dir, Format::Human) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let cl = l.changelog.take();
    add_entries(&mut l.pack, cl.as_ref(), &args, kind, text)
}

/// The entries `changelog add` asked for, written as fragments of the changelog of `pack`
/// (any format; the caller holds the pack's lock).
fn add_entries(
    pack: &mut dyn PackSeam,
    changelog: Option<&Changelog>,
    args: &AddArgs,
    kind: Option<ChangeKind>,
    text: Option<String>,
) -> u8 {
    let changelog_dir = match changelog {
        Some(c) => c.dir.clone(),
        None => {
            let mut d = Diagnostics::new();
            match changelog::load::locate(pack, &mut d) {
                Some(loc) => loc.dir,
                None => {
                    print_diagnostics(Format::Human, &d, pack.sources_mut());
                    return super::EXIT_FINDINGS;
                }
            }
        }
    };
    let mut entries = Vec::new();
    if args.sync {
        let Some(cl) = changelog else {
            eprintln!("nothing to sync: the pack has no releases yet");
            return super::EXIT_OK;
        };
        for m in missing_bumps(pack, cl) {
            entries.push(NewEntry {
                kind: kind.unwrap_or(ChangeKind::Improvement),
                text: None,
                items: Vec::new(),
                bump: Some(BumpSpec::from(&m)),
            });
        }
        if entries.is_empty() {
            eprintln!("nothing to sync: every version change since the last release has an entry");
            return super::EXIT_OK;
        }
    } else if let Some(raw) = &args.bump {
        match parse_bump(raw, pack, changelog) {
            Ok(b) => entries.push(NewEntry {
                kind: kind.unwrap_or(ChangeKind::Improvement),
                text,
                items: args.items.clone(),
                bump: Some(b),
            }),
            Err(e) => return fatal(e),
        }
    } else {
        let Some(kind) = kind else {
            return fatal("say what kind of change this is with `--kind <kind>` (or use `--bump`/`--sync`)");
        };
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return fatal("give the text of the change: `stackpack changelog add [DIR] --kind <kind> \"<text>\"`");
        };
        entries.push(NewEntry {
            kind,
            text: Some(text),
            items: args.items.clone(),
            bump: None,
        });
    }
    for e in &entries {
        match add_fragment(&changelog_dir, e) {
            Ok(path) => outln!("created {}", clean(&path)),
            Err(WriteError::Refused(m)) => {
                eprintln!("error: {m}");
                return super::EXIT_FINDINGS;
            }
            Err(WriteError::Io(m)) => return fatal(m),
        }
    }
    super::EXIT_OK
}

/// A path for messages, with `dir/..` pairs removed (`pack/../changelog/x` → `changelog/x`).
pub(crate) fn clean(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir if parts.last().is_some_and(|p| p != ".." && p != "/" && !p.is_empty()) => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            c => parts.push(c.as_os_str().to_string_lossy().to_string()),
        }
    }
    let joined = parts.join("/");
    joined.strip_prefix("//").map(|s| format!("/{s}")).unwrap_or(joined)
}
