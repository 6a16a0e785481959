//! Hostile 2.0 input never panics or hangs: truncated, bit-flipped and spliced copies of the
//! clean pack's files, deep nesting and handlebars floods, through the whole analysis
//! (load, every check, diff snapshot) in process.

mod helpers;

use helpers::{copy_dir, root};
use std::path::Path;

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn analyze(dir: &Path) {
    let a = stackpack::v2::analyze(dir, &stackpack::v2::Options::default())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let _ = stackpack::v2::diff::snapshot(&a.pack);
    let _ = stackpack::v2::inspect::summary(&a.pack);
    let _ = stackpack::diag::render::render(
        stackpack::diag::render::Format::Human,
        &a.diags,
        &a.pack.sources,
        Default::default(),
    );
}

#[test]
fn mutated_packs_never_panic() {
    let clean = root().join("tests/fixtures/v2/clean");
    let files = [
        "stackpack.yaml",
        "settings/monitors/queue-backlog.sty",
        "settings/presentations/queues.sty",
        "settings/mappings/components.sty",
        "settings/dashboard.sty",
        "includes/hints/queue-backlog.md.hbs",
    ];
    let mut rng = Rng(0x5eed_2026);
    for round in 0..120 {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("acme-queue");
        copy_dir(&clean, &dir);
        let f = files[rng.below(files.len())];
        let path = dir.join(f);
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        match round % 4 {
            0 => bytes.truncate(rng.below(bytes.len())),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(bytes.len());
                    if let Some(b) = bytes.get_mut(i) {
                        *b ^= 1 << rng.below(8);
                    }
                }
            }
            2 => {
                let i = rng.below(bytes.len());
                let insert: &[u8] =
                    [b"{{".as_slice(), b"!include ../../x", b"${", b"\n---\n", b"'\"", b"[{"][rng.below(6)];
                bytes.splice(i..i, insert.iter().copied());
            }
            _ => {
                let (a, b) = (rng.below(bytes.len()), rng.below(bytes.len()));
                let (a, b) = (a.min(b), a.max(b));
                let chunk = bytes[a..b].to_vec();
                let at = rng.below(bytes.len());
                bytes.splice(at..at, chunk);
            }
        }
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        analyze(&dir);
    }
}

#[test]
fn deep_nesting_and_floods_are_bounded() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("acme-queue");
    copy_dir(&root().join("tests/fixtures/v2/clean"), &dir);
    let deep = format!(
        "nodes:\n  - _type: Monitor\n    arguments: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    std::fs::write(dir.join("settings/deep.sty"), deep).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("settings/flood.sty"), "{{ x }}".repeat(20_000)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("includes/hints/queue-backlog.md.hbs"),
        "{{#if a}}".repeat(5_000),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let comps = dir.join("settings/mappings/components.sty");
    let text = std::fs::read_to_string(&comps).unwrap_or_default();
    let cel = format!("{}1{}", "(".repeat(3000), ")".repeat(3000));
    let deep_cel = text.replacen(r#"typeName: "'acme queue'""#, &format!(r#"typeName: "{cel}""#), 1);
    assert_ne!(deep_cel, text);
    std::fs::write(&comps, deep_cel).unwrap_or_else(|e| panic!("{e}"));
    let mon = dir.join("settings/monitors/queue-backlog.sty");
    let text = std::fs::read_to_string(&mon).unwrap_or_default();
    let promql = format!("{}x{}", "sum(".repeat(100_000), ")".repeat(100_000));
    let deep_promql = text.replacen(
        r#"query: sum by (broker, queue) (acme_queue_messages{state="ready"})"#,
        &format!("query: {promql}"),
        1,
    );
    assert_ne!(deep_promql, text);
    std::fs::write(&mon, deep_promql).unwrap_or_else(|e| panic!("{e}"));
    let start = std::time::Instant::now();
    analyze(&dir);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}
