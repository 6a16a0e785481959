//! `stackpack schema manifest|nodes|test`: print the JSON Schema of the declarative sources.

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Which {
    /// `stackpack.toml`.
    Manifest,
    /// Node files (`nodes/*.yaml`).
    Nodes,
    /// Test files (`tests/*.yaml`, see `stackpack test`).
    Test,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    pub which: Which,
}

pub fn run(args: Args) -> u8 {
    let schema = match args.which {
        Which::Manifest => crate::schema::manifest(),
        Which::Nodes => crate::schema::nodes(),
        Which::Test => crate::sync::schema::test_file(),
    };
    out!("{}", crate::schema::to_text(&schema));
    super::EXIT_OK
}
