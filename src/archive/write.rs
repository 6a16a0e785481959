//! The deterministic `.sts` writer.
//!
//! Same entries → same bytes, on any machine: entries sorted by path, one fixed timestamp
//! (`SOURCE_DATE_EPOCH` when set and valid, else 1980-01-01 00:00:00), regular-file permissions
//! `0644`, no directory entries, no extra fields, raw deflate at level 6 (an entry is stored
//! instead when deflate would not make it smaller).
//!
//! Every entry is compressed on its own ([`prepare`]: a one-entry zip in memory, built with the
//! `zip` crate), on all cores ([`prepare_all`]); the archive is then assembled in path order by
//! copying those entries raw ([`write_prepared`]), so the bytes do not depend on thread timing.
//! [`write_sts`] writes to a temporary file in the output directory and renames it into place;
//! on any error the temporary file is removed and nothing is left behind.

use crate::compile::Entry;
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

/// One entry, compressed on its own: a one-entry zip in memory, copied into the archive as is.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub path: String,
    zip: Vec<u8>,
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn one_entry_zip(entry: &Entry, time: zip::DateTime, method: CompressionMethod) -> io::Result<Vec<u8>> {
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(if method == CompressionMethod::Stored {
            None
        } else {
            Some(6)
        })
        .last_modified_time(time)
        .unix_permissions(0o644)
        .large_file(entry.data.len() as u64 >= u64::from(u32::MAX));
    let mut w = ZipWriter::new(io::Cursor::new(Vec::with_capacity(entry.data.len() / 2 + 256)));
    w.start_file(entry.path.as_str(), options).map_err(zip_err)?;
    w.write_all(&entry.data)?;
    Ok(w.finish().map_err(zip_err)?.into_inner())
}

/// Compress one entry (independent of every other entry, so entries compress in parallel).
/// Deflate at level 6; stored instead when deflate would not make it smaller.
pub fn prepare(entry: &Entry, epoch: i64) -> io::Result<Prepared> {
    let time = zip_time(epoch)?;
    let deflated = one_entry_zip(entry, time, CompressionMethod::Deflated)?;
    let compressed = ZipArchive::new(io::Cursor::new(&deflated))
        .and_then(|mut z| z.by_index_raw(0).map(|f| f.compressed_size()))
        .map_err(zip_err)?;
    let zip = if compressed >= entry.data.len() as u64 {
        one_entry_zip(entry, time, CompressionMethod::Stored)?
    } else {
        deflated
    };
    Ok(Prepared {
        path: entry.path.clone(),
        zip,
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
    let mut prepared = prepare_all(entries, epoch)?;
    prepared.sort_by(|a, b| a.path.cmp(&b.path));
    write_prepared(w, &prepared)
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

/// Assemble already-compressed entries (in the given order) into a zip.
pub fn write_prepared<W: Write + Seek>(w: W, entries: &[Prepared]) -> io::Result<()> {
    let mut zip = ZipWriter::new(StopAfterError {
        inner: w,
        failed: false,
    });
    for e in entries {
        let mut one = ZipArchive::new(io::Cursor::new(&e.zip)).map_err(zip_err)?;
        let file = one.by_index_raw(0).map_err(zip_err)?;
        zip.raw_copy_file(file).map_err(zip_err)?;
    }
    let mut w = zip.finish().map_err(zip_err)?;
    w.flush()?;
    w.inner.flush()
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
/// rename the temporary file to `<out_dir>/<file_name>`. The output directory is created when
/// missing. On any error the temporary file is removed and no `.sts` is left behind.
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
    let target = out_dir.join(file_name);
    let tmp = tempfile::Builder::new()
        .prefix(".stackpack-")
        .suffix(".sts.tmp")
        .tempfile_in(out_dir)
        .map_err(dir_err)?;
    let write_err = |error| WriteError::Write {
        path: target.clone(),
        error,
    };
    let file = tmp.as_file().try_clone().map_err(write_err)?;
    {
        let w = io::BufWriter::new(wrap(file));
        write_zip(w, entries, epoch).map_err(write_err)?;
    }
    tmp.as_file().sync_all().map_err(write_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // tempfile creates 0600; an archive is a normal, shareable file.
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(write_err)?;
    }
    tmp.persist(&target).map_err(|e| write_err(e.error))?;
    Ok(target)
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
}
