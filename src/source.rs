//! Source files: loading them (BOM, UTF-8, UTF-16 with a BOM, size limit), naming them, and turning byte offsets
//! into lines and columns for rendering.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Label, Severity, UNREADABLE_FILE};
use crate::span::Span;

/// Files larger than this are not read (a diagnostic says so).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// The index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A file's text, shared by the file and the units cut from it: a thin pointer (a unit holds
/// one per query).
pub type SharedText = Arc<String>;

/// One file: where it is, how it is shown, and its text (empty when it could not be read).
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown in output: relative to the working directory, `/`-separated.
    pub display: String,
    /// Shared with the units cut from it.
    pub text: SharedText,
    /// The offset of each line's start (u32, as spans are: a file of many short lines), found
    /// when first asked for (after a check's peak of memory: a file that nothing is reported
    /// in is only scanned for suppression comments, once its units are analysed).
    line_starts: std::sync::OnceLock<Vec<u32>>,
    /// Where a `\r` ends a line on its own (see [`SourceFile::editor_line`]), found when first
    /// asked for.
    lone_carriage_returns: std::sync::OnceLock<Vec<u32>>,
    /// For every character of more than one byte: its byte offset and the extra bytes of it and
    /// every such character before it. Columns count characters, and this turns a byte offset
    /// into a column in O(log n) even on a line megabytes long (empty for ASCII text).
    multibyte: Vec<(u32, u32)>,
    /// How the file's bytes encode `text`, so offsets can be given in the file's own bytes.
    encoding: Encoding,
    /// In a UTF-16 file: the offset in `text` of every character outside the Basic
    /// Multilingual Plane (two UTF-16 units), in order.
    supplementary: Vec<u32>,
}

/// How a file's bytes encode its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a byte order mark (also the text of an editor's buffer).
    #[default]
    Utf8,
    /// UTF-8 after a three-byte byte order mark.
    Utf8Bom,
    /// UTF-16 little-endian after its byte order mark.
    Utf16Le,
    /// UTF-16 big-endian after its byte order mark.
    Utf16Be,
}

/// A line and column, both 1-based; the column counts characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    /// The byte offset in the file as stored (past a byte order mark; two bytes per UTF-16 unit
    /// in a UTF-16 file).
    pub offset: usize,
}

impl SourceFile {
    pub fn new(path: PathBuf, display: String, mut text: String) -> SourceFile {
        text.shrink_to_fit();
        let mut multibyte = Vec::new();
        if !text.is_ascii() {
            let mut extra = 0u32;
            for (offset, c) in text.char_indices().filter(|(_, c)| !c.is_ascii()) {
                extra += c.len_utf8() as u32 - 1;
                multibyte.push((offset as u32, extra));
            }
        }
        SourceFile {
            path,
            display,
            text: Arc::new(text),
            line_starts: std::sync::OnceLock::new(),
            lone_carriage_returns: std::sync::OnceLock::new(),
            multibyte,
            encoding: Encoding::Utf8,
            supplementary: Vec::new(),
        }
    }

