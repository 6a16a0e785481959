//! The deterministic `.sts` writer.
//!
//! Same entries → same bytes, on any machine: entries sorted by path, one fixed timestamp
//! (`SOURCE_DATE_EPOCH` when set and valid, else 1980-01-01 00:00:00), regular-file permissions
//! `0644`, no directory entries, no extra fields (but zip64 ones where sizes need them), raw
//! deflate at level 6 — or stored, when deflate would not make an entry smaller. The decision
//! depends on the entry's bytes only ([`should_store`]): already-compressed formats (PNG,
//! JPEG, GIF, WebP, ZIP, gzip, …) are recognised by their signature and never deflated, a large
//! entry whose first 64 KiB do not shrink is stored, and anything else is deflated and stored
//! when that did not help.
//!
//! The zip records are written here (the format is small; see APPNOTE 4.3, 4.4, 4.5.3).
//! Deflate is pigz-style: every entry is cut into pieces of [`PIECE`] bytes; each piece is
//! deflated on its own with the 32 KiB of input before it as its dictionary and ends with a
//! sync flush (the last with the final block), so the pieces concatenate into one ordinary
//! deflate stream and the CRC-32s of the pieces combine into the entry's. Pieces of all
//! entries are compressed on every core, one reused compressor per core (one deflate state
//! per entry cost page faults and memory), in batches of at most 16 MiB of input written in
//! path order before the next batch starts: the bytes depend on the entries only, never on
//! thread timing, and memory stays at the entries plus one batch of compressed pieces. An
//! entry backed by a file ([`super::Data::File`]: the compiler makes every large resource
//! one) is never held whole: its signature, probe and pieces are read from the file as they
//! are needed, and a stored one is copied in 1 MiB pieces (its CRC checked against the one
//! computed while planning, so a file changed meanwhile fails the build instead of giving a
//! corrupt archive). A deflated one holds only its deflated pieces until its header is written.
//!
//! [`write_sts`] writes to an unnamed temporary file in the output directory (Linux
//! `O_TMPFILE`: a killed run leaves nothing visible) and publishes it under its name only once
//! complete. Where unnamed files are not available, the temporary file is named
//! `.stackpack-<pid>-….sts.tmp`, removed on any error, and removed by the next run when its
//! process is gone.

use super::Entry;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// The zip timestamp of every entry: (DOS time, DOS date).
fn dos_time(epoch: i64) -> (u16, u16) {
    let (y, mo, d, h, mi, s) = civil(epoch.clamp(DEFAULT_EPOCH, MAX_EPOCH));
    let time = (h << 11) | (mi << 5) | (s / 2);
    let date = (((y - 1980) as u32) << 9) | (mo << 5) | d;
    (time as u16, date as u16)
}

/// Deflate works on pieces of this many bytes of an entry: each piece is compressed on its own
/// (with the 32 KiB before it as its dictionary) so that pieces of one large entry compress on
/// all cores, pigz-style. Fixed, so the archive depends on the bytes only.
pub const PIECE: usize = 128 << 10;
/// The deflate window: what a piece may refer back to.
const DICTIONARY: usize = 32 << 10;
/// At most this many input bytes are compressed ahead of the writing, so memory stays bounded
/// by it (plus the entries) whatever the size of the pack.
const BATCH_BYTES: usize = 16 << 20;
/// Deflate level of every entry (what `zip -6` uses).
const LEVEL: u32 = 6;

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
const PROBE_BYTES: usize = 64 << 10;

/// Whether `data` is known not to shrink under deflate without compressing all of it, by its
/// signature (PNG, JPEG, GIF, WebP, ZIP, gzip, …). Depends on the bytes only.
fn compressed_format(data: &[u8]) -> bool {
    if COMPRESSED_SIGNATURES.iter().any(|sig| data.starts_with(sig)) {
        return true;
    }
    // RIFF containers: WebP images and AVI video are compressed; WAV is not.
    if data.len() >= 12 && data.starts_with(b"RIFF") && (&data[8..12] == b"WEBP" || &data[8..12] == b"AVI ") {
        return true;
    }
    // ISO media (MP4, MOV, HEIC, AVIF): `ftyp` at offset 4.
    data.len() >= 8 && &data[4..8] == b"ftyp"
}

