//! The one way a pack file is opened: inside the pack, a regular file, within the run's budget.
//!
//! Every reader of pack content (manifest, nodes, scripts, templates, icons, pages, changelog)
//! goes through [`open_in`] / [`read_in`]:
//!
//! 1. the path is resolved (`canonicalize`) and must lie inside the pack's canonical root: a
//!    symlink to `/proc/self/environ` or `../../secret` is refused **before it is opened**, so
//!    no byte of it is ever read, let alone printed;
//! 2. the resolved path is opened with `O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`: a last component
//!    swapped for a link after step 1 fails to open, a FIFO does not block the open, a terminal
//!    does not become the controlling one;
//! 3. the *opened descriptor* is checked: `fstat` must say regular file (FIFO, character or
//!    block device, socket, directory are refused with [`Refusal::NotRegular`]), and on Linux
//!    its real path (`/proc/self/fd/N`) must still be inside the root. This closes the
//!    time-of-check/time-of-use gap between the directory walk and the read: what is read is
//!    the file that was checked, whatever happens to the path meanwhile;
//! 4. the read is bounded by the file's size at `fstat` time and the run's [`Budget`]: a file
//!    that grows while read (or lies about its size) stops at the cap.
//!
//! On Linux the same guarantees come from the kernel in fewer system calls ([`beneath`]:
//! `openat2` with `RESOLVE_BENEATH` from the pack root, `fstat` of the `O_PATH` descriptor, the
//! open through that descriptor); whatever it cannot decide goes through the steps above.
//!
//! `libc` is used for the open flags and `openat2` (it is already in the dependency tree through
//! `tempfile`); the checks themselves use `std`.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Most bytes one run reads from pack files, all files together (1 GiB, like the archive
/// reader's total cap).
pub const MAX_TOTAL_BYTES: u64 = 1 << 30;
/// Most files one run reads or walks (directories included).
pub const MAX_FILES: u64 = 200_000;
/// Deepest directory nesting walked.
pub const MAX_DEPTH: usize = 64;

/// Work budget of one run, shared by every file it reads. Exceeding one part is a coded error
/// (SP014) rather than unbounded time or memory.
#[derive(Debug)]
pub struct Budget {
    bytes: AtomicU64,
    files: AtomicU64,
    max_bytes: u64,
    max_files: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(MAX_TOTAL_BYTES, MAX_FILES)
    }
}

impl Budget {
    pub fn new(max_bytes: u64, max_files: u64) -> Budget {
        Budget {
            bytes: AtomicU64::new(0),
            files: AtomicU64::new(0),
            max_bytes,
            max_files,
        }
    }

    /// Count one more file; `Err` when the run has seen too many.
    pub fn take_file(&self) -> Result<(), Refusal> {
        let n = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.max_files {
            return Err(Refusal::Budget(format!(
                "the pack has more than {} files and directories; this run reads at most that many",
                self.max_files
            )));
        }
        Ok(())
    }

    /// Reserve `n` bytes of reading; `Err` when the run would exceed its total.
    pub fn take_bytes(&self, n: u64) -> Result<(), Refusal> {
        let before = self.bytes.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.max_bytes {
            return Err(Refusal::Budget(format!(
                "the pack files add up to more than {} MiB; this run reads at most that much",
                self.max_bytes >> 20
            )));
        }
        Ok(())
    }

