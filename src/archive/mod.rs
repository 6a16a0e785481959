//! Stage 5, **archive**: the deterministic `.sts` zip writer, and safe archive reading.

pub mod read;
pub mod rules;
pub mod write;

use std::io;
use std::sync::Arc;

/// One file of the archive: what the compiler produces and the writer stores. Defined here so
/// that `compile` depends on `archive` and never the other way round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `/`-separated path inside the archive.
    pub path: String,
    pub data: Data,
}

impl Entry {
    /// An entry whose bytes are in memory.
    pub fn new(path: impl Into<String>, bytes: Vec<u8>) -> Entry {
        Entry {
            path: path.into(),
            data: Data::Bytes(bytes),
        }
    }
}

/// The bytes of an [`Entry`]: in memory, or a pack file the writer reads piece by piece (a large
/// resource is never held whole: the writer reads 128 KiB pieces of it, see
/// [`write::write_zip`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Bytes(Vec<u8>),
    File(FileData),
}

impl From<Vec<u8>> for Data {
    fn from(bytes: Vec<u8>) -> Data {
        Data::Bytes(bytes)
    }
}

/// Opens the file behind a [`FileData`]: whoever made the entry decides how (the compiler opens
/// pack files through the loader's safe reader, which refuses links out of the pack).
pub type Opener = Arc<dyn Fn() -> io::Result<std::fs::File> + Send + Sync>;

/// A file of `len` bytes read when the archive is written. Every read checks that the file
/// still has `len` bytes; the writer also checks that a stored entry's bytes did not change
/// between computing its CRC and copying it.
#[derive(Clone)]
pub struct FileData {
    /// The file as shown in errors.
    pub display: String,
    /// Device and inode when the entry was made: two entries of the same file compare equal.
    pub id: (u64, u64),
    pub len: u64,
    pub open: Opener,
}

impl std::fmt::Debug for FileData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileData({}, {} bytes)", self.display, self.len)
    }
}

impl PartialEq for FileData {
    fn eq(&self, other: &FileData) -> bool {
        self.id == other.id && self.len == other.len && self.display == other.display
    }
}

impl Eq for FileData {}

impl FileData {
    fn changed(&self) -> io::Error {
        io::Error::other(format!(
            "`{}` changed while the archive was being written; build again",
            self.display
        ))
    }

    /// `buf.len()` bytes from `offset`.
    fn read_exact_at(&self, file: &std::fs::File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, offset).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => self.changed(),
            _ => e,
        })
    }
}

impl Data {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Data::Bytes(b) => b.len() as u64,
            Data::File(f) => f.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, when they are in memory.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Data::Bytes(b) => Some(b),
            Data::File(_) => None,
        }
    }

    /// Bytes `start..end` (clamped to the length), read from the file if need be.
    pub fn range(&self, start: u64, end: u64) -> io::Result<std::borrow::Cow<'_, [u8]>> {
        let end = end.min(self.len());
        let start = start.min(end);
        match self {
            Data::Bytes(b) => Ok(std::borrow::Cow::Borrowed(&b[start as usize..end as usize])),
            Data::File(f) => {
                let file = (f.open)()?;
                if file.metadata()?.len() != f.len {
                    return Err(f.changed());
                }
                let mut buf = vec![0u8; (end - start) as usize];
                f.read_exact_at(&file, start, &mut buf)?;
                Ok(std::borrow::Cow::Owned(buf))
            }
        }
    }

    /// All the bytes, read from the file if need be (for `diff`, and tests).
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        Ok(self.range(0, self.len())?.into_owned())
    }

    /// Write all the bytes to `out`, in pieces of at most 1 MiB, and return their CRC-32.
    pub(crate) fn copy_to(&self, out: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<u32> {
        let mut crc = crc32fast::Hasher::new();
        match self {
            Data::Bytes(b) => {
                crc.update(b);
                out(b)?;
            }
            Data::File(f) => {
                let file = (f.open)()?;
                if file.metadata()?.len() != f.len {
                    return Err(f.changed());
                }
                let mut buf = vec![0u8; (1usize << 20).min(f.len as usize)];
                let mut at = 0u64;
                while at < f.len {
                    let n = ((f.len - at) as usize).min(buf.len());
                    f.read_exact_at(&file, at, &mut buf[..n])?;
                    crc.update(&buf[..n]);
                    out(&buf[..n])?;
                    at += n as u64;
                }
            }
        }
        Ok(crc.finalize())
    }
}
