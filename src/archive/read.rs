//! Safe reading of `.sts` (zip) archives, for `inspect`, `lint`, `import` and `diff`.
//!
//! An archive comes from someone else, so nothing in it is trusted:
//! - entry names are checked before anything else: `..` segments, absolute paths, backslashes
//!   and drive letters refuse the whole archive (SP801). Nothing is ever written to disk here;
//!   entries are returned as bytes in memory.
//! - sizes declared in zip headers are ignored. Every entry is decompressed through
//!   `take(cap + 1)` into a counting sink first, so a decompression bomb is detected after at
//!   most `cap + 1` bytes of work and with a fixed 64 KiB buffer of memory (SP802/SP803). Only
//!   when every entry and the total fit their caps are the bytes read into memory.
//! - symbolic-link entries are skipped with a warning (SP804); directory entries are skipped.

use super::rules;
use crate::diag::{Diagnostic, Diagnostics};
use std::collections::BTreeSet;
use std::io::{Read, Seek};
use std::path::Path;

/// Caps that bound the work and memory spent on one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest uncompressed size of one entry, in bytes.
    pub max_entry_size: u64,
    /// Largest uncompressed size of all entries together, in bytes.
    pub max_total_size: u64,
    /// Most entries (directories and symlinks included).
    pub max_entries: usize,
}

pub const MIB: u64 = 1024 * 1024;
/// Most an archive may expand, as total uncompressed bytes per archive byte, once it holds more
/// than [`RATIO_FLOOR`]. Real packs (PNG, JSON, Groovy) stay far below 20:1; a few hundred KB
/// that inflate to a GiB are a decompression bomb even under the size caps.
pub const MAX_RATIO: u64 = 200;
pub const RATIO_FLOOR: u64 = 64 * MIB;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_size: 256 * MIB,
            max_total_size: 1024 * MIB,
            max_entries: 65_536,
        }
    }
}

impl Limits {
    /// The defaults, overridden by `STACKPACK_MAX_ENTRY_SIZE` / `STACKPACK_MAX_TOTAL_SIZE`
    /// (bytes, or with a `K`/`M`/`G` suffix) when they are set and valid.
    pub fn from_env() -> Limits {
        let mut l = Limits::default();
        if let Some(v) = std::env::var("STACKPACK_MAX_ENTRY_SIZE")
            .ok()
            .and_then(|s| parse_size(&s))
        {
            l.max_entry_size = v;
        }
        if let Some(v) = std::env::var("STACKPACK_MAX_TOTAL_SIZE")
            .ok()
            .and_then(|s| parse_size(&s))
        {
            l.max_total_size = v;
        }
        l
    }
}

/// `1024`, `64K`, `256M`, `1G` → bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1024),
        (i, 'm' | 'M') => (&s[..i], MIB),
        (i, 'g' | 'G') => (&s[..i], 1024 * MIB),
        _ => (s, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

/// One regular file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised `/`-separated relative path (no `./`, no leading `/`).
    pub path: String,
    /// Uncompressed size, as measured while reading (not the header's claim).
    pub size: u64,
    pub bytes: Vec<u8>,
}

/// How an archive is named in diagnostics about one of its entries: `<archive>:<entry>`.
pub fn entry_display(archive: &str, entry: &str) -> String {
    format!("{archive}:{entry}")
}

/// Why an entry name is refused.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("the entry name is empty");
    }
    if name.contains('\\') {
        return Some("it contains a backslash (`\\`), which some tools treat as a directory separator");
    }
    if name.contains('\0') {
        return Some("it contains a NUL character");
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        return Some("it starts with a drive letter");
    }
    if name.starts_with('/') {
        return Some("it is an absolute path");
    }
    if name.split('/').any(|seg| seg == "..") {
        return Some("it contains a `..` segment that leads outside the archive root");
    }
    None
}

/// Names are shown escaped, so control characters in a hostile name cannot garble the terminal.
fn shown(name: &str) -> String {
    name.escape_debug().to_string()
}

