//! Generate a synthetic pack: `cargo run --release --example synth -- DIR NODES [RESOURCE_MB]`,
//! or a StackPack 2.0 pack (sources in `DIR/source`, its archive in `DIR/sts`) with `--v2`
//! anywhere in the arguments.

use stackpack::synth::{generate, v2, SynthSpec};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let as_v2 = args.iter().any(|a| a == "--v2");
    args.retain(|a| a != "--v2");
    let (Some(dir), Some(nodes)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: synth DIR NODES [RESOURCE_MB]");
        return ExitCode::from(2);
    };
    let mb: usize = args.get(2).and_then(|m| m.parse().ok()).unwrap_or(0);
    if as_v2 {
        let spec = SynthSpec {
            nodes,
            resource_bytes: mb << 20,
            seed: 42,
        };
        return match v2(std::path::Path::new(dir), &spec) {
            Ok(f) => {
                println!(
                    "{} nodes in {}, archive {}",
                    f.stats.nodes,
                    f.source.display(),
                    f.sts.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
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
