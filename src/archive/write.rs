//! The deterministic `.sts` writer.
//!
//! Same entries → same bytes, on any machine: entries sorted by path, one fixed timestamp
//! (`SOURCE_DATE_EPOCH` when set and valid, else 1980-01-01 00:00:00), regular-file permissions
//! `0644`, no directory entries, no extra fields, raw deflate at level 6 — or stored, when
//! deflate would not make an entry smaller. The decision depends on the entry's bytes only
//! ([`should_store`]): already-compressed formats (PNG, JPEG, GIF, WebP, ZIP, gzip, …) are
//! recognised by their signature and never deflated, a large entry whose first 256 KiB do not
//! shrink is stored, and anything else is deflated and stored when that did not help.
//!
//! Entries to deflate are compressed on their own ([`prepare`]: a one-entry zip in memory, built
//! with the `zip` crate), on all cores ([`prepare_all`]); the archive is then assembled in path
//! order, copying deflated entries raw and writing stored ones straight from their bytes (no
//! copy), so the bytes do not depend on thread timing and memory stays at the entries plus
//! their compressed forms.
//!
//! [`write_sts`] writes to an unnamed temporary file in the output directory (Linux
//! `O_TMPFILE`: a killed run leaves nothing visible) and publishes it under its name only once
//! complete. Where unnamed files are not available, the temporary file is named
//! `.stackpack-<pid>-….sts.tmp`, removed on any error, and removed by the next run when its
//! process is gone.

use super::Entry;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// 1980-01-01T00:00:00Z, the earliest time a zip can hold.
pub const DEFAULT_EPOCH: i64 = 315_532_800;
/// 2107-12-31T23:59:59Z, the latest time a zip can hold.
pub const MAX_EPOCH: i64 = 4_354_819_199;

/// The build time: `SOURCE_DATE_EPOCH` when it is set to an integer a zip can hold, else
/// [`DEFAULT_EPOCH`].
pub fn build_epoch() -> i64 {
    epoch_from(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
}

/// See [`build_epoch`].
pub fn epoch_from(value: Option<&str>) -> i64 {
    value
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|v| (DEFAULT_EPOCH..=MAX_EPOCH).contains(v))
        .unwrap_or(DEFAULT_EPOCH)
}

/// Unix time → (year, month, day, hour, minute, second) in UTC.
pub fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days → civil date.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

/// Unix time → `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// The zip timestamp of every entry.
fn zip_time(epoch: i64) -> io::Result<zip::DateTime> {
    let (y, mo, d, h, mi, s) = civil(epoch.clamp(DEFAULT_EPOCH, MAX_EPOCH));
    zip::DateTime::from_date_and_time(y as u16, mo as u8, d as u8, h as u8, mi as u8, s as u8)
        .map_err(|e| io::Error::other(format!("invalid archive timestamp: {e}")))
}

/// One entry, ready to be assembled into the archive.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub path: String,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    /// A one-entry zip in memory holding the deflated entry, copied into the archive as is.
    Deflated(Vec<u8>),
    /// Written uncompressed, straight from the entry's bytes.
    Stored,
}

impl Prepared {
    /// Whether the entry is stored uncompressed.
    pub fn stored(&self) -> bool {
        matches!(self.body, Body::Stored)
    }
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn options(len: usize, time: zip::DateTime, method: CompressionMethod) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(if method == CompressionMethod::Stored {
            None
        } else {
            Some(6)
        })
        .last_modified_time(time)
        .unix_permissions(0o644)
        .large_file(len as u64 >= u64::from(u32::MAX))
}

/// `path` deflated at level 6 as a one-entry zip, and the entry's compressed size.
fn deflated_zip(path: &str, data: &[u8], time: zip::DateTime) -> io::Result<(Vec<u8>, u64)> {
    let mut w = ZipWriter::new(io::Cursor::new(Vec::with_capacity(data.len() / 2 + 256)));
    w.start_file(path, options(data.len(), time, CompressionMethod::Deflated))
        .map_err(zip_err)?;
    w.write_all(data)?;
    let mut zip = w.finish().map_err(zip_err)?.into_inner();
    // Kept until the archive is assembled: give back what the compressor over-allocated.
    zip.shrink_to_fit();
    let compressed = ZipArchive::new(io::Cursor::new(&zip))
        .and_then(|mut z| z.by_index_raw(0).map(|f| f.compressed_size()))
        .map_err(zip_err)?;
    Ok((zip, compressed))
}