/// Whether `data` is known not to shrink under deflate without compressing all of it: an
/// already-compressed format by its signature, or a large entry whose first 64 KiB do not
/// shrink. Depends on the bytes only, so the archive stays reproducible.
pub fn should_store(data: &[u8]) -> io::Result<bool> {
    let mut c = new_compressor();
    should_store_with(&mut c, data)
}

fn should_store_with(c: &mut Compress, data: &[u8]) -> io::Result<bool> {
    should_store_head(c, data, data.len() as u64)
}

/// [`should_store_with`] from the first bytes of an entry of `len` bytes (at least
/// [`PROBE_BYTES`] of them when `len` reaches [`PROBE_FROM`]).
fn should_store_head(c: &mut Compress, data: &[u8], len: u64) -> io::Result<bool> {
    if compressed_format(data) {
        return Ok(true);
    }
    if len >= PROBE_FROM as u64 {
        let probe = &data[..PROBE_BYTES.min(data.len())];
        let mut out = Vec::new();
        deflate_piece(c, &[], probe, true, &mut out)?;
        return Ok(out.len() >= probe.len());
    }
    Ok(false)
}

fn new_compressor() -> Compress {
    Compress::new(Compression::new(LEVEL), false)
}

/// Raw deflate of `data` into `out` (cleared first), continuing a stream whose last 32 KiB of
/// input were `dictionary`: the output ends byte-aligned with a sync flush (an empty stored
/// block), or with the final block when `last`, so that pieces concatenate into one valid
/// deflate stream. The compressor is reset first: the bytes depend on the arguments only.
fn deflate_piece(c: &mut Compress, dictionary: &[u8], data: &[u8], last: bool, out: &mut Vec<u8>) -> io::Result<()> {
    c.reset();
    if !dictionary.is_empty() {
        c.set_dictionary(dictionary).map_err(io::Error::other)?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    out.clear();
    out.reserve(data.len() / 2 + 64);
    let mut consumed = 0usize;
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let before = c.total_in();
        let status = c
            .compress_vec(&data[consumed..], out, flush)
            .map_err(io::Error::other)?;
        consumed += (c.total_in() - before) as usize;
        let room_left = out.len() < out.capacity();
        match status {
            Status::StreamEnd => return Ok(()),
            _ if !last && consumed == data.len() && room_left => return Ok(()),
            Status::Ok | Status::BufError => {}
        }
    }
}

/// How one entry goes into the archive.
struct Plan {
    /// Deflate was not tried (known compressed format, or a large entry that did not shrink).
    store: bool,
    /// The entry's pieces: CRC-32 of each, and its deflated bytes unless `store`.
    pieces: Vec<(crc32fast::Hasher, Vec<u8>)>,
}

/// One piece of work: the probe of entry `entry`, or its piece `piece`.
#[derive(Clone, Copy)]
enum Job {
    Probe { entry: usize },
    Piece { entry: usize, piece: usize, deflate: bool },
}

enum Done {
    Probe(bool),
    Piece(crc32fast::Hasher, Vec<u8>),
}

fn pieces(len: u64) -> usize {
    usize::try_from(len.div_ceil(PIECE as u64)).unwrap_or(usize::MAX).max(1)
}

/// Longest signature [`compressed_format`] looks at.
const SIGNATURE_BYTES: u64 = 16;

fn run_job(c: &mut Compress, entries: &[&Entry], job: Job) -> io::Result<Done> {
    match job {
        Job::Probe { entry } => {
            let data = &entries[entry].data;
            let head = data.range(0, PROBE_BYTES as u64)?;
            should_store_head(c, &head, data.len()).map(Done::Probe)
        }
        Job::Piece { entry, piece, deflate } => {
            let data = &entries[entry].data;
            let start = piece as u64 * PIECE as u64;
            let end = (start + PIECE as u64).min(data.len());
            // The piece and, when it is deflated, the 32 KiB before it (its dictionary): read
            // together, from the file if the entry is one.
            let from = if deflate {
                start.saturating_sub(DICTIONARY as u64)
            } else {
                start
            };
            let chunk = data.range(from, end)?;
            let (dictionary, bytes) = chunk.split_at((start - from) as usize);
            let mut crc = crc32fast::Hasher::new();
            crc.update(bytes);
            let mut out = Vec::new();
            if deflate {
                deflate_piece(c, dictionary, bytes, end == data.len(), &mut out)?;
                out.shrink_to_fit();
            }
            Ok(Done::Piece(crc, out))
        }
    }
}