    /// Bytes read so far.
    pub fn bytes_used(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// Why a pack file was not read. None of the variants carries a byte of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The path (or a link on the way) leads outside the pack.
    Escapes,
    /// Not a regular file: what it is instead ("a FIFO", "a character device", …).
    NotRegular(&'static str),
    /// A run budget is exhausted.
    Budget(String),
    /// The file is missing or cannot be opened/read.
    Io(std::io::ErrorKind, String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Escapes => write!(f, "it leads outside the pack (a symlink or `..`); it was not read"),
            Refusal::NotRegular(what) => write!(f, "it is {what}, not a regular file; it was not read"),
            Refusal::Budget(m) => f.write_str(m),
            Refusal::Io(_, m) => f.write_str(m),
        }
    }
}

impl From<Refusal> for std::io::Error {
    fn from(r: Refusal) -> std::io::Error {
        let kind = match &r {
            Refusal::Escapes => std::io::ErrorKind::PermissionDenied,
            Refusal::NotRegular(_) => std::io::ErrorKind::InvalidInput,
            Refusal::Budget(_) => std::io::ErrorKind::OutOfMemory,
            Refusal::Io(k, _) => *k,
        };
        std::io::Error::new(kind, r.to_string())
    }
}

/// What a file-type is, in words.
pub fn describe(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_symlink() {
        "a symlink"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// An opened pack file, proven regular and inside the pack.
#[derive(Debug)]
pub struct Opened {
    pub file: File,
    /// Size at open time.
    pub size: u64,
    /// Device and inode of the opened file.
    pub id: (u64, u64),
}

fn io_refusal(e: std::io::Error, _what: &str) -> Refusal {
    // ELOOP: the last component became a symlink between the check and the open.
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Refusal::Escapes;
    }
    Refusal::Io(e.kind(), e.to_string())
}

/// Open `path` for reading, refusing anything outside `canonical_root` and anything that is not
/// a regular file (see the module documentation for the exact steps).
pub fn open_in(canonical_root: &Path, path: &Path) -> Result<Opened, Refusal> {
    #[cfg(target_os = "linux")]
    if let Some(opened) = beneath::open(canonical_root, path) {
        return opened;
    }
    open_in_portable(canonical_root, path)
}

/// [`open_in`] step by step in user space: `canonicalize`, then open and check the descriptor.
fn open_in_portable(canonical_root: &Path, path: &Path) -> Result<Opened, Refusal> {
    let real = path.canonicalize().map_err(|e| io_refusal(e, "open it"))?;
    if !real.starts_with(canonical_root) {
        return Err(Refusal::Escapes);
    }
    // Refuse special files by their type before opening them: opening some devices has
    // effects of its own.
    let pre = std::fs::symlink_metadata(&real).map_err(|e| io_refusal(e, "open it"))?;
    if !pre.file_type().is_file() {
        return Err(Refusal::NotRegular(describe(pre.file_type())));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(&real)
        .map_err(|e| io_refusal(e, "open it"))?;
    let meta = file.metadata().map_err(|e| io_refusal(e, "read it"))?;
    if !meta.file_type().is_file() {
        return Err(Refusal::NotRegular(describe(meta.file_type())));
    }
    let id = (meta.dev(), meta.ino());
    if (pre.dev(), pre.ino()) != id {
        // Swapped between the check and the open.
        return Err(Refusal::Escapes);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            if !p.starts_with(canonical_root) {
                return Err(Refusal::Escapes);
            }
        }
    }
    Ok(Opened {
        file,
        size: meta.len(),
        id,
    })
}

/// The same checks in the kernel, on Linux 5.6+: `openat2(root, rel, O_PATH, RESOLVE_BENEATH |
/// RESOLVE_NO_MAGICLINKS)` resolves the path without ever leaving the pack (a `..` or a symlink
/// out fails with `EXDEV`, atomically: no check/use gap), `fstat` of that `O_PATH` descriptor
/// (which opened nothing: a device or FIFO has no effect) refuses special files, and the file is
/// then opened through the descriptor itself (`/proc/self/fd/N`, the same inode). Four system
/// calls a file (`getcwd` for a relative path, `openat2`, `fstat`, `open`) instead of `canonicalize`'s one `readlink` per path component plus `getcwd` (a
/// classic tree of 4 470 files: 22 000 `readlink`s). Returns `None` — and [`open_in`] takes the
/// portable path, which decides — whenever this one cannot decide: no `openat2` (old kernel,
/// seccomp), no `/proc`, a path not lexically below the root, or `EXDEV`/`ELOOP` (the portable
/// path refuses real escapes and allows what it allows, e.g. an absolute symlink that stays in
/// the pack, which `RESOLVE_BENEATH` refuses).
#[cfg(target_os = "linux")]
mod beneath {
    use super::{describe, io_refusal, Opened, Refusal};
    use std::ffi::CString;
    use std::fs::File;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::path::{Path, PathBuf};

    thread_local! {
        /// The last root opened on this thread (`O_PATH | O_DIRECTORY`): one pack per run.
        static ROOT: std::cell::RefCell<Option<(PathBuf, OwnedFd)>> = const { std::cell::RefCell::new(None) };
    }

    fn openat2(dir: i32, rel: &CString, flags: i32, resolve: u64) -> Result<OwnedFd, i32> {
        // SAFETY: `open_how` is plain data; zeroed is its documented default.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = flags as u64;
        how.resolve = resolve;
        // SAFETY: valid directory descriptor, NUL-terminated path, and `how` of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir,
                rel.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        // SAFETY: the kernel returned a new descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    fn with_root<T>(root: &Path, f: impl FnOnce(i32) -> Option<T>) -> Option<T> {
        ROOT.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.as_ref().is_none_or(|(p, _)| p != root) {
                let dir = File::options()
                    .read(true)
                    .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
                    .open(root)
                    .ok()?;
                *cell = Some((root.to_path_buf(), OwnedFd::from(dir)));
            }
            let fd = cell.as_ref()?.1.as_raw_fd();
            f(fd)
        })
    }

