//! The archive writer leaves nothing behind when writing fails midway.

use stackpack::archive::write::{write_sts, write_sts_through};
use stackpack::compile::Entry;
use std::io::{self, Write};

/// A writer that fails once `left` bytes have been written.
struct FailAfter<W: Write> {
    inner: W,
    left: usize,
}

impl<W: Write> Write for FailAfter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("disk full (injected)"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        self.inner.write(&buf[..n])
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write + io::Seek> io::Seek for FailAfter<W> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn entries() -> Vec<Entry> {
    (0..50)
        .map(|i| Entry {
            path: format!("resources/page-{i:02}.md"),
            // Incompressible-ish content so that the archive is larger than the writer's buffer.
            data: (0..4000u32)
                .map(|j| (j.wrapping_mul(2_654_435_761).wrapping_add(i) >> 13) as u8)
                .collect::<Vec<u8>>()
                .into(),
        })
        .collect()
}

#[test]
fn a_failing_writer_leaves_no_partial_archive() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let res = write_sts_through(dir.path(), "x-1.0.0.sts", &entries(), 315_532_800, |f| FailAfter {
        inner: f,
        left: 20_000,
    });
    let err = match res {
        Ok(p) => panic!("wrote {}", p.display()),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("disk full (injected)"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .map(|r| r.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "files left in the output directory: {left:?}");
}

/// Interrupt the write at many points across the whole archive, down to its last bytes (the
/// central directory): every time the error is reported and nothing is left behind.
#[test]
fn an_interruption_at_any_point_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let full = write_sts(dir.path(), "full.sts", &entries(), 315_532_800).unwrap_or_else(|e| panic!("{e}"));
    let size = std::fs::metadata(&full).map(|m| m.len() as usize).unwrap_or(0);
    let _ = std::fs::remove_file(&full);
    assert!(
        size > 40_000,
        "the archive should exceed the write buffer many times: {size}"
    );
    let mut points: Vec<usize> = (0..size).step_by(size / 40).collect();
    points.extend([0, 1, 29, 30, size - 100, size - 22, size - 1]);
    for left in points {
        let res = write_sts_through(dir.path(), "x-1.0.0.sts", &entries(), 315_532_800, |f| FailAfter {
            inner: f,
            left,
        });
        assert!(res.is_err(), "a write failing after {left} of {size} bytes succeeded");
        let left_over: Vec<_> = std::fs::read_dir(dir.path())
            .map(|r| r.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left_over.is_empty(), "after failing at byte {left}: {left_over:?}");
    }
}

#[test]
fn a_failing_writer_keeps_an_earlier_archive_intact() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = write_sts(dir.path(), "x-1.0.0.sts", &entries()[..3], 315_532_800).unwrap_or_else(|e| panic!("{e}"));
    let before = std::fs::read(&first).unwrap_or_default();
    let res = write_sts_through(dir.path(), "x-1.0.0.sts", &entries(), 315_532_800, |f| FailAfter {
        inner: f,
        left: 100,
    });
    assert!(res.is_err());
    assert_eq!(std::fs::read(&first).unwrap_or_default(), before);
    assert_eq!(std::fs::read_dir(dir.path()).map(|r| r.count()).unwrap_or(0), 1);
}

#[test]
fn archive_is_world_readable() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = write_sts(dir.path(), "x-1.0.0.sts", &entries()[..1], 315_532_800).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o644);
    }
}

/// The writer deflates large entries in pieces (pigz-style) and writes the zip records itself:
/// the archive must read back intact through our reader, Info-ZIP's `unzip -t` and Python's
/// `zipfile` (both skipped with a note when not installed).
#[test]
fn archives_read_back_through_our_reader_unzip_and_python() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut entries: Vec<Entry> = (0..40)
        .map(|i| Entry {
            path: format!("resources/docs/page-{i:02}.md"),
            data: stackpack::synth::prose(1000 + i * 4099, i as u64).into(),
        })
        .collect();
    entries.push(Entry {
        path: "resources/big.md".into(),
        data: stackpack::synth::prose(3 * stackpack::archive::write::PIECE + 777, 7).into(),
    });
    entries.push(Entry {
        path: "resources/é-ünïcode.md".into(),
        data: stackpack::synth::prose(5000, 9).into(),
    });
    entries.push(Entry {
        path: "resources/empty.txt".into(),
        data: Vec::<u8>::new().into(),
    });
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(stackpack::synth::prose(3000, 3));
    entries.push(Entry {
        path: "resources/logo.png".into(),
        data: png.into(),
    });
    let p = write_sts(dir.path(), "x-1.0.0.sts", &entries, 315_532_800).unwrap_or_else(|e| panic!("{e}"));

    let mut diags = stackpack::diag::Diagnostics::new();
    let read = stackpack::archive::read::read_archive(&p, &Default::default(), &mut diags)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(read.len(), entries.len());
    for e in &entries {
        let r = read
            .iter()
            .find(|r| r.path == e.path)
            .unwrap_or_else(|| panic!("{} missing", e.path));
        assert!(e.data.bytes() == Some(&r.bytes[..]), "{} differs", e.path);
    }

    match std::process::Command::new("unzip").arg("-tq").arg(&p).output() {
        Ok(o) => assert!(
            o.status.success(),
            "unzip -t: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => eprintln!("note: unzip not installed, not checked"),
    }
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nassert bad is None, bad\nprint(len(z.namelist()))\n";
    match std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&p)
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "python zipfile: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), entries.len().to_string());
        }
        Err(_) => eprintln!("note: python3 not installed, not checked"),
    }
}
