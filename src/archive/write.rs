//! The deterministic `.sts` writer.
//!
//! Same entries → same bytes, on any machine: entries sorted by path, one fixed timestamp
//! (`SOURCE_DATE_EPOCH` when set and valid, else 1980-01-01 00:00:00), regular-file permissions
//! `0644`, no directory entries, no extra fields, raw deflate at level 6 (an entry is stored
//! instead when deflate would not make it smaller).
//!
//! The zip is assembled by hand from independently compressed entries ([`prepare`]), so entries
//! can later be compressed in parallel, and the body is streamed through any [`Write`] (no
//! seeking, no data descriptors: sizes and CRCs are known before each header is written).
//! [`write_sts`] writes to a temporary file in the output directory and renames it into place;
//! on any error the temporary file is removed and nothing is left behind.

use crate::compile::Entry;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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

/// Unix time → MS-DOS (time, date), clamped to the zip range.
fn dos_time(secs: i64) -> (u16, u16) {
    let (y, mo, d, h, mi, s) = civil(secs.clamp(DEFAULT_EPOCH, MAX_EPOCH));
    let date = (((y - 1980) as u16) << 9) | ((mo as u16) << 5) | d as u16;
    let time = ((h as u16) << 11) | ((mi as u16) << 5) | (s as u16 / 2);
    (time, date)
}

/// An entry ready to be written: compressed, with its CRC.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub path: String,
    /// 8 = deflate, 0 = stored.
    pub method: u16,
    pub crc: u32,
    pub size: u64,
    pub data: Vec<u8>,
}

/// Compress one entry (independent of every other entry).
pub fn prepare(entry: &Entry) -> io::Result<Prepared> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(&entry.data)?;
    let compressed = enc.finish()?;
    let crc = crc32fast::hash(&entry.data);
    let (method, data) = if compressed.len() < entry.data.len() {
        (8, compressed)
    } else {
        (0, entry.data.clone())
    };
    Ok(Prepared {
        path: entry.path.clone(),
        method,
        crc,
        size: entry.data.len() as u64,
        data,
    })
}

fn too_large(what: impl Into<String>) -> io::Error {
    io::Error::other(what.into())
}

fn u32_of(v: u64, what: &str) -> io::Result<u32> {
    u32::try_from(v)
        .ok()
        .filter(|v| *v != u32::MAX)
        .ok_or_else(|| too_large(format!("{what} exceeds 4 GiB, which needs zip64 (not supported)")))
}

/// Write a complete zip of `entries` (sorted here by path) to `w`, all stamped with `epoch`.
pub fn write_zip(w: &mut dyn Write, entries: &[Entry], epoch: i64) -> io::Result<()> {
    let mut prepared = entries.iter().map(prepare).collect::<io::Result<Vec<_>>>()?;
    prepared.sort_by(|a, b| a.path.cmp(&b.path));
    write_prepared(w, &prepared, epoch)
}

/// Assemble already-compressed entries (in the given order) into a zip.
pub fn write_prepared(w: &mut dyn Write, entries: &[Prepared], epoch: i64) -> io::Result<()> {
    if entries.len() >= usize::from(u16::MAX) {
        return Err(too_large("more than 65534 entries need zip64 (not supported)"));
    }
    let (time, date) = dos_time(epoch);
    let mut offset: u64 = 0;
    let mut central = Vec::new();
    for e in entries {
        let name = e.path.as_bytes();
        let name_len =
            u16::try_from(name.len()).map_err(|_| too_large(format!("entry name `{}` is too long", e.path)))?;
        let flags: u16 = if e.path.is_ascii() { 0 } else { 0x0800 }; // bit 11: UTF-8 name
        let csize = u32_of(e.data.len() as u64, &e.path)?;
        let usize_ = u32_of(e.size, &e.path)?;
        let local_offset = u32_of(offset, "the archive")?;

        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&e.method.to_le_bytes());
        h.extend_from_slice(&time.to_le_bytes());
        h.extend_from_slice(&date.to_le_bytes());
        h.extend_from_slice(&e.crc.to_le_bytes());
        h.extend_from_slice(&csize.to_le_bytes());
        h.extend_from_slice(&usize_.to_le_bytes());
        h.extend_from_slice(&name_len.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // no extra field
        h.extend_from_slice(name);
        w.write_all(&h)?;
        w.write_all(&e.data)?;
        offset += h.len() as u64 + e.data.len() as u64;

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by: Unix, 2.0
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&flags.to_le_bytes());
        central.extend_from_slice(&e.method.to_le_bytes());
        central.extend_from_slice(&time.to_le_bytes());
        central.extend_from_slice(&date.to_le_bytes());
        central.extend_from_slice(&e.crc.to_le_bytes());
        central.extend_from_slice(&csize.to_le_bytes());
        central.extend_from_slice(&usize_.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes()); // regular file, rw-r--r--
        central.extend_from_slice(&local_offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let cd_offset = u32_of(offset, "the archive")?;
    let cd_size = u32_of(central.len() as u64, "the central directory")?;
    let count = entries.len() as u16;
    w.write_all(&central)?;
    let mut end = Vec::with_capacity(22);
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&cd_size.to_le_bytes());
    end.extend_from_slice(&cd_offset.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes()); // comment length
    w.write_all(&end)?;
    w.flush()
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
pub fn write_sts_through<W: Write>(
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
        let mut w = io::BufWriter::new(wrap(file));
        write_zip(&mut w, entries, epoch).map_err(write_err)?;
        w.flush().map_err(write_err)?;
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
        assert_eq!(dos_time(DEFAULT_EPOCH), (0, (1 << 5) | 1));
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
        let mut buf = Vec::new();
        assert!(write_zip(&mut buf, &entries(), 1_618_185_600).is_ok());
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
        let mut again = Vec::new();
        assert!(write_zip(&mut again, &entries(), 1_618_185_600).is_ok());
        assert_eq!(buf, again);
    }
}