/// Read every regular file of the archive at `path`.
///
/// `Err` is an I/O failure opening the file (exit code 2). Problems with the archive's content
/// are diagnostics; `Ok(None)` means the archive was refused (at least one error was pushed),
/// `Ok(Some(entries))` the entries sorted by path.
pub fn read_archive(path: &Path, limits: &Limits, diags: &mut Diagnostics) -> std::io::Result<Option<Vec<Entry>>> {
    // A FIFO or device given as the archive is refused without blocking.
    let file = crate::load::safe::open_regular(path).map_err(std::io::Error::from)?;
    let display = path.to_string_lossy().to_string();
    Ok(read_from(std::io::BufReader::new(file), &display, limits, diags))
}

/// [`read_archive`] over any seekable reader; `display` names the archive in diagnostics.
pub fn read_from<R: Read + Seek>(
    mut reader: R,
    display: &str,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Vec<Entry>> {
    let stored_names = central_names(&mut reader, limits.max_entries);
    let archive_len = reader.seek(std::io::SeekFrom::End(0)).unwrap_or(0);
    let _ = reader.seek(std::io::SeekFrom::Start(0));
    if stored_names.as_ref().is_some_and(|n| n.len() > limits.max_entries) {
        diags.push(
            Diagnostic::at_path(
                &rules::ARCHIVE_TOO_LARGE,
                display,
                format!("`{display}` has more than the {} entries allowed", limits.max_entries),
            )
            .help("a StackPack holds tens of files; check that this is the right archive"),
        );
        return None;
    }
    let mut zip = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        Err(e) => {
            diags.push(
                Diagnostic::at_path(
                    &rules::ARCHIVE_UNREADABLE,
                    display,
                    format!("`{display}` is not a readable zip archive: {e}"),
                )
                .help("a `.sts` is a plain zip file; rebuild it with `stackpack build` or `zip -r`"),
            );
            return None;
        }
    };
    if zip.len() > limits.max_entries {
        diags.push(
            Diagnostic::at_path(
                &rules::ARCHIVE_TOO_LARGE,
                display,
                format!(
                    "`{display}` has {} entries, more than the {} allowed",
                    zip.len(),
                    limits.max_entries
                ),
            )
            .help("a StackPack holds tens of files; check that this is the right archive"),
        );
        return None;
    }

    // The zip reader keeps one entry per name: duplicates are found in the central directory
    // itself (zip64 included), before any entry is read.
    if let Some(names) = &stored_names {
        let mut seen = BTreeSet::new();
        let mut dups = BTreeSet::new();
        for raw in names {
            let name = String::from_utf8_lossy(raw);
            if name.ends_with('/') {
                continue; // a directory
            }
            let norm = normalized(&name);
            if !norm.is_empty() && !seen.insert(norm.clone()) {
                dups.insert(norm);
            }
        }
        if !dups.is_empty() {
            for norm in &dups {
                diags.push(
                    Diagnostic::at_path(
                        &rules::ARCHIVE_DUPLICATE_ENTRY,
                        entry_display(display, &shown(norm)),
                        format!(
                            "archive entry `{}` is stored more than once in the central directory; which copy a reader takes is undefined",
                            shown(norm)
                        ),
                    )
                    .help("rebuild the archive so that every path is stored once"),
                );
            }
            return None;
        }
    }

    // Pass 1: names, kinds and real sizes, without keeping any content.
    let mut keep: Vec<(usize, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut total: u64 = 0;
    let mut refused = false;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                diags.push(Diagnostic::at_path(
                    &rules::ARCHIVE_UNREADABLE,
                    display,
                    format!("entry #{i} of `{display}` cannot be read: {e}"),
                ));
                refused = true;
                continue;
            }
        };
        let name = String::from_utf8_lossy(f.name_raw()).to_string();
        if let Some(why) = unsafe_name(&name) {
            diags.push(
                Diagnostic::at_path(
                    &rules::ARCHIVE_UNSAFE_NAME,
                    entry_display(display, &shown(&name)),
                    format!("archive entry `{}` is refused: {why}", shown(&name)),
                )
                .label("unsafe entry name")
                .help("this archive was not made by a StackPack build; do not extract it, rebuild it from sources")
                .note("nothing from this archive was written to disk"),
            );
            refused = true;
            continue;
        }
        if f.is_symlink() {
            diags.push(
                Diagnostic::at_path(
                    &rules::ARCHIVE_SYMLINK,
                    entry_display(display, &shown(&name)),
                    format!("archive entry `{}` is a symbolic link; it is ignored", shown(&name)),
                )
                .help("store the file itself in the archive instead of a link"),
            );
            continue;
        }
        if f.is_dir() {
            continue;
        }
        let norm = name
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect::<Vec<_>>()
            .join("/");
        if norm.is_empty() {
            continue;
        }
        if !seen.insert(norm.clone()) {
            diags.push(
                Diagnostic::at_path(
                    &rules::ARCHIVE_DUPLICATE_ENTRY,
                    entry_display(display, &shown(&norm)),
                    format!("archive entry `{}` occurs more than once", shown(&norm)),
                )
                .help("rebuild the archive so that every path is stored once"),
            );
            refused = true;
            continue;
        }
        // Never trust the header: measure by decompressing at most cap + 1 bytes.
        let cap = limits.max_entry_size;
        // Work is bounded by the total cap too: never measure past what is left of it.
        let left = limits.max_total_size.saturating_sub(total);
        let mut limited = (&mut f).take(cap.min(left).saturating_add(1));
        let mut size: u64 = 0;
        let measured = loop {
            match limited.read(&mut buf) {
                Ok(0) => break Ok(size),
                Ok(n) => size += n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
        };
        match measured {
            Err(e) => {
                diags.push(Diagnostic::at_path(
                    &rules::ARCHIVE_UNREADABLE,
                    entry_display(display, &shown(&norm)),
                    format!("archive entry `{}` cannot be decompressed: {e}", shown(&norm)),
                ));
                refused = true;
            }
            Ok(size) if size > cap && cap <= left => {
                diags.push(
                    Diagnostic::at_path(
                        &rules::ARCHIVE_ENTRY_TOO_LARGE,
                        entry_display(display, &shown(&norm)),
                        format!(
                            "archive entry `{}` decompresses to more than {} (the per-entry cap); reading stopped there",
                            shown(&norm),
                            human_size(cap)
                        ),
                    )
                    .label("possible decompression bomb")
                    .help("raise the cap with STACKPACK_MAX_ENTRY_SIZE (e.g. `512M`) if the file is genuine"),
                );
                refused = true;
            }
            Ok(size) => {
                total = total.saturating_add(size);
                if total > limits.max_total_size {
                    diags.push(
                        Diagnostic::at_path(
                            &rules::ARCHIVE_TOO_LARGE,
                            display,
                            format!(
                                "the entries of `{display}` decompress to more than {} in total (the cap); reading stopped at `{}`",
                                human_size(limits.max_total_size),
                                shown(&norm)
                            ),
                        )
                        .help("raise the cap with STACKPACK_MAX_TOTAL_SIZE (e.g. `2G`) if the archive is genuine"),
                    );
                    return None;
                }
                if total > RATIO_FLOOR && total / archive_len.max(1) > MAX_RATIO {
                    diags.push(
                        Diagnostic::at_path(
                            &rules::ARCHIVE_RATIO,
                            display,
                            format!(
                                "`{display}` ({}) decompresses to more than {} times its size; reading stopped at `{}`",
                                human_size(archive_len),
                                MAX_RATIO,
                                shown(&norm)
                            ),
                        )
                        .label("possible decompression bomb")
                        .help("real packs hold images and JSON, which compress far less; rebuild the archive from sources"),
                    );
                    return None;
                }
                keep.push((i, norm));
            }
        }
    }
    if refused {
        return None;
    }

    // Pass 2: the content of entries whose real size is now known to fit. The total is counted
    // again: what pass 2 reads is what is held in memory.
    let mut entries = Vec::with_capacity(keep.len());
    let mut total2: u64 = 0;
    for (i, norm) in keep {
        let read = zip.by_index(i).map_err(std::io::Error::other).and_then(|f| {
            let mut bytes = Vec::new();
            f.take(limits.max_entry_size.saturating_add(1))
                .read_to_end(&mut bytes)?;
            Ok(bytes)
        });
        match read {
            Ok(bytes)
                if bytes.len() as u64 <= limits.max_entry_size && {
                    total2 = total2.saturating_add(bytes.len() as u64);
                    total2 <= limits.max_total_size
                } =>
            {
                entries.push(Entry {
                    path: norm,
                    size: bytes.len() as u64,
                    bytes,
                })
            }
            Ok(_) => {
                // The entry grew between the passes (a reader that is not a plain file), or the
                // total no longer fits.
                diags.push(Diagnostic::at_path(
                    &rules::ARCHIVE_ENTRY_TOO_LARGE,
                    entry_display(display, &shown(&norm)),
                    format!("archive entry `{}` changed size while it was read", shown(&norm)),
                ));
                return None;
            }
            Err(e) => {
                diags.push(Diagnostic::at_path(
                    &rules::ARCHIVE_UNREADABLE,
                    entry_display(display, &shown(&norm)),
                    format!("archive entry `{}` cannot be decompressed: {e}", shown(&norm)),
                ));
                return None;
            }
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Some(entries)
}

/// The names stored in the central directory itself, in order, duplicates included (the zip
/// reader keeps one entry per name, so duplicates are only visible here). Follows the zip64
/// end record when the classic one says "see zip64" (0xFFFF entries / 0xFFFFFFFF offsets).
/// `None` when the directory cannot be located or is malformed (the zip reader then reports
/// the archive as unreadable); at most `max + 1` names are read. Leaves the reader at the start.
fn central_names<R: Read + Seek>(r: &mut R, max: usize) -> Option<Vec<Vec<u8>>> {
    let out = central_names_inner(r, max);
    r.seek(std::io::SeekFrom::Start(0)).ok()?;
    out
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 2).map(|x| u64::from(u16::from_le_bytes([x[0], x[1]])))
}
fn le32(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 4)
        .map(|x| u64::from(u32::from_le_bytes([x[0], x[1], x[2], x[3]])))
}
fn le64(b: &[u8], at: usize) -> Option<u64> {
    let x = b.get(at..at + 8)?;
    Some(u64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]))
}

