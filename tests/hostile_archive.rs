//! Hostile `.sts` archives (issue 11.2, 11.5): duplicate names hidden from the zip reader (zip64
//! end records included), and a small archive that inflates to a GiB, read under a 2 GiB
//! address-space limit.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

enum Data {
    Stored(Vec<u8>),
    /// `n` MiB of zeros as repeated raw deflate blocks (about 1 KB each).
    Zeros(u32),
}

fn le16(v: u64) -> [u8; 2] {
    (v as u16).to_le_bytes()
}
fn le32(v: u64) -> [u8; 4] {
    (v as u32).to_le_bytes()
}
fn le64(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

/// A zip written by hand; with `zip64`, the classic end record says "see zip64" and a zip64 end
/// record and locator carry the real counts.
fn hand_zip(entries: &[(&str, Data)], zip64: bool) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut block = Vec::with_capacity(64 * 1024);
    let mut c = Compress::new(Compression::best(), false);
    let _ = c.compress_vec(&zeros, &mut block, FlushCompress::Sync);
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for (name, data) in entries {
        let (method, body, crc, usize_) = match data {
            Data::Stored(b) => (0u64, b.clone(), u64::from(crc32fast::hash(b)), b.len() as u64),
            Data::Zeros(n) => {
                let mut h = crc32fast::Hasher::new();
                let mut body = Vec::new();
                for _ in 0..*n {
                    h.update(&zeros);
                    body.extend_from_slice(&block);
                }
                body.extend_from_slice(&[0x03, 0x00]);
                (8, body, u64::from(h.finalize()), u64::from(*n) << 20)
            }
        };
        let offset = out.len() as u64;
        let nb = name.as_bytes();
        let mut h = Vec::new();
        h.extend(le32(0x04034b50));
        h.extend(le16(20));
        h.extend(le16(0));
        h.extend(le16(method));
        h.extend(le16(0));
        h.extend(le16(0x21));
        h.extend(le32(crc));
        h.extend(le32(body.len() as u64));
        h.extend(le32(usize_));
        h.extend(le16(nb.len() as u64));
        h.extend(le16(0));
        h.extend(nb);
        out.extend(h);
        out.extend(&body);
        cd.extend(le32(0x02014b50));
        cd.extend(le16(45));
        cd.extend(le16(20));
        cd.extend(le16(0));
        cd.extend(le16(method));
        cd.extend(le16(0));
        cd.extend(le16(0x21));
        cd.extend(le32(crc));
        cd.extend(le32(body.len() as u64));
        cd.extend(le32(usize_));
        cd.extend(le16(nb.len() as u64));
        cd.extend(le16(0));
        cd.extend(le16(0));
        cd.extend(le16(0));
        cd.extend(le16(0));
        cd.extend(le32(0));
        cd.extend(le32(offset));
        cd.extend(nb);
    }
    let cd_offset = out.len() as u64;
    let n = entries.len() as u64;
    out.extend(&cd);
    if zip64 {
        let z64 = out.len() as u64;
        out.extend(le32(0x06064b50));
        out.extend(le64(44));
        out.extend(le16(45));
        out.extend(le16(45));
        out.extend(le32(0));
        out.extend(le32(0));
        out.extend(le64(n));
        out.extend(le64(n));
        out.extend(le64(cd.len() as u64));
        out.extend(le64(cd_offset));
        out.extend(le32(0x07064b50));
        out.extend(le32(0));
        out.extend(le64(z64));
        out.extend(le32(1));
    }
    out.extend(le32(0x06054b50));
    out.extend(le16(0));
    out.extend(le16(0));
    let shown = if zip64 { 0xFFFF } else { n };
    out.extend(le16(shown));
    out.extend(le16(shown));
    out.extend(le32(if zip64 { 0xFFFF_FFFF } else { cd.len() as u64 }));
    out.extend(le32(if zip64 { 0xFFFF_FFFF } else { cd_offset }));
    out.extend(le16(0));
    out
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, Duration) {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152; exec timeout 30 \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_stackpack"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("run: {e}"));
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), s, start.elapsed())
}

