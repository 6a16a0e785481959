//! Robustness: random mutations of valid packs never make lint panic (exit code 101).
//!
//! A small deterministic PRNG (xorshift64*) picks a file of the pack and mutates it: delete,
//! duplicate or swap lines, swap characters or words, truncate, insert random bytes, or replace
//! the whole file with random bytes. Every mutant is linted in-process (panics caught) and a
//! subset through the binary (exit code checked). Iterations are bounded to keep the test fast.

mod helpers;

use helpers::copy_dir;
use stackpack::synth::Rng;
use std::path::{Path, PathBuf};
use std::process::Command;

fn files_of(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            files_of(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let lines = |b: &[u8]| -> Vec<Vec<u8>> { b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
    match rng.below(9) {
        0 => {
            let mut l = lines(&b);
            if !l.is_empty() {
                let i = rng.below(l.len());
                l.remove(i);
            }
            b = l.join(&b'\n');
        }
        1 => {
            let mut l = lines(&b);
            if !l.is_empty() {
                let i = rng.below(l.len());
                let line = l[i].clone();
                l.insert(i, line);
            }
            b = l.join(&b'\n');
        }
        2 => {
            let mut l = lines(&b);
            if l.len() > 1 {
                let (i, j) = (rng.below(l.len()), rng.below(l.len()));
                l.swap(i, j);
            }
            b = l.join(&b'\n');
        }
        3 => {
            if b.len() > 1 {
                let (i, j) = (rng.below(b.len()), rng.below(b.len()));
                b.swap(i, j);
            }
        }
        4 => {
            let n = rng.below(b.len() + 1);
            b.truncate(n);
        }
        5 => {
            let at = rng.below(b.len() + 1);
            let n = 1 + rng.below(8);
            let junk: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            b.splice(at..at, junk);
        }
        6 => {
            let n = rng.below(64);
            b = (0..n).map(|_| rng.next_u64() as u8).collect();
        }
        7 => {
            // Insert a character that matters to the syntaxes involved.
            const SPECIAL: &[u8] = b"{}[]():,\"'\\#&*!|>-=\n\t ";
            let at = rng.below(b.len() + 1);
            b.insert(at, SPECIAL[rng.below(SPECIAL.len())]);
        }
        _ => {
            // Swap two words: ids land in the wrong fields, references dangle.
            let text = String::from_utf8_lossy(&b).to_string();
            let words: Vec<(usize, &str)> = text
                .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.' || c == ':'))
                .scan(0usize, |_, w| Some(w))
                .filter(|w| !w.is_empty())
                .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
                .collect();
            if words.len() > 1 {
                let (a, c) = (words[rng.below(words.len())], words[rng.below(words.len())]);
                let (first, second) = if a.0 <= c.0 { (a, c) } else { (c, a) };
                if first.0 + first.1.len() <= second.0 {
                    let mut s = String::new();
                    s.push_str(&text[..first.0]);
                    s.push_str(second.1);
                    s.push_str(&text[first.0 + first.1.len()..second.0]);
                    s.push_str(first.1);
                    s.push_str(&text[second.0 + second.1.len()..]);
                    b = s.into_bytes();
                }
            }
        }
    }
    b
}

fn lint_in_process(dir: &Path) -> Result<(), String> {
    let dir = dir.to_path_buf();
    std::panic::catch_unwind(move || {
        let mut diags = stackpack::diag::Diagnostics::new();
        if let Ok(Ok(pack)) = stackpack::model::load_pack(&dir, &mut diags) {
            diags.extend(stackpack::check::run(&pack, &Default::default()));
            stackpack::check::apply_allow(&pack, &mut diags);
            diags.sort(&pack.sources);
            let opts = stackpack::diag::render::RenderOptions::default();
            for f in [
                stackpack::diag::render::Format::Human,
                stackpack::diag::render::Format::Json,
                stackpack::diag::render::Format::Sarif,
            ] {
                let _ = stackpack::diag::render::render(f, &diags, &pack.sources, opts);
            }
        }
    })
    .map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

fn fuzz(seed_pack: &Path, seed: u64, iterations: usize, via_binary_every: usize) {
    let mut rng = Rng::new(seed);
    let tmp = tempfile::tempdir().expect("tempdir");
    for it in 0..iterations {
        let work = tmp.path().join(format!("m{it}"));
        copy_dir(seed_pack, &work);
        let mut files = Vec::new();
        files_of(&work, &mut files);
        let rounds = 1 + rng.below(3);
        let mut log = Vec::new();
        for _ in 0..rounds {
            let f = &files[rng.below(files.len())];
            let bytes = std::fs::read(f).expect("read");
            let mutated = mutate(&mut rng, &bytes);
            std::fs::write(f, &mutated).expect("write");
            log.push(f.strip_prefix(&work).unwrap_or(f).display().to_string());
        }
        if let Err(msg) = lint_in_process(&work) {
            panic!(
                "lint panicked on mutant {it} of {} (seed {seed}, files {log:?}): {msg}\nkept in {}",
                seed_pack.display(),
                tmp.keep().join(format!("m{it}")).display()
            );
        }
        if it.is_multiple_of(via_binary_every) {
            let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
                .args(["lint", ".", "--format", "sarif"])
                .current_dir(&work)
                .output()
                .expect("run stackpack");
            let code = out.status.code().unwrap_or(-1);
            assert!(
                matches!(code, 0..=2),
                "exit {code} on mutant {it} (files {log:?}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if code != 2 {
                let v: Result<serde_json::Value, _> = serde_json::from_slice(&out.stdout);
                assert!(v.is_ok(), "SARIF output must stay JSON on mutant {it}");
            }
        }
        let _ = std::fs::remove_dir_all(&work);
    }
}

#[test]
fn mutated_fixture_packs_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures/lint");
    fuzz(&fixtures.join("valid"), 0x5eed_0001, 150, 10);
    fuzz(&fixtures.join("SP404-view-health-function-kind"), 0x5eed_0002, 60, 20);
    fuzz(&fixtures.join("SP106-duplicate-step-name"), 0x5eed_0003, 30, 15);
}

#[test]
fn mutated_example_pack_never_panics() {
    // The example pack (`stackpack/`) lands in main later; mutate it when present.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("stackpack");
    if example.join("stackpack.toml").is_file() {
        fuzz(&example, 0x5eed_00e1, 60, 10);
    }
}