    pub fn open(canonical_root: &Path, path: &Path) -> Option<Result<Opened, Refusal>> {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(path)
        };
        let rel = abs.strip_prefix(canonical_root).ok()?;
        if rel.as_os_str().is_empty() {
            return None;
        }
        let c_rel = CString::new(rel.as_os_str().as_encoded_bytes()).ok()?;
        with_root(canonical_root, |dir| {
            let resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
            // Any failure (missing, EXDEV for a way out, ENOSYS, …): the portable path decides
            // and words the error.
            let handle = File::from(openat2(dir, &c_rel, libc::O_PATH | libc::O_CLOEXEC, resolve).ok()?);
            let pre = match handle.metadata() {
                Ok(m) => m,
                Err(_) => return None,
            };
            if !pre.file_type().is_file() {
                return Some(Err(Refusal::NotRegular(describe(pre.file_type()))));
            }
            let file = match File::options()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
                .open(format!("/proc/self/fd/{}", handle.as_raw_fd()))
            {
                Ok(f) => f,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return None, // no /proc
                Err(e) => return Some(Err(io_refusal(e, "open it"))),
            };
            // Reopening the `O_PATH` descriptor through its magic link opens that very inode:
            // its `fstat` is the one above.
            Some(Ok(Opened {
                file,
                size: pre.len(),
                id: (pre.dev(), pre.ino()),
            }))
        })
    }
}

/// Read the whole of `path` (see [`open_in`]), charging `budget`. At most the size the file had
/// when opened is read, so a growing file cannot make the read endless.
pub fn read_in(canonical_root: &Path, path: &Path, budget: &Budget) -> Result<Vec<u8>, Refusal> {
    let o = open_in(canonical_root, path)?;
    budget.take_bytes(o.size)?;
    let cap = usize::try_from(o.size).map_err(|_| Refusal::Budget("the file is too large".into()))?;
    let mut out = Vec::with_capacity(cap.min(64 << 20));
    o.file
        .take(o.size)
        .read_to_end(&mut out)
        .map_err(|e| io_refusal(e, "read it"))?;
    Ok(out)
}

/// Open a file named on the command line (an archive, a templates directory's file): it must be
/// a regular file; nothing about containment. A FIFO or device is refused without blocking.
pub fn open_regular(path: &Path) -> Result<File, Refusal> {
    let pre = std::fs::metadata(path).map_err(|e| io_refusal(e, "open it"))?;
    if !pre.file_type().is_file() {
        return Err(Refusal::NotRegular(describe(pre.file_type())));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| io_refusal(e, "open it"))?;
    let meta = file.metadata().map_err(|e| io_refusal(e, "read it"))?;
    if !meta.file_type().is_file() {
        return Err(Refusal::NotRegular(describe(meta.file_type())));
    }
    Ok(file)
}