    /// The offset of each line's start. Lines end at `\n` (a `\r` before it is part of the
    /// break), as git and GitHub count them: the lines uplint prints are those of a pull
    /// request's annotations and of code scanning. Editors also end a line at a lone `\r`
    /// ([`SourceFile::editor_line`]).
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i as u32 + 1)).collect()
        })
    }

    /// The offset of every `\r` not followed by `\n` (found when first asked for; most files
    /// have none).
    fn lone_carriage_returns(&self) -> &[u32] {
        self.lone_carriage_returns.get_or_init(|| {
            let bytes = self.text.as_bytes();
            self.text
                .match_indices('\r')
                .map(|(i, _)| i)
                .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
                .map(|i| i as u32)
                .collect()
        })
    }

    /// The 0-based line of byte `offset` and the offset its line starts at, as editors and the
    /// Language Server Protocol count lines: a lone `\r` ends one too.
    pub fn editor_line(&self, offset: usize) -> (usize, usize) {
        let line = self.line_index(offset);
        let start = self.line_starts()[line] as usize;
        let lone = self.lone_carriage_returns();
        let before = lone.partition_point(|&at| (at as usize) < offset);
        let start = match before.checked_sub(1).map(|k| lone[k] as usize + 1) {
            Some(after_cr) if after_cr > start => after_cr,
            _ => start,
        };
        (line + before, start)
    }

    /// The file as read from bytes in `encoding` (offsets in output count those bytes).
    pub fn with_encoding(mut self, encoding: Encoding) -> SourceFile {
        if matches!(encoding, Encoding::Utf16Le | Encoding::Utf16Be) {
            self.supplementary =
                self.text.char_indices().filter(|(_, c)| c.len_utf16() == 2).map(|(at, _)| at as u32).collect();
        }
        self.encoding = encoding;
        self
    }

    /// The offset in the file's bytes of byte `offset` of its decoded text: past a byte order
    /// mark, and in a UTF-16 file two bytes per UTF-16 unit.
    fn file_offset(&self, offset: usize) -> usize {
        match self.encoding {
            Encoding::Utf8 => offset,
            Encoding::Utf8Bom => 3 + offset,
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let characters = offset - self.extra_bytes_before(offset);
                let pairs = self.supplementary.partition_point(|&at| (at as usize) < offset);
                2 + 2 * (characters + pairs)
            }
        }
    }

    /// The extra bytes (beyond one per character) of the characters that start before `offset`.
    fn extra_bytes_before(&self, offset: usize) -> usize {
        let index = self.multibyte.partition_point(|&(at, _)| (at as usize) < offset);
        index.checked_sub(1).map_or(0, |i| self.multibyte[i].1 as usize)
    }

    /// The 0-based line that holds byte `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts().partition_point(|&start| start as usize <= offset).saturating_sub(1)
    }

    /// The byte range of 0-based line `line`, without its line break.
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let line_starts = self.line_starts();
        let start = *line_starts.get(line)? as usize;
        let end = line_starts.get(line + 1).map_or(self.text.len(), |&next| next as usize - 1);
        let end = if self.text[start..end].ends_with('\r') { end - 1 } else { end };
        Some(start..end)
    }

    /// The line and column of byte `offset` (clamped to the text, snapped to a character).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_index(offset);
        let start = self.line_starts()[line] as usize;
        let characters = (offset - start) - (self.extra_bytes_before(offset) - self.extra_bytes_before(start));
        Position { line: line + 1, column: characters + 1, offset: self.file_offset(offset) }
    }
}

/// The first line break of `text` at or after `from`: where it starts and where the next line
/// starts (`\r\n` is one break, a lone `\r` or `\n` another).
pub fn next_line_break(text: &str, from: usize) -> Option<(usize, usize)> {
    let at = from + text.get(from..)?.find(['\n', '\r'])?;
    let crlf = text.as_bytes()[at] == b'\r' && text.as_bytes().get(at + 1) == Some(&b'\n');
    Some((at, at + if crlf { 2 } else { 1 }))
}

/// Every file of a run, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Replaces the text of file `id` (an edited buffer), keeping its path and name.
    pub fn set_text(&mut self, id: FileId, text: String) {
        let file = &mut self.files[id.0 as usize];
        *file = SourceFile::new(std::mem::take(&mut file.path), std::mem::take(&mut file.display), text);
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl<'a> codespan_reporting::files::Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.get(id).display)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.get(id).text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.get(id).line_index(byte_index))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let file = self.get(id);
        match file.line_range(line_index) {
            Some(range) => Ok(range),
            // One past the last line: an empty range at the end (codespan asks for it).
            None if line_index == file.line_starts().len() => Ok(file.text.len()..file.text.len()),
            None => Err(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: file.line_starts().len() - 1,
            }),
        }
    }
}