/// Run `jobs` on every core, one compressor per worker (reset between jobs, not reallocated);
/// results in job order, whatever the thread timing.
fn run_jobs(entries: &[&Entry], jobs: &[Job]) -> io::Result<Vec<Done>> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(jobs.len().max(1));
    let light = jobs.iter().all(|j| matches!(j, Job::Piece { deflate: false, .. }));
    if workers <= 1 || jobs.len() == 1 || light {
        let mut c = new_compressor();
        return jobs.iter().map(|&j| run_job(&mut c, entries, j)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Vec<Vec<(usize, io::Result<Done>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut c = new_compressor();
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&job) = jobs.get(i) else { break };
                        done.push((i, run_job(&mut c, entries, job)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut slots: Vec<Option<io::Result<Done>>> = Vec::new();
    slots.resize_with(jobs.len(), || None);
    for (i, r) in results.into_iter().flatten() {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(r);
        }
    }
    slots
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Err(io::Error::other("an archive entry was not compressed"))))
        .collect()
}

/// Decide and compress a batch of entries: probes first (they decide whether an entry is
/// deflated), then every piece of every entry.
fn plan_batch(batch: &[&Entry]) -> io::Result<Vec<Plan>> {
    let mut store = vec![false; batch.len()];
    let mut probes = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        if e.data.is_empty() || compressed_format(&e.data.range(0, SIGNATURE_BYTES)?) {
            store[i] = true;
        } else if e.data.len() >= PROBE_FROM as u64 {
            probes.push(Job::Probe { entry: i });
        }
    }
    for (job, done) in probes.iter().zip(run_jobs(batch, &probes)?) {
        if let (Job::Probe { entry }, Done::Probe(s)) = (job, done) {
            store[*entry] = s;
        }
    }
    let mut jobs = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        for piece in 0..pieces(e.data.len()) {
            jobs.push(Job::Piece {
                entry: i,
                piece,
                deflate: !store[i],
            });
        }
    }
    let mut plans: Vec<Plan> = store
        .iter()
        .map(|&store| Plan {
            store,
            pieces: Vec::new(),
        })
        .collect();
    for (job, done) in jobs.iter().zip(run_jobs(batch, &jobs)?) {
        if let (Job::Piece { entry, .. }, Done::Piece(crc, bytes)) = (job, done) {
            plans[*entry].pieces.push((crc, bytes));
        }
    }
    Ok(plans)
}

/// Central-directory record of one written entry.
struct Written {
    name: Vec<u8>,
    crc: u32,
    method: u16,
    compressed: u64,
    size: u64,
    offset: u64,
}

const U32_MAX: u64 = 0xffff_ffff;

/// Counts what goes through, for the offsets of the central directory.
struct Counting<W> {
    inner: W,
    at: u64,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.at += bytes.len() as u64;
        Ok(())
    }
}

fn flags(name: &[u8]) -> u16 {
    // Bit 11: the name is UTF-8 (only said when it is not plain ASCII, as Info-ZIP does).
    if name.is_ascii() {
        0
    } else {
        1 << 11
    }
}

fn version_needed(method: u16, zip64: bool) -> u16 {
    if zip64 {
        45
    } else if method == 8 {
        20
    } else {
        10
    }
}

