//! `stackpack completions SHELL` and `stackpack man [COMMAND]`: shell completions
//! (`clap_complete`) and roff man pages (`clap_mangen`), generated from the same command
//! definition as `--help`, so they never drift from it.

use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// A command (`lint`, `build`, …) for its own page (`stackpack-lint(1)`); default: the
    /// main page `stackpack(1)`.
    pub command: Option<String>,
    /// Write every page (`stackpack.1`, `stackpack-lint.1`, …) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> u8 {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "stackpack", &mut buf);
    out!("{}", String::from_utf8_lossy(&buf));
    super::EXIT_OK
}

fn page(cmd: clap::Command) -> Result<Vec<u8>, std::io::Error> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    Ok(buf)
}

pub fn man(args: ManArgs) -> u8 {
    let mut root = super::Cli::command();
    root.build();
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return super::output::fatal(format!("cannot create `{}`: {e}", dir.display()));
        }
        let mut pages = vec![("stackpack".to_string(), root.clone())];
        for sub in root.get_subcommands() {
            let name = format!("stackpack-{}", sub.get_name());
            pages.push((name.clone(), sub.clone().display_name(name)));
        }
        for (name, cmd) in pages {
            let path = dir.join(format!("{name}.1"));
            let written = page(cmd).and_then(|b| std::fs::write(&path, b));
            if let Err(e) = written {
                return super::output::fatal(format!("cannot write `{}`: {e}", path.display()));
            }
            outln!("{}", path.display());
        }
        return super::EXIT_OK;
    }
    let cmd = match &args.command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => sub.clone().display_name(format!("stackpack-{name}")),
            None => {
                return super::output::fatal(format!(
                    "no command `{}`; `stackpack --help` lists them",
                    crate::diag::escape::escape(name)
                ))
            }
        },
    };
    match page(cmd) {
        Ok(b) => {
            out!("{}", String::from_utf8_lossy(&b));
            super::EXIT_OK
        }
        Err(e) => super::output::fatal(e),
    }
}