/// How `path` is shown: relative to `cwd` when under it, with `/` separators, no leading `./`.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let relative = path.strip_prefix(cwd).unwrap_or(path);
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            std::path::Component::CurDir => {}
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    match relative.components().next() {
        Some(std::path::Component::RootDir) => format!("/{}", joined.trim_start_matches('/')),
        _ if joined.is_empty() => ".".to_string(),
        _ => joined,
    }
}

/// Reads `paths` into `sources`. A file that cannot be read, is not UTF-8 or is too large is
/// still added (with empty text) and gets an `UP902` diagnostic; the rest are read normally.
/// A UTF-8 byte order mark is dropped; a file starting with a UTF-16 one is decoded. Files are
/// read and decoded in parallel (on the current `rayon` pool) and added in the order given.
pub fn load(paths: &[PathBuf], cwd: &Path, max_size: u64, sources: &mut SourceMap) -> (Vec<FileId>, Vec<Diagnostic>) {
    use rayon::prelude::*;
    let read: Vec<(SourceFile, Option<String>)> = paths.par_iter().map(|path| read(path, cwd, max_size)).collect();
    let mut ids = Vec::with_capacity(read.len());
    let mut problems = Vec::new();
    for (file, problem) in read {
        let id = sources.add(file);
        problems.extend(problem.map(|message| unreadable(id, message)));
        ids.push(id);
    }
    (ids, problems)
}

/// One file read from disk: its [`SourceFile`] (empty text when it could not be read), and
/// why it could not be read.
pub fn read(path: &Path, cwd: &Path, max_size: u64) -> (SourceFile, Option<String>) {
    let display = display_path(path, cwd);
    let (text, encoding, problem) = match read_text(path, max_size) {
        Ok((text, encoding)) => (text, encoding, None),
        Err(problem) => (String::new(), Encoding::Utf8, Some(problem)),
    };
    (SourceFile::new(path.to_path_buf(), display, text).with_encoding(encoding), problem)
}

/// The `UP902` diagnostic of file `id`, which could not be read for `message`.
pub fn unreadable(id: FileId, message: String) -> Diagnostic {
    Diagnostic::new(
        UNREADABLE_FILE,
        Severity::Error,
        message,
        Label::new(id, Span::empty(0), "this file was not checked"),
    )
}

/// Adds `path`, which was not read, to `sources` with the `UP902` diagnostic that says why
/// (a folder the walk could not enter, or a file system loop: a warning, as nothing is lost).
pub fn add_unread(
    path: &Path,
    cwd: &Path,
    severity: Severity,
    message: String,
    sources: &mut SourceMap,
) -> (FileId, Diagnostic) {
    let id = sources.add(SourceFile::new(path.to_path_buf(), display_path(path, cwd), String::new()));
    let label = if severity == Severity::Error { "this file was not checked" } else { "here" };
    (id, Diagnostic::new(UNREADABLE_FILE, severity, message, Label::new(id, Span::empty(0), label)))
}

fn read_text(path: &Path, max_size: u64) -> Result<(String, Encoding), String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    // Opening a FIFO waits for a writer, and a device may never end: only files are opened.
    if !metadata.is_file() {
        return Err(format!(
            "not a regular file ({}): not read (give a script's text on standard input with `-`)",
            file_kind(&metadata.file_type())
        ));
    }
    if metadata.len() > max_size {
        return Err(format!("the file is {} bytes, over the limit of {max_size} bytes", metadata.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if let Some(text) = decode_utf16(&bytes) {
        let encoding = if bytes[0] == 0xFF { Encoding::Utf16Le } else { Encoding::Utf16Be };
        return text.map(|text| (text, encoding));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        format!("the file is not valid UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to())
    })?;
    if text.starts_with('\u{FEFF}') {
        text.drain(..3);
        return Ok((text, Encoding::Utf8Bom));
    }
    Ok((text, Encoding::Utf8))
}

/// What a file that is not a regular file is, in words.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        } else if kind.is_char_device() {
            return "a character device";
        } else if kind.is_block_device() {
            return "a block device";
        } else if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() { "a folder" } else { "not a file" }
}