/// Write a complete zip of `entries` (sorted here by path) to `w`, all stamped with `epoch`:
/// the same entries give the same bytes, however many cores compress them.
pub fn write_zip<W: Write>(w: W, entries: &[Entry], epoch: i64) -> io::Result<()> {
    let mut order: Vec<&Entry> = entries.iter().collect();
    order.sort_by(|a, b| a.path.cmp(&b.path));
    let (time, date) = dos_time(epoch);
    let mut out = Counting { inner: w, at: 0 };
    let mut written: Vec<Written> = Vec::with_capacity(order.len());
    let mut start = 0;
    while start < order.len() {
        // A batch: entries up to BATCH_BYTES of input (at least one entry).
        let mut end = start;
        let mut bytes = 0u64;
        while end < order.len() && (end == start || bytes + order[end].data.len() <= BATCH_BYTES as u64) {
            bytes += order[end].data.len();
            end += 1;
        }
        let batch = &order[start..end];
        let plans = plan_batch(batch)?;
        for (entry, plan) in batch.iter().zip(plans) {
            let mut crc = crc32fast::Hasher::new();
            for (c, _) in &plan.pieces {
                crc.combine(c);
            }
            let size = entry.data.len();
            let compressed: u64 = plan.pieces.iter().map(|(_, b)| b.len() as u64).sum();
            // Deflated, unless that did not make it smaller.
            let deflated = !plan.store && compressed < size;
            let (method, csize) = if deflated { (8u16, compressed) } else { (0u16, size) };
            let name = entry.path.as_bytes();
            let name_len = u16::try_from(name.len())
                .map_err(|_| io::Error::other(format!("archive path too long: {}", entry.path)))?;
            let zip64 = size >= U32_MAX || csize >= U32_MAX;
            let mut h = Vec::with_capacity(30 + name.len() + 20);
            h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            h.extend_from_slice(&version_needed(method, zip64).to_le_bytes());
            h.extend_from_slice(&flags(name).to_le_bytes());
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&time.to_le_bytes());
            h.extend_from_slice(&date.to_le_bytes());
            let crc = crc.finalize();
            h.extend_from_slice(&crc.to_le_bytes());
            if zip64 {
                h.extend_from_slice(&u32::MAX.to_le_bytes());
                h.extend_from_slice(&u32::MAX.to_le_bytes());
            } else {
                h.extend_from_slice(&(csize as u32).to_le_bytes());
                h.extend_from_slice(&(size as u32).to_le_bytes());
            }
            h.extend_from_slice(&name_len.to_le_bytes());
            h.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
            h.extend_from_slice(name);
            if zip64 {
                h.extend_from_slice(&1u16.to_le_bytes());
                h.extend_from_slice(&16u16.to_le_bytes());
                h.extend_from_slice(&size.to_le_bytes());
                h.extend_from_slice(&csize.to_le_bytes());
            }
            let offset = out.at;
            out.put(&h)?;
            if deflated {
                for (_, b) in &plan.pieces {
                    out.put(b)?;
                }
            } else {
                match &entry.data {
                    super::Data::Bytes(b) => out.put(b)?,
                    super::Data::File(f) => {
                        let copied = entry.data.copy_to(&mut |b| out.put(b))?;
                        if copied != crc {
                            return Err(io::Error::other(format!(
                                "`{}` changed while the archive was being written; build again",
                                f.display
                            )));
                        }
                    }
                }
            }
            written.push(Written {
                name: name.to_vec(),
                crc,
                method,
                compressed: csize,
                size,
                offset,
            });
        }
        start = end;
    }
    let cd_start = out.at;
    for e in &written {
        let mut extra = Vec::new();
        for v in [e.size, e.compressed, e.offset] {
            if v >= U32_MAX {
                extra.extend_from_slice(&v.to_le_bytes());
            }
        }
        let zip64 = !extra.is_empty();
        let field = |v: u64| if v >= U32_MAX { u32::MAX } else { v as u32 };
        let mut h = Vec::with_capacity(46 + e.name.len() + 4 + extra.len());
        h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        // Made by: Unix (3), spec 4.5 when zip64 records are used, else 2.0.
        h.extend_from_slice(&((3u16 << 8) | version_needed(8, zip64)).to_le_bytes());
        h.extend_from_slice(&version_needed(e.method, zip64).to_le_bytes());
        h.extend_from_slice(&flags(&e.name).to_le_bytes());
        h.extend_from_slice(&e.method.to_le_bytes());
        h.extend_from_slice(&time.to_le_bytes());
        h.extend_from_slice(&date.to_le_bytes());
        h.extend_from_slice(&e.crc.to_le_bytes());
        h.extend_from_slice(&field(e.compressed).to_le_bytes());
        h.extend_from_slice(&field(e.size).to_le_bytes());
        h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        let extra_len = if zip64 { 4 + extra.len() as u16 } else { 0 };
        h.extend_from_slice(&extra_len.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // comment
        h.extend_from_slice(&0u16.to_le_bytes()); // disk
        h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        h.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes()); // regular file, rw-r--r--
        h.extend_from_slice(&field(e.offset).to_le_bytes());
        h.extend_from_slice(&e.name);
        if zip64 {
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            h.extend_from_slice(&extra);
        }
        out.put(&h)?;
    }
    let cd_end = out.at;
    let cd_size = cd_end - cd_start;
    let count = written.len() as u64;
    let zip64_end = count >= 0xffff || cd_size >= U32_MAX || cd_start >= U32_MAX;
    if zip64_end {
        let mut r = Vec::with_capacity(56 + 20);
        r.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        r.extend_from_slice(&44u64.to_le_bytes());
        r.extend_from_slice(&((3u16 << 8) | 45).to_le_bytes());
        r.extend_from_slice(&45u16.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&count.to_le_bytes());
        r.extend_from_slice(&count.to_le_bytes());
        r.extend_from_slice(&cd_size.to_le_bytes());
        r.extend_from_slice(&cd_start.to_le_bytes());
        // Locator.
        r.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&cd_end.to_le_bytes());
        r.extend_from_slice(&1u32.to_le_bytes());
        out.put(&r)?;
    }
    let mut r = Vec::with_capacity(22);
    r.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    r.extend_from_slice(&0u16.to_le_bytes());
    r.extend_from_slice(&0u16.to_le_bytes());
    let n16 = if zip64_end { 0xffff } else { count as u16 };
    r.extend_from_slice(&n16.to_le_bytes());
    r.extend_from_slice(&n16.to_le_bytes());
    r.extend_from_slice(&(if zip64_end { u32::MAX } else { cd_size as u32 }).to_le_bytes());
    r.extend_from_slice(&(if zip64_end { u32::MAX } else { cd_start as u32 }).to_le_bytes());
    r.extend_from_slice(&0u16.to_le_bytes());
    out.put(&r)?;
    out.inner.flush()
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
pub fn write_sts_through<W: Write>(
    out_dir: &Path,
    file_name: &str,
    entries: &[Entry],
    epoch: i64,
    wrap: impl FnOnce(std::fs::File) -> W,
) -> Result<PathBuf, WriteError> {
    let written = write_sts_gated(out_dir, file_name, entries, epoch, wrap, || true)?;
    written.ok_or_else(|| WriteError::Write {
        path: out_dir.join(file_name),
        error: io::Error::other("the archive was not published"),
    })
}

