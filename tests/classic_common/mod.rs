//! Helpers shared by the classic-pack tests: corpus copies, CLI runs, archive builders.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/corpus/v1/<pack>` (CI has shared/ beside the checkout; a git worktree one level
/// deeper finds it at `../../shared`).
pub fn corpus(pack: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = ["../shared/corpus/v1", "../../shared/corpus/v1"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| root.join("../shared/corpus/v1"));
    base.join(pack)
}

pub fn corpus_available() -> bool {
    corpus("sap").join("stackpack.conf").is_file()
}

/// A writable copy of a corpus pack in a temp dir: (guard, pack dir).
pub fn corpus_copy(pack: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(pack);
    copy_dir(&corpus(pack), &dir);
    (tmp, dir)
}

/// Replace the first occurrence of `from` in a file (which must contain it).
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn stackpack(args: &[&str], cwd: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_stackpack"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run stackpack");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// Lint `dir` (relative to `cwd`) with JSON output: (exit code, diagnostics).
pub fn lint_json(cwd: &Path, target: &str) -> (i32, Vec<serde_json::Value>) {
    let r = stackpack(&["lint", target, "--format", "json"], cwd);
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("bad json {e}: {}\n{}", r.stdout, r.stderr));
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    (r.code, diags)
}

/// Zip every file of `dir` into `out` (entries at the root); `extra_conf` is appended to
/// stackpack.conf the way the sbt build appends the version.
pub fn zip_dir(dir: &Path, out: &Path, extra_conf: &str) {
    let file = std::fs::File::create(out).expect("create");
    let mut w = zip::ZipWriter::new(file);
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let rel = p
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        let mut data = std::fs::read(&p).expect("read");
        if rel == "stackpack.conf" {
            data.extend_from_slice(extra_conf.as_bytes());
        }
        w.start_file(rel, zip::write::SimpleFileOptions::default())
            .expect("start");
        w.write_all(&data).expect("write");
    }
    w.finish().expect("finish");
}

/// A zip with one `name` entry holding `size` zero bytes, written by hand: the deflate stream is
/// one compressed MiB of zeros (ending on a byte boundary, not final) repeated, then an empty
/// final block. 2 GiB compress to about 2 MB; nothing of that size is ever held in memory.
pub fn zero_bomb(out: &Path, name: &str, size_mib: u32) {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(64 * 1024);
    c.compress_vec(&zeros, &mut block, FlushCompress::Sync)
        .expect("deflate");
    assert_eq!(c.total_in(), 1 << 20, "one MiB consumed");
    let mut crc = crc32fast::Hasher::new();
    for _ in 0..size_mib {
        crc.update(&zeros);
    }
    let crc = crc.finalize();
    let final_block = [0x03u8, 0x00];
    let csize = block.len() as u64 * u64::from(size_mib) + 2;
    let usize_ = u64::from(size_mib) << 20;
    assert!(csize < u32::MAX as u64 && usize_ <= u32::MAX as u64);
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).expect("create"));
    let name_b = name.as_bytes();
    let le16 = |v: u16| v.to_le_bytes();
    let le32 = |v: u32| v.to_le_bytes();
    // Local file header.
    let mut h = Vec::new();
    h.extend(le32(0x04034b50));
    h.extend(le16(20)); // version needed
    h.extend(le16(0)); // flags
    h.extend(le16(8)); // deflate
    h.extend(le16(0)); // time
    h.extend(le16(0x21)); // date (1980-01-01)
    h.extend(le32(crc));
    h.extend(le32(csize as u32));
    h.extend(le32(usize_ as u32));
    h.extend(le16(name_b.len() as u16));
    h.extend(le16(0));
    h.extend(name_b);
    f.write_all(&h).expect("write");
    for _ in 0..size_mib {
        f.write_all(&block).expect("write");
    }
    f.write_all(&final_block).expect("write");
    let cd_offset = h.len() as u64 + csize;
    // Central directory.
    let mut cd = Vec::new();
    cd.extend(le32(0x02014b50));
    cd.extend(le16(20));
    cd.extend(le16(20));
    cd.extend(le16(0));
    cd.extend(le16(8));
    cd.extend(le16(0));
    cd.extend(le16(0x21));
    cd.extend(le32(crc));
    cd.extend(le32(csize as u32));
    cd.extend(le32(usize_ as u32));
    cd.extend(le16(name_b.len() as u16));
    cd.extend(le16(0)); // extra
    cd.extend(le16(0)); // comment
    cd.extend(le16(0)); // disk
    cd.extend(le16(0)); // internal attrs
    cd.extend(le32(0)); // external attrs
    cd.extend(le32(0)); // local header offset
    cd.extend(name_b);
    f.write_all(&cd).expect("write");
    let mut eocd = Vec::new();
    eocd.extend(le32(0x06054b50));
    eocd.extend(le16(0));
    eocd.extend(le16(0));
    eocd.extend(le16(1));
    eocd.extend(le16(1));
    eocd.extend(le32(cd.len() as u32));
    eocd.extend(le32(cd_offset as u32));
    eocd.extend(le16(0));
    f.write_all(&eocd).expect("write");
    f.flush().expect("flush");
}

#[path = "../helpers/mod.rs"]
mod helpers;
pub use helpers::copy_dir;