/// The text of a file that starts with a UTF-16 byte order mark (little- or big-endian), as
/// Windows PowerShell 5.1 writes them; `None` for any other file.
fn decode_utf16(bytes: &[u8]) -> Option<Result<String, String>> {
    let little_endian = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    if body.len() % 2 != 0 {
        return Some(Err("the file is not valid UTF-16 (odd number of bytes)".to_string()));
    }
    let units = body.chunks_exact(2).map(|pair| {
        if little_endian { u16::from_le_bytes([pair[0], pair[1]]) } else { u16::from_be_bytes([pair[0], pair[1]]) }
    });
    let mut text = String::with_capacity(body.len() / 2);
    for (index, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => {
                return Some(Err(format!(
                    "the file is not valid UTF-16 (unpaired surrogate at offset {})",
                    2 + index * 2
                )));
            }
        }
    }
    Some(Ok(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let file = SourceFile::new(PathBuf::from("a.kql"), "a.kql".into(), "ab\r\nçd\nx".into());
        assert_eq!(file.position(0), Position { line: 1, column: 1, offset: 0 });
        assert_eq!(file.position(4), Position { line: 2, column: 1, offset: 4 });
        // `ç` is two bytes but one column.
        assert_eq!(file.position(6), Position { line: 2, column: 2, offset: 6 });
        assert_eq!(file.position(8), Position { line: 3, column: 1, offset: 8 });
        assert_eq!(file.position(99), Position { line: 3, column: 2, offset: 9 });
        assert_eq!(file.line_range(0), Some(0..2));
        // Inside a multi-byte character: snapped back to its start.
        assert_eq!(file.position(5).offset, 4);
    }

    /// Printed lines end at `\n` (as git counts them: `\r\r\n`, common in files converted
    /// twice, is one break); editors' lines also end at a lone `\r`.
    #[test]
    fn printed_lines_are_gits_and_editor_lines_also_end_at_a_lone_carriage_return() {
        let text = "ab\rc\r\nd\n\re\r\r\nf";
        let file = SourceFile::new(PathBuf::from("a.kql"), "a.kql".into(), text.to_string());
        let at = |s: &str| text.find(s).unwrap();
        let printed: Vec<(usize, usize)> =
            ["b", "c", "d", "e", "f"].iter().map(|s| file.position(at(s))).map(|p| (p.line, p.column)).collect();
        assert_eq!(printed, [(1, 2), (1, 4), (2, 1), (3, 2), (4, 1)]);
        let editor: Vec<(usize, usize)> =
            ["a", "b", "c", "d", "e", "f"].iter().map(|s| file.editor_line(at(s))).collect();
        assert_eq!(editor, [(0, 0), (0, 0), (1, 3), (2, 6), (4, 9), (6, 13)]);
        assert_eq!(file.editor_line(text.len()), (6, 13));
        assert_eq!(next_line_break(text, 4), Some((4, 6)));
        assert_eq!(next_line_break(text, 10), Some((10, 11)));
        assert_eq!(next_line_break(text, 13), None);
        assert_eq!(next_line_break(text, 99), None);
    }

    #[test]
    fn columns_agree_with_counting_characters() {
        let text = "a\u{e7}\u{1F600}b\n\u{20AC}\u{20AC}x\r\ny\u{e7}z";
        let file = SourceFile::new(PathBuf::from("a.kql"), "a.kql".into(), text.to_string());
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
            let expected = text[line_start..offset].chars().count() + 1;
            assert_eq!(file.position(offset).column, expected, "offset {offset}");
        }
    }

    #[test]
    fn unreadable_files_are_reported_and_the_rest_loaded() {
        let dir = std::env::temp_dir().join(format!("uplint-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bom = dir.join("bom.kql");
        let bad = dir.join("bad.kql");
        let big = dir.join("big.kql");
        std::fs::write(&bom, "\u{FEFF}T | take 1").unwrap();
        std::fs::write(&bad, b"T | where a == '\xff'").unwrap();
        std::fs::write(&big, "T".repeat(100)).unwrap();
        let missing = dir.join("missing.kql");
        let mut sources = SourceMap::default();
        let (ids, problems) = load(&[bom, bad, big, missing], &dir, 50, &mut sources);
        assert_eq!(ids.len(), 4);
        assert_eq!(&*sources.get(ids[0]).text, "T | take 1");
        let messages: Vec<(&str, &str)> =
            problems.iter().map(|p| (sources.get(p.primary.file).display.as_str(), &*p.message)).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].0 == "bad.kql" && messages[0].1.contains("not valid UTF-8"), "{messages:?}");
        assert!(messages[1].0 == "big.kql" && messages[1].1.contains("over the limit of 50 bytes"), "{messages:?}");
        assert!(messages[2].0 == "missing.kql" && messages[2].1.contains("cannot read"), "{messages:?}");
        assert!(problems.iter().all(|p| p.code == UNREADABLE_FILE));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn utf16_files_with_a_byte_order_mark_are_decoded() {
        let text = "#connect database('Sales')\r\n.create table T (a:int) // ü €";
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode_utf16(&le), Some(Ok(text.to_string())));
        assert_eq!(decode_utf16(&be), Some(Ok(text.to_string())));
        assert_eq!(decode_utf16(b"T | take 1"), None);
        // A lone surrogate, and an odd length.
        assert!(decode_utf16(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]).unwrap().unwrap_err().contains("offset 2"));
        assert!(decode_utf16(&[0xFF, 0xFE, 0x41]).unwrap().is_err());
        let dir = std::env::temp_dir().join(format!("uplint-utf16-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("export.csl"), &le).unwrap();
        let mut sources = SourceMap::default();
        let (ids, problems) = load(&[dir.join("export.csl")], &dir, 1000, &mut sources);
        assert!(problems.is_empty());
        assert_eq!(&*sources.get(ids[0]).text, text);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Offsets in output count the file's own bytes: past a byte order mark, and two bytes per
    /// UTF-16 unit (four for a character outside the Basic Multilingual Plane).
    #[test]
    fn offsets_count_the_bytes_of_the_file_as_stored() {
        let text = "a\u{1F600}ü\nT";
        let t = text.find('T').unwrap();
        let dir = std::env::temp_dir().join(format!("uplint-offsets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let utf16_be: Vec<u8> =
            [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        let bom: Vec<u8> = [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect();
        // Each file, and the offset of its text's first character.
        let cases: [(&str, &[u8], usize); 4] =
            [("plain.kql", text.as_bytes(), 0), ("bom.kql", &bom, 3), ("le.kql", &utf16, 2), ("be.kql", &utf16_be, 2)];
        for (name, bytes, first) in cases {
            std::fs::write(dir.join(name), bytes).unwrap();
            let (file, problem) = read(&dir.join(name), &dir, 1000);
            assert_eq!(problem, None);
            let position = file.position(t);
            assert_eq!((position.line, position.column), (2, 1), "{name}");
            // The byte at that offset in the file is the `T` (its low byte in UTF-16 LE).
            let at = position.offset;
            let byte = if name == "be.kql" { bytes[at + 1] } else { bytes[at] };
            assert_eq!(byte, b'T', "{name}: offset {at}");
            assert_eq!(file.position(0).offset, first, "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn display_paths_are_relative_with_slashes() {
        let cwd = Path::new("/work/repo");
        assert_eq!(display_path(Path::new("/work/repo/q/a.kql"), cwd), "q/a.kql");
        assert_eq!(display_path(Path::new("./q/a.kql"), cwd), "q/a.kql");
        assert_eq!(display_path(Path::new("/elsewhere/b.kql"), cwd), "/elsewhere/b.kql");
    }
}
