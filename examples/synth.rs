//! Generate a synthetic pack: `cargo run --release --example synth -- DIR NODES [RESOURCE_MB]`.

use stackpack::synth::{generate, SynthSpec};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(nodes)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: synth DIR NODES [RESOURCE_MB]");
        return ExitCode::from(2);
    };
    let mb: usize = args.get(2).and_then(|m| m.parse().ok()).unwrap_or(0);
    match generate(
        std::path::Path::new(dir),
        &SynthSpec {
            nodes,
            resource_bytes: mb << 20,
            seed: 42,
        },
    ) {
        Ok(stats) => {
            println!(
                "{} nodes, {} files, {} bytes in {dir}",
                stats.nodes, stats.files, stats.bytes
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
