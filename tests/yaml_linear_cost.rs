//! The one YAML reader (`stackpack::load::yaml`, used by the v1 loader and by 2.0 packs) does
//! work proportional to its input on non-ASCII text: characters walked to convert between byte
//! offsets and character columns, allocations and allocated bytes are counted (no timing) on
//! 0.5 MB and 1 MB of YAML whose scalars are mostly multi-byte characters, written as block
//! YAML and as one single 1 MB line (the worst case for column conversion). Doubling the input
//! must not much more than double any count.

use std::sync::atomic::Ordering::Relaxed;

#[path = "helpers/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{ALLOCS, ALLOC_BYTES};

const METRICS: [&str; 3] = ["characters walked for columns", "allocations", "allocated bytes"];

fn counters() -> [usize; 3] {
    [
        stackpack::source::CHAR_WALK.load(Relaxed),
        ALLOCS.load(Relaxed),
        ALLOC_BYTES.load(Relaxed),
    ]
}

/// Block YAML of about `bytes` bytes: a list of mappings with non-ASCII scalars.
fn block_yaml(bytes: usize) -> String {
    let mut s = String::from("nodes:\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!(
            "  - name: \"Überwachung ñandú 監視ノード {i}\"\n    description: Ünïcödé ßtring äöü 日本語のテキスト {i} ÄÖÜ éèê # ĉomment\n    tag: !icon ícono-{i}.svg\n"
        ));
        i += 1;
    }
    s
}

/// One line of about `bytes` bytes: a flow list of non-ASCII scalars.
fn one_line_yaml(bytes: usize) -> String {
    let mut s = String::from("nodes: [");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!(
            "{{name: \"Überwachung 監視 {i}\", tag: !icon ícono-{i}.svg}}, "
        ));
        i += 1;
    }
    s.push_str("last]\n");
    s
}

fn work(reader: &str, text: &str) -> [usize; 3] {
    let before = counters();
    let mut sources = stackpack::source::SourceMap::new();
    let id = sources.add("big.yaml", None, text);
    let mut diags = stackpack::diag::Diagnostics::new();
    let docs = match reader {
        "v1" => stackpack::load::yaml::parse(id, sources.file(id), &mut diags).map(|d| d.len()),
        _ => stackpack::v2::yaml::parse(id, sources.file(id), &mut diags).map(|d| d.len()),
    };
    assert_eq!(docs, Some(1), "{reader}: {diags:?}");
    drop(sources);
    let after = counters();
    let mut out = [0; 3];
    for i in 0..3 {
        out[i] = after[i] - before[i];
    }
    out
}

#[test]
fn reading_non_ascii_yaml_is_linear() {
    for (shape, make) in [
        ("block", block_yaml as fn(usize) -> String),
        ("one line", one_line_yaml),
    ] {
        let small = make(512 * 1024);
        let large = make(1024 * 1024);
        assert!(small.chars().count() < small.len(), "the text is non-ASCII");
        for reader in ["v1", "v2"] {
            let a = work(reader, &small);
            let b = work(reader, &large);
            for m in 0..3 {
                let ratio = b[m] as f64 / a[m].max(1) as f64;
                eprintln!("{reader} {shape}: {}: {} -> {} ({ratio:.2}x)", METRICS[m], a[m], b[m]);
                assert!(
                    ratio < 2.6,
                    "{reader} reader, {shape}: {} grows {ratio:.2}x for 2x the input ({} -> {})",
                    METRICS[m],
                    a[m],
                    b[m]
                );
            }
        }
    }
}