fn central_names_inner<R: Read + Seek>(r: &mut R, max: usize) -> Option<Vec<Vec<u8>>> {
    let len = r.seek(std::io::SeekFrom::End(0)).ok()?;
    let tail_len = len.min(65_535 + 22 + 20);
    let tail_start = len - tail_len;
    r.seek(std::io::SeekFrom::Start(tail_start)).ok()?;
    let mut tail = vec![0u8; usize::try_from(tail_len).ok()?];
    r.read_exact(&mut tail).ok()?;
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let mut count = le16(&tail, at + 10)?;
    let mut cd_size = le32(&tail, at + 12)?;
    let mut cd_offset = le32(&tail, at + 16)?;
    let eocd_pos = tail_start + at as u64;
    let mut cd_end = eocd_pos;
    if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        // Zip64: the locator is the 20 bytes before the end record.
        let loc = at.checked_sub(20)?;
        if tail.get(loc..loc + 4)? != b"PK\x06\x07" {
            return None;
        }
        let z64 = le64(&tail, loc + 8)?;
        if z64 >= len {
            return None;
        }
        r.seek(std::io::SeekFrom::Start(z64)).ok()?;
        let mut rec = [0u8; 56];
        r.read_exact(&mut rec).ok()?;
        if &rec[0..4] != b"PK\x06\x06" {
            return None;
        }
        count = le64(&rec, 32)?;
        cd_size = le64(&rec, 40)?;
        cd_offset = le64(&rec, 48)?;
        cd_end = z64;
    }
    if count > max as u64 + 1 || cd_size > len {
        // Too many to list: the entry-count cap reports it; a lying size: malformed.
        return (count > max as u64 + 1).then(|| vec![Vec::new(); max + 1]);
    }
    // A prefix before the archive (self-extractors) shifts every offset: the directory ends
    // where the end records begin.
    let start = if cd_offset + cd_size == cd_end {
        cd_offset
    } else {
        cd_end.checked_sub(cd_size)?
    };
    r.seek(std::io::SeekFrom::Start(start)).ok()?;
    let mut cd = vec![0u8; usize::try_from(cd_size).ok()?];
    r.read_exact(&mut cd).ok()?;
    let mut names = Vec::new();
    let mut p = 0usize;
    for _ in 0..count {
        if cd.get(p..p + 4)? != b"PK\x01\x02" {
            return None;
        }
        let n = usize::try_from(le16(&cd, p + 28)?).ok()?;
        let e = usize::try_from(le16(&cd, p + 30)?).ok()?;
        let c = usize::try_from(le16(&cd, p + 32)?).ok()?;
        names.push(cd.get(p + 46..p + 46 + n)?.to_vec());
        p = p.checked_add(46 + n + e + c)?;
    }
    Some(names)
}