/// [`open_regular`], then the whole text (bounded by the size at open time).
pub fn read_regular_to_string(path: &Path) -> Result<String, Refusal> {
    let f = open_regular(path)?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut s = String::new();
    f.take(size)
        .read_to_string(&mut s)
        .map_err(|e| io_refusal(e, "read it"))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_links_out_fifos_and_devices() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("ok.txt"), "fine").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("/proc/self/environ", root.join("env")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("/dev/zero", root.join("zero")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("ok.txt", root.join("inside")).unwrap_or_else(|e| panic!("{e}"));
        let fifo = std::ffi::CString::new(root.join("fifo").as_os_str().as_encoded_bytes()).unwrap_or_default();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let b = Budget::default();
        assert_eq!(
            read_in(&root, &root.join("ok.txt"), &b).ok().as_deref(),
            Some(&b"fine"[..])
        );
        assert_eq!(
            read_in(&root, &root.join("inside"), &b).ok().as_deref(),
            Some(&b"fine"[..])
        );
        assert_eq!(read_in(&root, &root.join("env"), &b).err(), Some(Refusal::Escapes));
        assert_eq!(read_in(&root, &root.join("zero"), &b).err(), Some(Refusal::Escapes));
        assert!(matches!(
            read_in(&root, &root.join("fifo"), &b),
            Err(Refusal::NotRegular(_))
        ));
        assert!(matches!(read_in(&root, &root, &b), Err(Refusal::NotRegular(_))));
        assert!(matches!(open_regular(&root.join("fifo")), Err(Refusal::NotRegular(_))));
        assert!(matches!(
            open_regular(Path::new("/dev/zero")),
            Err(Refusal::NotRegular(_))
        ));
    }

    /// The kernel path (`openat2`) decides the ordinary cases itself and leaves every way out
    /// of the pack to the portable path, which refuses it; an absolute symlink that stays in
    /// the pack (refused by `RESOLVE_BENEATH`) is still read, as before.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_path_agrees_with_the_portable_one() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let base = tmp.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        let root = base.join("pack");
        std::fs::create_dir_all(root.join("sub")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("sub/a.txt"), "inside").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(base.join("secret"), "outside").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(base.join("secret"), root.join("abs-out")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(root.join("sub/a.txt"), root.join("abs-in")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&base, root.join("dir-out")).unwrap_or_else(|e| panic!("{e}"));
        let fifo = std::ffi::CString::new(root.join("fifo").as_os_str().as_encoded_bytes()).unwrap_or_default();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        // Decided in the kernel path.
        assert!(matches!(beneath::open(&root, &root.join("sub/a.txt")), Some(Ok(_))));
        assert!(matches!(
            beneath::open(&root, &root.join("fifo")),
            Some(Err(Refusal::NotRegular(_)))
        ));
        // Left to the portable path, which refuses the escapes.
        for out in ["abs-out", "dir-out/secret", "sub/../../secret"] {
            assert!(beneath::open(&root, &root.join(out)).is_none(), "{out}");
        }
        let b = Budget::default();
        for out in ["abs-out", "dir-out/secret", "sub/../../secret"] {
            assert_eq!(
                read_in(&root, &root.join(out), &b).err(),
                Some(Refusal::Escapes),
                "{out}"
            );
        }
        assert_eq!(
            read_in(&root, &root.join("abs-in"), &b).ok().as_deref(),
            Some(&b"inside"[..])
        );
        assert_eq!(
            read_in(&root, &root.join("sub/a.txt"), &b).ok().as_deref(),
            Some(&b"inside"[..])
        );
    }

    #[test]
    fn the_budget_is_shared_by_the_run() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("a"), [0u8; 600]).unwrap_or_else(|e| panic!("{e}"));
        let b = Budget::new(1000, 10);
        assert!(read_in(&root, &root.join("a"), &b).is_ok());
        assert!(matches!(read_in(&root, &root.join("a"), &b), Err(Refusal::Budget(_))));
    }
}
