//! Source files and spans.
//!
//! Every file the tool reads is registered in a [`SourceMap`]; a [`Span`] is a byte range in one
//! of those files. Line and column numbers are computed only when a diagnostic is rendered.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end.max(start as usize)).unwrap_or(u32::MAX);
        Span { file, start, end }
    }

    /// A zero-width span at the start of a file: used for findings about a whole file.
    pub fn file_start(file: FileId) -> Span {
        Span { file, start: 0, end: 0 }
    }

    /// The sub-span `[from, to)` measured in bytes from the start of this span, clamped to it.
    pub fn sub(&self, from: usize, to: usize) -> Span {
        let len = (self.end - self.start) as usize;
        let from = from.min(len);
        let to = to.clamp(from, len);
        Span::new(self.file, self.start as usize + from, self.start as usize + to)
    }
}

/// A value together with the place in the sources it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            value: f(self.value),
            span: self.span,
        }
    }
    pub fn as_ref(&self) -> Spanned<&T> {
        Spanned {
            value: &self.value,
            span: self.span,
        }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

/// Every this many characters of a non-ASCII file, [`SourceFile`] records the byte offset, so a
/// character column converts to a byte offset (and back) in a bounded number of steps, however
/// long the line (1 MB of minified JSON on one line).
const CHAR_STEP: usize = 64;

/// Characters walked to convert between byte offsets and character columns, summed over the
/// process (for the linearity guard, `tests/linear_cost.rs`).
pub static CHAR_WALK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn walked(n: usize) {
    CHAR_WALK.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

/// One file's text, its display path and its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to the user (relative to where the command was pointed at, when possible).
    pub display: String,
    /// Path on disk, when the text came from a file.
    pub path: Option<PathBuf>,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// Empty for ASCII text (byte offset = character offset). Otherwise: the byte offset of
    /// character `k * CHAR_STEP`, for every `k`.
    char_marks: Vec<u32>,
    /// Empty for ASCII text. Otherwise: the character index of every line start.
    line_char_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(display: String, path: Option<PathBuf>, text: Arc<str>) -> SourceFile {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        let mut char_marks = Vec::new();
        let mut line_char_starts = Vec::new();
        if !text.is_ascii() {
            line_char_starts.push(0);
            for (n, (i, c)) in text.char_indices().enumerate() {
                if n.is_multiple_of(CHAR_STEP) {
                    char_marks.push(u32::try_from(i).unwrap_or(u32::MAX));
                }
                if c == '\n' {
                    line_char_starts.push(u32::try_from(n + 1).unwrap_or(u32::MAX));
                }
            }
        }
        SourceFile {
            display,
            path,
            text,
            line_starts,
            char_marks,
            line_char_starts,
        }
    }

    /// Byte offset of the start of 1-based `line` (clamped to the text).
    pub fn line_start(&self, line: usize) -> usize {
        let idx = line.saturating_sub(1).min(self.line_starts.len().saturating_sub(1));
        self.line_starts.get(idx).copied().unwrap_or(0) as usize
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where 1-based `line` ends (before its `\n`, or the end of the text).
    fn line_end(&self, line: usize) -> usize {
        let idx = line.saturating_sub(1).min(self.line_starts.len().saturating_sub(1));
        match self.line_starts.get(idx + 1) {
            Some(&next) => (next as usize).saturating_sub(1),
            None => self.text.len(),
        }
    }

    /// Byte offset of the character with global index `n` (clamped to the text). Non-ASCII only.
    fn char_to_byte(&self, n: usize) -> usize {
        let k = (n / CHAR_STEP).min(self.char_marks.len().saturating_sub(1));
        let mut at = self.char_marks.get(k).copied().unwrap_or(0) as usize;
        let mut left = n - (k * CHAR_STEP).min(n);
        walked(left);
        for c in self.text[at..].chars() {
            if left == 0 {
                break;
            }
            at += c.len_utf8();
            left -= 1;
        }
        at
    }

    /// Global character index of byte `offset` (a char boundary). Non-ASCII only.
    fn byte_to_char(&self, offset: usize) -> usize {
        let k = match self.char_marks.binary_search(&(offset as u32)) {
            Ok(k) => return k * CHAR_STEP,
            Err(k) => k.saturating_sub(1),
        };
        let from = self.char_marks.get(k).copied().unwrap_or(0) as usize;
        walked(offset.saturating_sub(from));
        k * CHAR_STEP + self.text.get(from..offset).map_or(0, |s| s.chars().count())
    }

    /// Byte offset of a 1-based line and a 0-based character column (clamped to the line).
    /// Constant time for ASCII text, bounded by [`CHAR_STEP`] steps otherwise.
    pub fn offset_of(&self, line: usize, col_chars: usize) -> usize {
        let start = self.line_start(line);
        let end = self.line_end(line).max(start);
        if self.char_marks.is_empty() {
            return start.saturating_add(col_chars).min(end);
        }
        let idx = line
            .saturating_sub(1)
            .min(self.line_char_starts.len().saturating_sub(1));
        let first = self.line_char_starts.get(idx).copied().unwrap_or(0) as usize;
        self.char_to_byte(first.saturating_add(col_chars)).min(end)
    }

    /// 1-based line/column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line_idx = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line_idx).copied().unwrap_or(0) as usize;
        let mut start = start.min(offset);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = if self.char_marks.is_empty() {
            end - start + 1
        } else {
            self.byte_to_char(end) - self.byte_to_char(start) + 1
        };
        LineCol {
            line: line_idx + 1,
            col,
        }
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line);
        let end = self
            .line_starts
            .get(line)
            .map(|&e| e as usize)
            .unwrap_or(self.text.len())
            .max(start);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// All files read during one run. Cheap to share: texts are reference counted.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, display: impl Into<String>, path: Option<&Path>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(
            display.into(),
            path.map(Path::to_path_buf),
            text.into(),
        ));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        // FileIds are only created by `add`, so the index is always valid for the map that made it.
        &self.files[id.0 as usize]
    }

    pub fn text(&self, span: Span) -> &str {
        match self.get(span.file) {
            Some(f) => f.text.get(span.start as usize..span.end as usize).unwrap_or(""),
            None => "",
        }
    }

    pub fn find(&self, display: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.display == display)
            .map(|i| FileId(i as u32))
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_and_offsets_roundtrip() {
        let mut map = SourceMap::new();
        let id = map.add("a.yaml", None, "ab\nçd\n\nxyz");
        let f = map.file(id);
        assert_eq!(f.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, col: 1 });
        // 'd' is after a 2-byte character: byte 5, column 2
        assert_eq!(f.line_col(5), LineCol { line: 2, col: 2 });
        assert_eq!(f.offset_of(2, 1), 5);
        assert_eq!(f.line_text(2), "çd");
        assert_eq!(f.line_text(3), "");
        assert_eq!(f.line_text(4), "xyz");
        assert_eq!(f.line_col(100), LineCol { line: 4, col: 4 });
        assert_eq!(f.offset_of(2, 50), 6); // clamped to the end of the line
        assert_eq!(f.offset_of(4, 2), 10);
    }

    #[test]
    fn long_non_ascii_lines_agree_with_a_plain_count() {
        let text: String = (0..2000u32)
            .map(|i| if i.is_multiple_of(7) { 'é' } else { 'a' })
            .collect::<String>()
            + "\nxé€y";
        let mut map = SourceMap::new();
        let id = map.add("x.json", None, text.as_str());
        let f = map.file(id);
        for (n, (i, _)) in text.char_indices().enumerate().filter(|(n, _)| *n < 2000) {
            assert_eq!(f.offset_of(1, n), i, "column {n}");
            assert_eq!(f.line_col(i), LineCol { line: 1, col: n + 1 });
        }
        assert_eq!(f.offset_of(1, 5000), text.find('\n').unwrap_or(0));
        let second = text.find('\n').unwrap_or(0) + 1;
        assert_eq!(f.offset_of(2, 2), second + 3);
        assert_eq!(f.line_col(second + 3), LineCol { line: 2, col: 3 });
    }

    #[test]
    fn sub_span_is_clamped() {
        let s = Span::new(FileId(0), 10, 20);
        assert_eq!(s.sub(2, 5), Span::new(FileId(0), 12, 15));
        assert_eq!(s.sub(8, 50), Span::new(FileId(0), 18, 20));
    }
}