/// A name as the reader files it: `/`-joined non-empty segments other than `.`.
fn normalized(name: &str) -> String {
    name.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// `268435456` → `256 MiB`.
pub fn human_size(n: u64) -> String {
    if n >= MIB * 1024 && n.is_multiple_of(MIB * 1024) {
        format!("{} GiB", n / (MIB * 1024))
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    fn zip_with(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            if w.start_file(*name, opts).is_err() || w.write_all(data).is_err() {
                return Vec::new();
            }
        }
        w.finish().map(|c| c.into_inner()).unwrap_or_default()
    }

    fn read(bytes: Vec<u8>, limits: Limits) -> (Option<Vec<Entry>>, Vec<&'static str>) {
        let mut d = Diagnostics::new();
        let r = read_from(Cursor::new(bytes), "t.sts", &limits, &mut d);
        (r, d.iter().map(|d| d.code).collect())
    }

    #[test]
    fn reads_regular_entries_sorted() {
        let z = zip_with(&[("stackpack.conf", b"name = x"), ("./resources/a.md", b"# A")]);
        let (r, codes) = read(z, Limits::default());
        assert!(codes.is_empty(), "{codes:?}");
        let r = r.unwrap_or_default();
        let paths: Vec<_> = r.iter().map(|e| (e.path.as_str(), e.size)).collect();
        assert_eq!(paths, vec![("resources/a.md", 3), ("stackpack.conf", 8)]);
    }

    #[test]
    fn unsafe_names_refuse_the_archive() {
        for name in ["../evil", "/etc/passwd", "a\\..\\b", "C:/x", "a/../../b"] {
            let z = zip_with(&[("ok.txt", b"x"), (name, b"boom")]);
            let (r, codes) = read(z, Limits::default());
            assert!(r.is_none(), "{name} accepted");
            assert_eq!(codes, vec!["SP801"], "{name}");
        }
    }

    #[test]
    fn caps_are_enforced_on_real_sizes() {
        let big = vec![0u8; 10_000];
        let limits = Limits {
            max_entry_size: 4096,
            max_total_size: 1 << 20,
            max_entries: 10,
        };
        let (r, codes) = read(zip_with(&[("a", &big)]), limits);
        assert!(r.is_none());
        assert_eq!(codes, vec!["SP802"]);
        let limits = Limits {
            max_entry_size: 8000,
            max_total_size: 10_000,
            max_entries: 10,
        };
        let (r, codes) = read(zip_with(&[("a", &big[..6000]), ("b", &big[..6000])]), limits);
        assert!(r.is_none());
        assert_eq!(codes, vec!["SP803"]);
        let limits = Limits {
            max_entries: 1,
            ..Limits::default()
        };
        let (_, codes) = read(zip_with(&[("a", b"1"), ("b", b"2")]), limits);
        assert_eq!(codes, vec!["SP803"]);
    }

    #[test]
    fn garbage_is_not_a_zip() {
        let (r, codes) = read(b"not a zip at all".to_vec(), Limits::default());
        assert!(r.is_none());
        assert_eq!(codes, vec!["SP800"]);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("256M"), Some(256 * MIB));
        assert_eq!(parse_size("1G"), Some(1024 * MIB));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("x"), None);
        assert_eq!(human_size(256 * MIB), "256 MiB");
    }
}