/// File signatures of formats that are compressed already: deflate does not shrink them.
const COMPRESSED_SIGNATURES: [&[u8]; 14] = [
    b"\x89PNG\r\n\x1a\n",    // PNG
    b"\xff\xd8\xff",         // JPEG
    b"GIF87a",               // GIF
    b"GIF89a",               // GIF
    b"PK\x03\x04",           // ZIP, JAR, .sts, Office documents
    b"PK\x05\x06",           // empty ZIP
    b"\x1f\x8b",             // gzip
    b"BZh",                  // bzip2
    b"\xfd7zXZ\x00",         // xz
    b"\x28\xb5\x2f\xfd",     // zstd
    b"7z\xbc\xaf\x27\x1c",   // 7-Zip
    b"wOFF",                 // WOFF
    b"wOF2",                 // WOFF2
    b"\x00\x00\x00\x0cjP  ", // JPEG 2000
];

/// An entry at least this long is probed: deflating its first [`PROBE_BYTES`] decides.
const PROBE_FROM: usize = 1 << 20;
const PROBE_BYTES: usize = 256 << 10;

/// Whether `data` is known not to shrink under deflate without compressing all of it: an
/// already-compressed format by its signature (PNG, JPEG, GIF, WebP, ZIP, gzip, …), or a large
/// entry whose first 256 KiB do not shrink. Depends on the bytes only, so the archive stays
/// reproducible.
pub fn should_store(data: &[u8]) -> io::Result<bool> {
    if COMPRESSED_SIGNATURES.iter().any(|sig| data.starts_with(sig)) {
        return Ok(true);
    }
    // RIFF containers: WebP images and AVI video are compressed; WAV is not.
    if data.len() >= 12 && data.starts_with(b"RIFF") && (&data[8..12] == b"WEBP" || &data[8..12] == b"AVI ") {
        return Ok(true);
    }
    // ISO media (MP4, MOV, HEIC, AVIF): `ftyp` at offset 4.
    if data.len() >= 8 && &data[4..8] == b"ftyp" {
        return Ok(true);
    }
    if data.len() >= PROBE_FROM {
        let probe = &data[..PROBE_BYTES];
        let (_, compressed) = deflated_zip("probe", probe, zip_time(DEFAULT_EPOCH)?)?;
        return Ok(compressed >= probe.len() as u64);
    }
    Ok(false)
}

/// Compress one entry (independent of every other entry, so entries compress in parallel).
/// Deflate at level 6; stored instead when deflate would not make it smaller (see
/// [`should_store`]).
pub fn prepare(entry: &Entry, epoch: i64) -> io::Result<Prepared> {
    let time = zip_time(epoch)?;
    let body = if should_store(&entry.data)? {
        Body::Stored
    } else {
        let (zip, compressed) = deflated_zip(&entry.path, &entry.data, time)?;
        if compressed >= entry.data.len() as u64 {
            Body::Stored
        } else {
            Body::Deflated(zip)
        }
    };
    Ok(Prepared {
        path: entry.path.clone(),
        body,
    })
}

/// Compress all entries on every core. Work is handed out one entry at a time, so one large
/// resource does not hold up the others; results keep the input order.
pub fn prepare_all(entries: &[Entry], epoch: i64) -> io::Result<Vec<Prepared>> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(entries.len().max(1));
    if workers <= 1 {
        return entries.iter().map(|e| prepare(e, epoch)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<io::Result<Prepared>>> = Vec::new();
    slots.resize_with(entries.len(), || None);
    let results: Vec<Vec<(usize, io::Result<Prepared>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(entry) = entries.get(i) else { break };
                        done.push((i, prepare(entry, epoch)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    for (i, r) in results.into_iter().flatten() {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(r);
        }
    }
    slots
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Err(io::Error::other("an entry was not compressed"))))
        .collect()
}

/// Write a complete zip of `entries` (sorted here by path) to `w`, all stamped with `epoch`.
pub fn write_zip<W: Write + Seek>(w: W, entries: &[Entry], epoch: i64) -> io::Result<()> {
    let prepared = prepare_all(entries, epoch)?;
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| entries[a].path.cmp(&entries[b].path));
    let time = zip_time(epoch)?;
    let mut zip = ZipWriter::new(StopAfterError {
        inner: w,
        failed: false,
    });
    for i in order {
        let (entry, prepared) = (&entries[i], &prepared[i]);
        match &prepared.body {
            Body::Deflated(one) => {
                let mut one = ZipArchive::new(io::Cursor::new(one)).map_err(zip_err)?;
                let file = one.by_index_raw(0).map_err(zip_err)?;
                zip.raw_copy_file(file).map_err(zip_err)?;
            }
            Body::Stored => {
                zip.start_file(
                    entry.path.as_str(),
                    options(entry.data.len(), time, CompressionMethod::Stored),
                )
                .map_err(zip_err)?;
                zip.write_all(&entry.data)?;
            }
        }
    }
    let mut w = zip.finish().map_err(zip_err)?;
    w.flush()?;
    w.inner.flush()
}