const CONF_A: &[u8] = b"name = a\ndisplayName = \"A\"\nversion = \"1.0.0\"\n";
const CONF_B: &[u8] = b"name = b\ndisplayName = \"B\"\nversion = \"2.0.0\"\n";

#[test]
fn duplicate_names_are_found_in_the_central_directory_zip64_included() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for zip64 in [false, true] {
        let data = hand_zip(
            &[
                ("stackpack.conf", Data::Stored(CONF_A.to_vec())),
                ("resources/logo.png", Data::Stored(b"png".to_vec())),
                ("./stackpack.conf", Data::Stored(CONF_B.to_vec())),
            ],
            zip64,
        );
        let p = tmp.path().join(format!("dup-{zip64}.sts"));
        std::fs::write(&p, data).unwrap_or_else(|e| panic!("{e}"));
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        for cmd in [vec!["lint", name.as_str()], vec!["inspect", name.as_str()]] {
            let (code, out, _) = run(tmp.path(), &cmd);
            assert!(code == 1 || code == 2, "zip64={zip64} {cmd:?}: exit {code}: {out}");
            assert!(out.contains("SP805"), "zip64={zip64} {cmd:?}: {out}");
            assert!(out.contains("stackpack.conf"), "{out}");
        }
        let (code, out, _) = run(tmp.path(), &["import", &name, "--out", "imported"]);
        assert!(code == 1 || code == 2, "import zip64={zip64}: exit {code}: {out}");
        assert!(
            !tmp.path().join("imported").exists(),
            "import wrote from a refused archive"
        );
    }
}

#[test]
fn a_small_archive_inflating_to_a_gib_is_refused_quickly_within_2_gib() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let entries: Vec<(String, Data)> = (0..4)
        .map(|i| (format!("resources/z{i}.bin"), Data::Zeros(255)))
        .collect();
    let mut all: Vec<(&str, Data)> = vec![("stackpack.conf", Data::Stored(CONF_A.to_vec()))];
    for (n, d) in entries {
        all.push((Box::leak(n.into_boxed_str()), d));
    }
    let data = hand_zip(&all, false);
    assert!(data.len() < 2 << 20, "{} bytes", data.len());
    std::fs::write(tmp.path().join("bomb.sts"), data).unwrap_or_else(|e| panic!("{e}"));
    for cmd in [
        vec!["import", "bomb.sts", "--out", "imported"],
        vec!["lint", "bomb.sts"],
        vec!["inspect", "bomb.sts"],
    ] {
        let (code, out, took) = run(tmp.path(), &cmd);
        assert!(code == 1 || code == 2, "{cmd:?}: exit {code} (134 is a crash): {out}");
        assert!(out.contains("SP806"), "{cmd:?}: {out}");
        assert!(took < Duration::from_secs(20), "{cmd:?}: {took:?}");
    }
    assert!(!tmp.path().join("imported").exists());
}

#[test]
fn a_fifo_or_device_given_as_the_archive_is_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fifo = tmp.path().join("f.sts");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap_or_default();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::os::unix::fs::symlink("/dev/zero", tmp.path().join("z.sts")).unwrap_or_else(|e| panic!("{e}"));
    for name in ["f.sts", "z.sts"] {
        for cmd in [
            vec!["inspect", name],
            vec!["lint", name],
            vec!["import", name, "--out", "imported"],
            vec!["diff", name, name],
        ] {
            let (code, out, took) = run(tmp.path(), &cmd);
            assert_eq!(code, 2, "{cmd:?}: {out}");
            assert!(took < Duration::from_secs(5), "{cmd:?}: {took:?}");
        }
    }
    assert!(!tmp.path().join("imported").exists());
}
