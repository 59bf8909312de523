//! Snippets of very long lines. A diagnostic on a line of hundreds of kilobytes (a policy
//! written on one line) would print the whole line in its snippet, once per diagnostic; instead
//! a line longer than [`LONG_LINE`] bytes shows a window around each place a label starts or
//! ends, with `…` where text is left out. Line numbers and columns stay those of the file.
//!
//! [`Windowed`] is a [`Files`] for codespan-reporting holding only the lines one diagnostic
//! shows, so rendering a diagnostic costs the size of its snippet, not of its file.

use std::collections::BTreeMap;
use std::ops::Range;

use codespan_reporting::files::{Error, Files, Location};

use crate::source::{FileId, SourceMap};

/// Lines longer than this many bytes are shown in windows.
pub const LONG_LINE: usize = 400;
/// The bytes shown on each side of a place a label starts or ends, on a long line.
const CONTEXT: usize = 60;
/// Where text of a long line is left out.
pub const ELLIPSIS: &str = "…";
/// Lines after a multi-line label's first line and before its last one that codespan-reporting
/// may show (its default configuration shows 3 and 1).
const START_CONTEXT: usize = 3;
const END_CONTEXT: usize = 1;

/// The lines of the files one diagnostic shows, long lines windowed.
pub struct Windowed<'a> {
    sources: &'a SourceMap,
    views: Vec<(FileId, View)>,
}

#[derive(Default)]
struct View {
    text: String,
    /// The lines shown: their index in the file and their range in `text`, in file order.
    lines: Vec<(usize, Range<usize>)>,
    /// The pieces of the file in `text`: (start in `text`, start in the file, length), in order.
    pieces: Vec<(usize, usize, usize)>,
}

impl<'a> Windowed<'a> {
    /// The lines that labels at `labels` (file, byte range) show, when one of the lines they
    /// start or end on is long; `None` when none is (the file's text is shown as it is).
    pub fn new(sources: &'a SourceMap, labels: &[(FileId, Range<usize>)]) -> Option<Windowed<'a>> {
        let long = labels.iter().any(|(file, range)| {
            let source = sources.get(*file);
            [range.start, range.end].into_iter().any(|offset| {
                let line = source.line_index(offset.min(source.text.len()));
                source.line_range(line).is_some_and(|r| r.len() > LONG_LINE)
            })
        });
        if !long {
            return None;
        }
        let mut files: Vec<FileId> = labels.iter().map(|(file, _)| *file).collect();
        files.sort();
        files.dedup();
        let views = files
            .into_iter()
            .map(|file| {
                let ranges: Vec<Range<usize>> =
                    labels.iter().filter(|(f, _)| *f == file).map(|(_, range)| range.clone()).collect();
                (file, View::new(sources, file, &ranges))
            })
            .collect();
        Some(Windowed { sources, views })
    }

    fn view(&self, file: FileId) -> Option<&View> {
        self.views.iter().find(|(f, _)| *f == file).map(|(_, view)| view)
    }

    /// Where byte `offset` of `file` is in the text shown (the nearest place shown when it is
    /// left out).
    pub fn offset(&self, file: FileId, offset: usize) -> usize {
        self.view(file).map_or(offset, |view| view.shown(offset))
    }
}

impl View {
    fn new(sources: &SourceMap, file: FileId, labels: &[Range<usize>]) -> View {
        let source = sources.get(file);
        let len = source.text.len();
        // The places each shown line must show.
        let mut lines: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for range in labels {
            let (start, end) = (range.start.min(len), range.end.min(len));
            let (first, last) = (source.line_index(start), source.line_index(end));
            lines.entry(first).or_default().push(start);
            lines.entry(last).or_default().push(end);
            for line in (first + 1..=last.min(first + START_CONTEXT)).chain(last.saturating_sub(END_CONTEXT)..last) {
                lines.entry(line.max(first)).or_default();
            }
        }
        // A line between two shown lines is shown too (codespan-reporting prints it rather
        // than a break).
        let gaps: Vec<usize> =
            lines.keys().zip(lines.keys().skip(1)).filter(|(a, b)| *b - *a == 2).map(|(a, _)| a + 1).collect();
        for line in gaps {
            lines.entry(line).or_default();
        }
        let mut view = View::default();
        for (line, mut places) in lines {
            let Some(range) = source.line_range(line) else { continue };
            if !view.text.is_empty() {
                view.text.push('\n');
            }
            let start = view.text.len();
            if range.len() <= LONG_LINE {
                view.pieces.push((start, range.start, range.len()));
                view.text.push_str(&source.text[range.clone()]);
            } else {
                if places.is_empty() {
                    places.push(range.start);
                }
                view.push_windows(&source.text, range.clone(), &mut places);
            }
            view.lines.push((line, start..view.text.len()));
        }
        view
    }

