//! `stackpack rules`: the rule list, for humans or as JSON.

use crate::diag::registry;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the rules as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> u8 {
    let rules = registry::all();
    if args.json {
        let v: Vec<_> = rules
            .iter()
            .map(|r| serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity.as_str(), "summary": r.summary, "example": r.example}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for r in rules {
            println!("{}  {:<8} {:<28} {}", r.code, r.severity.as_str(), r.name, r.summary);
        }
    }
    super::EXIT_OK
}
