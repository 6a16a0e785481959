//! Inputs the fuzz runs of issue 11 found (docs/fuzzing.md), replayed through the fuzz entry
//! points with a time bound.

use std::time::{Duration, Instant};

fn fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(name);
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn a_node_file_of_2000_unknown_top_level_keys_is_fast() {
    let text = fixture("nodes_yaml-2000-keys.yaml");
    assert!(text.len() > 20_000);
    let t = Instant::now();
    stackpack::fuzzing::nodes_yaml(&text);
    let took = t.elapsed();
    eprintln!("took {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn unknown_top_level_keys_cost_linear_time() {
    let make = |n: usize| (0..n).map(|i| format!("k{i}: {i}\n")).collect::<String>();
    let time = |n: usize| {
        let text = make(n);
        let t = Instant::now();
        stackpack::fuzzing::nodes_yaml(&text);
        t.elapsed()
    };
    let small = time(2_000);
    let big = time(8_000);
    eprintln!("2000: {small:?}, 8000: {big:?}");
    // 4x the input: linear is ~4x; quadratic would be ~16x.
    assert!(big < small * 12, "2000 keys {small:?}, 8000 keys {big:?}");
}