    /// Line `range` of `text` as windows around `places`, `…` where text is left out.
    fn push_windows(&mut self, text: &str, range: Range<usize>, places: &mut [usize]) {
        places.sort_unstable();
        let floor = |mut at: usize| {
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let ceil = |mut at: usize| {
            while !text.is_char_boundary(at) {
                at += 1;
            }
            at
        };
        let mut windows: Vec<Range<usize>> = Vec::new();
        for &place in places.iter() {
            let place = place.clamp(range.start, range.end);
            let window = floor(place.saturating_sub(CONTEXT).max(range.start))..ceil((place + CONTEXT).min(range.end));
            match windows.last_mut() {
                // Overlapping or close: one window.
                Some(last) if window.start <= last.end + CONTEXT => last.end = last.end.max(window.end),
                _ => windows.push(window),
            }
        }
        let mut at = range.start;
        for window in windows {
            if window.start > at {
                self.text.push_str(ELLIPSIS);
            }
            self.pieces.push((self.text.len(), window.start, window.len()));
            self.text.push_str(&text[window.clone()]);
            at = window.end;
        }
        if at < range.end {
            self.text.push_str(ELLIPSIS);
        }
    }

    /// Where file offset `offset` is in `text`.
    fn shown(&self, offset: usize) -> usize {
        // The last piece starting at or before `offset`, else the first.
        let index = self.pieces.partition_point(|&(_, file, _)| file <= offset).saturating_sub(1);
        match self.pieces.get(index) {
            Some(&(shown, file, len)) if offset >= file => shown + (offset - file).min(len),
            Some(&(shown, _, _)) => shown,
            None => 0,
        }
    }

    /// Where offset `shown` of `text` is in the file.
    fn file_offset(&self, shown: usize) -> usize {
        let index = self.pieces.partition_point(|&(at, _, _)| at <= shown).saturating_sub(1);
        self.pieces.get(index).map_or(0, |&(at, file, len)| file + shown.saturating_sub(at).min(len))
    }
}

impl<'a> Files<'a> for Windowed<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, Error> {
        Ok(&self.sources.get(id).display)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, Error> {
        Ok(self.view(id).map_or(&self.sources.get(id).text, |view| &view.text))
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, Error> {
        let view = self.view(id).ok_or(Error::FileMissing)?;
        let index = view.lines.partition_point(|(_, range)| range.start <= byte_index).saturating_sub(1);
        Ok(view.lines.get(index).map_or(0, |(line, _)| *line))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, Error> {
        let view = self.view(id).ok_or(Error::FileMissing)?;
        Ok(match view.lines.binary_search_by_key(&line_index, |(line, _)| *line) {
            Ok(index) => view.lines[index].1.clone(),
            // A line not shown.
            Err(_) => view.text.len()..view.text.len(),
        })
    }

    fn location(&'a self, id: FileId, byte_index: usize) -> Result<Location, Error> {
        let view = self.view(id).ok_or(Error::FileMissing)?;
        let position = self.sources.get(id).position(view.file_offset(byte_index));
        Ok(Location { line_number: position.line, column_number: position.column })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn sources(text: &str) -> SourceMap {
        let mut sources = SourceMap::default();
        sources.add(SourceFile::new("a.kql".into(), "a.kql".into(), text.to_string()));
        sources
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let sources = sources("T | take 1\nU");
        assert!(Windowed::new(&sources, &[(FileId(0), 4..8)]).is_none());
    }

    #[test]
    fn a_long_line_shows_windows_around_labels_with_real_positions() {
        let line = format!("{}TARGET{}END", "a".repeat(1000), "b".repeat(1000));
        let text = format!("first\n{line}\nlast");
        let sources = sources(&text);
        let target = text.find("TARGET").unwrap();
        let end = text.find("END").unwrap();
        let labels = [(FileId(0), target..target + 6), (FileId(0), end..end + 3)];
        let windowed = Windowed::new(&sources, &labels).expect("a long line");
        let shown = windowed.source(FileId(0)).unwrap();
        assert!(shown.len() < 2 * (2 * CONTEXT + 20), "{shown}");
        assert_eq!(shown.matches(ELLIPSIS).count(), 2, "{shown}");
        let at = windowed.offset(FileId(0), target);
        assert_eq!(&shown[at..at + 6], "TARGET");
        // Line 2 (index 1), and the column the file has.
        assert_eq!(windowed.line_index(FileId(0), at).unwrap(), 1);
        let location = windowed.location(FileId(0), at).unwrap();
        assert_eq!((location.line_number, location.column_number), (2, 1001));
        let end_at = windowed.offset(FileId(0), end);
        assert_eq!(&shown[end_at..end_at + 3], "END");
        assert_eq!(windowed.location(FileId(0), end_at).unwrap().column_number, 2007);
    }

    #[test]
    fn windows_do_not_cut_characters() {
        let line = "é".repeat(600);
        let sources = sources(&line);
        let windowed = Windowed::new(&sources, &[(FileId(0), 601..603)]).expect("a long line");
        let shown = windowed.source(FileId(0)).unwrap();
        assert!(shown.starts_with(ELLIPSIS) && shown.ends_with(ELLIPSIS), "{shown}");
    }
}