/// Passes writes through until the first error, then discards everything: after a failed write
/// the zip writer's drop would otherwise try to finish the archive again and print its own
/// error. The first error is what the caller reports; the partial file is removed anyway.
struct StopAfterError<W> {
    inner: W,
    failed: bool,
}

impl<W: Write> Write for StopAfterError<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Ok(buf.len());
        }
        self.inner.write(buf).inspect_err(|_| self.failed = true)
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        self.inner.flush().inspect_err(|_| self.failed = true)
    }
}

impl<W: Seek> Seek for StopAfterError<W> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        if self.failed {
            return Ok(0);
        }
        self.inner.seek(pos).inspect_err(|_| self.failed = true)
    }
}

/// Why an archive could not be written (exit code 2).
#[derive(Debug)]
pub enum WriteError {
    /// The output directory cannot be created or written to.
    OutputDir { dir: PathBuf, error: io::Error },
    /// Writing the archive body failed.
    Write { path: PathBuf, error: io::Error },
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::OutputDir { dir, error } => {
                write!(f, "cannot write to output directory `{}`: {error}", dir.display())
            }
            WriteError::Write { path, error } => write!(f, "cannot write `{}`: {error}", path.display()),
        }
    }
}

impl std::error::Error for WriteError {}

/// Write `entries` as `<out_dir>/<file_name>` atomically. See [`write_sts_through`].
pub fn write_sts(out_dir: &Path, file_name: &str, entries: &[Entry], epoch: i64) -> Result<PathBuf, WriteError> {
    write_sts_through(out_dir, file_name, entries, epoch, |f| f)
}

/// Write the archive through `wrap(temporary file)` (tests inject failing writers here), then
/// publish the temporary file as `<out_dir>/<file_name>`. The output directory is created when
/// missing. On any error nothing is left behind; after a kill, nothing visible (Linux) or a
/// `.stackpack-<pid>-….sts.tmp` that the next run removes.
pub fn write_sts_through<W: Write + Seek>(
    out_dir: &Path,
    file_name: &str,
    entries: &[Entry],
    epoch: i64,
    wrap: impl FnOnce(std::fs::File) -> W,
) -> Result<PathBuf, WriteError> {
    let dir_err = |error| WriteError::OutputDir {
        dir: out_dir.to_path_buf(),
        error,
    };
    std::fs::create_dir_all(out_dir).map_err(dir_err)?;
    remove_stale_temps(out_dir);
    let target = out_dir.join(file_name);
    let write_err = |error| WriteError::Write {
        path: target.clone(),
        error,
    };
    let tmp = TempOut::create(out_dir).map_err(dir_err)?;
    {
        let file = tmp.file().try_clone().map_err(write_err)?;
        let w = io::BufWriter::new(wrap(file));
        write_zip(w, entries, epoch).map_err(write_err)?;
    }
    tmp.file().sync_all().map_err(write_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Temporary files are created 0600; an archive is a normal, shareable file.
        tmp.file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(write_err)?;
    }
    tmp.publish(out_dir, &target).map_err(write_err)?;
    Ok(target)
}

/// Prefix and suffix of named temporary archives.
const TEMP_PREFIX: &str = ".stackpack-";
const TEMP_SUFFIX: &str = ".sts.tmp";

/// The archive being written.
enum TempOut {
    /// Linux `O_TMPFILE`: a file with no name until [`TempOut::publish`] links it.
    #[cfg(target_os = "linux")]
    Unnamed(std::fs::File),
    /// A named temporary file, deleted on drop unless published.
    Named(tempfile::NamedTempFile),
}