/// Write `entries` as `<out_dir>/<file_name>` like [`write_sts`], but publish it only if
/// `publish()` — called once the archive is complete in its temporary file — says so; else the
/// temporary file is dropped (nothing visible was ever written; an output directory this call
/// created is removed again) and the result is `Ok(None)`. `build` compiles and writes while
/// the checks run, and publishes only when they allow it.
pub fn write_sts_if(
    out_dir: &Path,
    file_name: &str,
    entries: &[Entry],
    epoch: i64,
    publish: impl FnOnce() -> bool,
) -> Result<Option<PathBuf>, WriteError> {
    write_sts_gated(out_dir, file_name, entries, epoch, |f| f, publish)
}

fn write_sts_gated<W: Write>(
    out_dir: &Path,
    file_name: &str,
    entries: &[Entry],
    epoch: i64,
    wrap: impl FnOnce(std::fs::File) -> W,
    publish: impl FnOnce() -> bool,
) -> Result<Option<PathBuf>, WriteError> {
    let dir_err = |error| WriteError::OutputDir {
        dir: out_dir.to_path_buf(),
        error,
    };
    let created = !out_dir.exists();
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
    if !publish() {
        drop(tmp);
        if created {
            let _ = std::fs::remove_dir(out_dir);
        }
        return Ok(None);
    }
    tmp.publish(out_dir, &target).map_err(write_err)?;
    Ok(Some(target))
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
                data: b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz".to_vec().into(),
            },
            Entry {
                path: "a.txt".into(),
                data: b"x".to_vec().into(),
            },
            Entry {
                path: "é.md".into(),
                data: Vec::<u8>::new().into(),
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
            assert_eq!(Some(data), expected.map(|d| d.to_vec().unwrap_or_default()));
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

    /// Method of each entry of an archive, by name.
    fn methods(zip: &[u8]) -> Vec<(String, zip::CompressionMethod)> {
        let mut z = zip::ZipArchive::new(io::Cursor::new(zip)).unwrap_or_else(|e| panic!("{e}"));
        (0..z.len())
            .map(|i| {
                let f = z.by_index_raw(i).unwrap_or_else(|e| panic!("{e}"));
                (f.name().map(|n| n.to_string()).unwrap_or_default(), f.compression())
            })
            .collect()
    }

    fn zip_of(entries: &[Entry]) -> Vec<u8> {
        let mut buf = Vec::new();
        assert!(write_zip(&mut buf, entries, DEFAULT_EPOCH).is_ok());
        buf
    }

    fn read_back(zip: &[u8], entries: &[Entry]) {
        let mut z = zip::ZipArchive::new(io::Cursor::new(zip)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(z.len(), entries.len());
        for e in entries {
            let mut f = z.by_name(&e.path).unwrap_or_else(|err| panic!("{}: {err}", e.path));
            let mut data = Vec::new();
            assert!(io::Read::read_to_end(&mut f, &mut data).is_ok(), "{}", e.path);
            assert!(
                e.data.bytes() == Some(&data[..]),
                "{} differs after reading back",
                e.path
            );
        }
    }

    #[test]
    fn compressed_formats_and_incompressible_entries_are_stored() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(std::iter::repeat_n(b'a', 4000)); // would deflate well: the signature decides
        let entries = vec![
            Entry {
                path: "icon.png".into(),
                data: png.into(),
            },
            // Probed: the first 64 KiB do not shrink.
            Entry {
                path: "big.bin".into(),
                data: noise(2 << 20).into(),
            },
            // Deflated, not smaller: stored.
            Entry {
                path: "small.bin".into(),
                data: noise(10_000).into(),
            },
            Entry {
                path: "page.md".into(),
                data: b"# x\n".repeat(5000).into(),
            },
            Entry {
                path: "empty".into(),
                data: Vec::<u8>::new().into(),
            },
        ];
        assert!(should_store(entries[1].data.bytes().unwrap_or_default()).unwrap_or(false));
        let zip = zip_of(&entries);
        let stored = zip::CompressionMethod::Stored;
        let want = [
            ("big.bin", stored),
            ("empty", stored),
            ("icon.png", stored),
            ("page.md", zip::CompressionMethod::Deflated),
            ("small.bin", stored),
        ];
        let got = methods(&zip);
        assert_eq!(got, want.map(|(n, m)| (n.to_string(), m)).to_vec());
        read_back(&zip, &entries);
        assert_eq!(zip, zip_of(&entries), "same entries, same bytes");
    }

    /// Entries read from files piece by piece give the same bytes as the same entries in
    /// memory: a deflated text of many pieces, a PNG (stored by its signature), random bytes
    /// (stored by the probe), a small text; and a file that changes length after the entry was
    /// made fails the write instead of giving a wrong archive.
    #[test]
    fn file_backed_entries_write_the_same_archive() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(noise(3 << 20));
        let contents: Vec<(&str, Vec<u8>)> = vec![
            ("resources/long.md", crate::synth::prose(7 * PIECE + 999, 5)),
            ("resources/icon.png", png),
            ("resources/blob.bin", noise(2 << 20)),
            ("resources/small.md", b"# small\n".to_vec()),
        ];
        let file_backed = |path: &std::path::Path, len: u64| {
            let p = path.to_path_buf();
            crate::archive::Data::File(crate::archive::FileData {
                display: path.display().to_string(),
                id: (0, 0),
                len,
                open: std::sync::Arc::new(move || std::fs::File::open(&p)),
            })
        };
        let mut in_memory = Vec::new();
        let mut from_files = Vec::new();
        for (name, bytes) in &contents {
            let path = dir.path().join(name.replace('/', "_"));
            std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
            in_memory.push(Entry::new(*name, bytes.clone()));
            from_files.push(Entry {
                path: name.to_string(),
                data: file_backed(&path, bytes.len() as u64),
            });
        }
        let zip = zip_of(&in_memory);
        assert_eq!(zip_of(&from_files), zip, "file-backed entries change the archive");
        read_back(&zip, &in_memory);

        // The blob is stored (copied in pieces); the text is deflated (read in pieces).
        for victim in ["resources_blob.bin", "resources_long.md"] {
            let path = dir.path().join(victim);
            let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let entries = vec![Entry {
                path: "resources/x".into(),
                data: file_backed(&path, len + 1),
            }];
            let err = write_zip(Vec::new(), &entries, DEFAULT_EPOCH).expect_err("a changed file must fail");
            assert!(
                err.to_string().contains("changed while the archive was being written"),
                "{err}"
            );
        }

        // Same length, other bytes, between the CRC (planning) and the copy of a stored entry:
        // the copy's CRC differs and the write fails.
        let blob = dir.path().join("resources_blob.bin");
        let other = dir.path().join("other.bin");
        std::fs::write(&other, noise(2 << 20).iter().map(|b| b ^ 0x55).collect::<Vec<u8>>())
            .unwrap_or_else(|e| panic!("{e}"));
        // Opens while planning: the signature, the probe, one per piece; the next is the copy.
        let planning = 2 + pieces(2 << 20);
        let opened = std::sync::Arc::new(AtomicUsize::new(0));
        let (b, o, n) = (blob.clone(), other.clone(), opened.clone());
        let entries = vec![Entry {
            path: "resources/blob.bin".into(),
            data: crate::archive::Data::File(crate::archive::FileData {
                display: "blob".into(),
                id: (0, 0),
                len: 2 << 20,
                open: std::sync::Arc::new(move || {
                    let k = n.fetch_add(1, Ordering::SeqCst);
                    std::fs::File::open(if k < planning { &b } else { &o })
                }),
            }),
        }];
        let err = write_zip(Vec::new(), &entries, DEFAULT_EPOCH).expect_err("a swapped file must fail");
        assert!(err.to_string().contains("`blob` changed"), "{err}");
        assert_eq!(opened.load(Ordering::SeqCst), planning + 1, "opened once more, to copy");
    }

    #[test]
    fn large_entries_deflate_in_pieces_into_one_valid_stream() {
        // Several pieces, a last piece of odd length, an entry of exactly one piece, and one a
        // byte over: each reads back whole, through the zip crate and a plain inflate.
        let entries: Vec<Entry> = [
            ("a.md", 5 * PIECE + 12_345),
            ("b.md", PIECE),
            ("c.md", PIECE + 1),
            ("d.md", 3 * PIECE),
        ]
        .iter()
        .enumerate()
        .map(|(i, &(p, n))| Entry {
            path: p.into(),
            data: crate::synth::prose(n, i as u64 + 1).into(),
        })
        .collect();
        let zip = zip_of(&entries);
        read_back(&zip, &entries);
        assert!(methods(&zip)
            .iter()
            .all(|(_, m)| *m == zip::CompressionMethod::Deflated));
        // Pieces cost little: within 2 % of deflating the entry as one stream at level 6.
        let whole: usize = entries
            .iter()
            .map(|e| {
                let mut c = new_compressor();
                let mut out = Vec::new();
                deflate_piece(&mut c, &[], e.data.bytes().unwrap_or_default(), true, &mut out)
                    .map(|_| out.len())
                    .unwrap_or(0)
            })
            .sum();
        let mut z = zip::ZipArchive::new(io::Cursor::new(&zip)).unwrap_or_else(|e| panic!("{e}"));
        let ours: u64 = (0..z.len())
            .map(|i| z.by_index_raw(i).map(|f| f.compressed_size()).unwrap_or(0))
            .sum();
        assert!((ours as f64) < whole as f64 * 1.02, "pieces {ours} vs whole {whole}");
    }

    #[test]
    fn the_bytes_do_not_depend_on_the_order_or_the_batches() {
        // Many entries (several batches' worth of work items) given in two orders.
        let mut entries: Vec<Entry> = (0..300)
            .map(|i| Entry {
                path: format!("f/{i:03}.txt"),
                data: crate::synth::prose(1000 + i * 37, i as u64).into(),
            })
            .collect();
        entries.push(Entry {
            path: "big.md".into(),
            data: crate::synth::prose(BATCH_BYTES + PIECE * 3 + 5, 99).into(),
        });
        let one = zip_of(&entries);
        entries.reverse();
        assert_eq!(one, zip_of(&entries));
        read_back(&one, &entries);
    }

    #[test]
    fn more_than_65535_entries_use_zip64_end_records() {
        let entries: Vec<Entry> = (0..65_600)
            .map(|i| Entry {
                path: format!("{i}"),
                data: vec![b'x'; i % 3].into(),
            })
            .collect();
        let zip = zip_of(&entries);
        assert!(zip.windows(4).any(|w| w == b"PK\x06\x06"), "zip64 end record");
        let z = zip::ZipArchive::new(io::Cursor::new(&zip)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(z.len(), 65_600);
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