impl TempOut {
    fn create(dir: &Path) -> io::Result<TempOut> {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::OpenOptionsExt;
            let unnamed = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .mode(0o600)
                .custom_flags(libc::O_TMPFILE)
                .open(dir);
            // Unnamed files need kernel and file-system support (and `/proc` to link them):
            // fall back to a named temporary file otherwise.
            if let Ok(f) = unnamed {
                if Path::new("/proc/self/fd").is_dir() {
                    return Ok(TempOut::Unnamed(f));
                }
            }
        }
        tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
            .suffix(TEMP_SUFFIX)
            .tempfile_in(dir)
            .map(TempOut::Named)
    }

    fn file(&self) -> &std::fs::File {
        match self {
            #[cfg(target_os = "linux")]
            TempOut::Unnamed(f) => f,
            TempOut::Named(t) => t.as_file(),
        }
    }

    /// Give the complete file its name (replacing an older archive atomically).
    fn publish(self, dir: &Path, target: &Path) -> io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            TempOut::Unnamed(f) => {
                use std::os::unix::ffi::OsStrExt;
                use std::os::unix::io::AsRawFd;
                // Link the unnamed file under a fresh temporary name, then rename that over the
                // target: `linkat` cannot replace an existing archive. Only this short step can
                // leave a name behind, and the next run removes it (its process is gone).
                let proc_path =
                    std::ffi::CString::new(format!("/proc/self/fd/{}", f.as_raw_fd())).map_err(io::Error::other)?;
                for attempt in 0..100u32 {
                    let name = dir.join(format!(
                        "{TEMP_PREFIX}{}-{}{attempt}{TEMP_SUFFIX}",
                        std::process::id(),
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.subsec_nanos())
                    ));
                    let c_name = std::ffi::CString::new(name.as_os_str().as_bytes()).map_err(io::Error::other)?;
                    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
                    let rc = unsafe {
                        libc::linkat(
                            libc::AT_FDCWD,
                            proc_path.as_ptr(),
                            libc::AT_FDCWD,
                            c_name.as_ptr(),
                            libc::AT_SYMLINK_FOLLOW,
                        )
                    };
                    if rc != 0 {
                        let e = io::Error::last_os_error();
                        if e.kind() == io::ErrorKind::AlreadyExists {
                            continue;
                        }
                        return Err(e);
                    }
                    return std::fs::rename(&name, target).inspect_err(|_| {
                        let _ = std::fs::remove_file(&name);
                    });
                }
                Err(io::Error::other("no free temporary name in the output directory"))
            }
            TempOut::Named(t) => t.persist(target).map(drop).map_err(|e| e.error),
        }
    }
}

/// Remove temporary archives that killed runs left in `dir`: named `.stackpack-<pid>-….sts.tmp`
/// whose process no longer runs (Linux: no `/proc/<pid>`), or, for names without a pid (older
/// versions), untouched for an hour. Best effort: errors are ignored.
fn remove_stale_temps(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    let proc_ok = Path::new("/proc/self").is_dir();
    for e in read.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(middle) = name.strip_prefix(TEMP_PREFIX).and_then(|n| n.strip_suffix(TEMP_SUFFIX)) else {
            continue;
        };
        // Only regular files (never follow a link or remove a directory).
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let pid = middle
            .split('-')
            .next()
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|_| middle.contains('-'));
        let stale = match pid {
            Some(pid) if proc_ok => pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists(),
            _ => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(3600)),
        };
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(DEFAULT_EPOCH), "1980-01-01T00:00:00Z");
        assert_eq!(iso8601(1_618_185_600), "2021-04-12T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(MAX_EPOCH), "2107-12-31T23:59:59Z");
    }

    #[test]
    fn source_date_epoch_parsing() {
        assert_eq!(epoch_from(None), DEFAULT_EPOCH);
        assert_eq!(epoch_from(Some("1618185600")), 1_618_185_600);
        assert_eq!(epoch_from(Some("not a number")), DEFAULT_EPOCH);
        assert_eq!(epoch_from(Some("0")), DEFAULT_EPOCH); // before 1980: a zip cannot hold it
        assert_eq!(epoch_from(Some("99999999999")), DEFAULT_EPOCH);
    }

    fn entries() -> Vec<Entry> {
        vec![
            Entry {
                path: "b/z.txt".into(),
                data: b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz".to_vec(),
            },
            Entry {
                path: "a.txt".into(),
                data: b"x".to_vec(),
            },
            Entry {
                path: "é.md".into(),
                data: Vec::new(),
            },
        ]
    }

    #[test]
    fn zip_reads_back_sorted_with_fixed_metadata() {
        let mut buf = io::Cursor::new(Vec::new());
        assert!(write_zip(&mut buf, &entries(), 1_618_185_600).is_ok());
        let buf = buf.into_inner();
        let mut z = match zip::ZipArchive::new(io::Cursor::new(buf.clone())) {
            Ok(z) => z,
            Err(e) => panic!("not a zip: {e}"),
        };
        let mut in_order = Vec::new();
        for i in 0..z.len() {
            let Ok(mut f) = z.by_index(i) else { panic!("entry {i}") };
            let name = f.name().map(|n| n.to_string()).unwrap_or_default();
            in_order.push(name.clone());
            assert_eq!(f.unix_mode(), Some(0o100_644));
            assert!(f.extra_data().is_none_or(|e| e.is_empty()));
            let mut data = Vec::new();
            assert!(io::Read::read_to_end(&mut f, &mut data).is_ok());
            let expected = entries().into_iter().find(|e| e.path == name).map(|e| e.data);
            assert_eq!(Some(data), expected);
            let t = f
                .last_modified()
                .map(|t| (t.year(), t.month(), t.day(), t.hour(), t.minute()));
            assert_eq!(t, Some((2021, 4, 12, 0, 0)));
        }
        assert_eq!(in_order, vec!["a.txt", "b/z.txt", "é.md"]);
        // Same input, same bytes.
        let mut again = io::Cursor::new(Vec::new());
        assert!(write_zip(&mut again, &entries(), 1_618_185_600).is_ok());
        assert_eq!(buf, again.into_inner());
    }

    /// Incompressible bytes (xorshift64*; not `synth::Rng`: the archive stage must not depend on
    /// the generator, which depends on it).
    fn noise(n: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn compressed_formats_and_incompressible_entries_are_stored() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(std::iter::repeat_n(b'a', 4000)); // would deflate well: the signature decides
        let cases = [
            ("icon.png", png, true),
            ("big.bin", noise(2 << 20), true), // probed: the first 256 KiB do not shrink
            ("small.bin", noise(10_000), true), // deflated, not smaller: stored
            ("page.md", b"# x\n".repeat(5000), false), // shrinks: deflated
        ];
        for (path, data, stored) in cases {
            let entry = Entry {
                path: path.into(),
                data,
            };
            match prepare(&entry, DEFAULT_EPOCH) {
                Ok(p) => assert_eq!(p.stored(), stored, "{path}"),
                Err(e) => panic!("{path}: {e}"),
            }
        }
        // Stored entries read back intact, and the archive is reproducible.
        let entries: Vec<Entry> = vec![
            Entry {
                path: "b.bin".into(),
                data: noise(3 << 20),
            },
            Entry {
                path: "a.md".into(),
                data: b"hello ".repeat(1000),
            },
        ];
        let mut one = io::Cursor::new(Vec::new());
        let mut two = io::Cursor::new(Vec::new());
        assert!(write_zip(&mut one, &entries, DEFAULT_EPOCH).is_ok());
        assert!(write_zip(&mut two, &entries, DEFAULT_EPOCH).is_ok());
        assert_eq!(one.get_ref(), two.get_ref());
        let mut z = zip::ZipArchive::new(io::Cursor::new(one.into_inner())).unwrap_or_else(|e| panic!("{e}"));
        for e in &entries {
            let mut f = z.by_name(&e.path).unwrap_or_else(|err| panic!("{err}"));
            let mut data = Vec::new();
            assert!(io::Read::read_to_end(&mut f, &mut data).is_ok());
            assert_eq!(data, e.data);
        }
    }

    #[test]
    fn no_temporary_name_is_visible_while_writing_and_stale_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // A temp file of a run that was killed (pid 0 never names a user process; on Linux
        // there is no /proc/0), one of a pre-pid version touched just now (kept), and an
        // unrelated file (kept).
        let stale = dir.path().join(".stackpack-0-abc123.sts.tmp");
        let fresh_old_style = dir.path().join(".stackpack-Xy12Zq.sts.tmp");
        let other = dir.path().join("notes.txt");
        for p in [&stale, &fresh_old_style, &other] {
            assert!(std::fs::write(p, b"x").is_ok());
        }
        let mut seen = Vec::new();
        let res = write_sts_through(dir.path(), "p-1.0.0.sts", &entries(), DEFAULT_EPOCH, |f| {
            seen = std::fs::read_dir(dir.path())
                .map(|r| {
                    r.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            f
        });
        assert!(res.is_ok(), "{res:?}");
        seen.sort();
        if cfg!(target_os = "linux") {
            // While the archive is written, only files that were there before are visible.
            assert_eq!(seen, vec![".stackpack-Xy12Zq.sts.tmp", "notes.txt"], "{seen:?}");
        }
        assert!(!stale.exists());
        assert!(fresh_old_style.exists() && other.exists());
        assert!(dir.path().join("p-1.0.0.sts").is_file());
    }
}
