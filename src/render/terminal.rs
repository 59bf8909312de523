//! Output meant for a terminal shows file text, and a file may hold the terminal's control
//! characters: `ESC [ 2 J` in a `.kql` file would clear the screen of whoever reads the report.
//! [`Recording`] keeps every such character as `�` (newlines, tabs and the `\r` of a `\r\n` pass);
//! colours still reach the terminal through [`WriteColor::set_color`] when it is replayed.

use std::io::{self, Write};

use codespan_reporting::term::termcolor::{ColorSpec, WriteColor};

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// The length of the control character at the start of `bytes` (0 when there is none): C0
/// controls but newline, tab and the carriage return of a line break, DEL, and the C1 controls
/// (`U+0080` to `U+009F`, two bytes in UTF-8; `U+009B` starts escape sequences too).
fn control_at(bytes: &[u8]) -> usize {
    match bytes {
        [b'\n' | b'\t', ..] | [b'\r', b'\n', ..] => 0,
        [b, ..] if *b < 0x20 || *b == 0x7f => 1,
        [0xc2, second, ..] if (0x80..=0x9f).contains(second) => 2,
        _ => 0,
    }
}

/// What a renderer wrote, its control characters made visible (each write on its own, see the
/// module), and its colour changes, to write to the real output later ([`Recording::replay`]).
///
/// A renderer writes to it without going through the output's layers: codespan-reporting writes
/// a snippet's source one character at a time, and a write through `dyn WriteColor` per
/// character made the human report slow. It also lets diagnostics be rendered on several
/// threads and written in order.
pub struct Recording {
    color: bool,
    bytes: Vec<u8>,
    /// At each offset of `bytes`, a colour set (`None`: reset).
    marks: Vec<(usize, Option<ColorSpec>)>,
}

impl Recording {
    /// An empty recording; `color` is what it says to [`WriteColor::supports_color`] (the real
    /// output's answer).
    pub fn new(color: bool) -> Recording {
        Recording { color, bytes: Vec::with_capacity(1024), marks: Vec::new() }
    }

    /// Writes what was recorded to `out`, in the order it was written.
    pub fn replay(&self, out: &mut dyn WriteColor) -> io::Result<()> {
        let mut at = 0;
        for (offset, mark) in &self.marks {
            out.write_all(&self.bytes[at..*offset])?;
            match mark {
                Some(spec) => out.set_color(spec)?,
                None => out.reset()?,
            }
            at = *offset;
        }
        out.write_all(&self.bytes[at..])
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (mut start, mut at) = (0, 0);
        while at < buf.len() {
            let byte = buf[at];
            // Printable ASCII and the bytes that start no control character, the common case.
            if (0x20..0x7f).contains(&byte) || (byte >= 0x80 && byte != 0xc2) {
                at += 1;
                continue;
            }
            match control_at(&buf[at..]) {
                0 => at += 1,
                len => {
                    self.bytes.extend_from_slice(&buf[start..at]);
                    self.bytes.extend_from_slice(REPLACEMENT);
                    at += len;
                    start = at;
                }
            }
        }
        self.bytes.extend_from_slice(&buf[start..]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl WriteColor for Recording {
    fn supports_color(&self) -> bool {
        self.color
    }

    fn set_color(&mut self, spec: &ColorSpec) -> io::Result<()> {
        self.marks.push((self.bytes.len(), Some(spec.clone())));
        Ok(())
    }

    fn reset(&mut self) -> io::Result<()> {
        self.marks.push((self.bytes.len(), None));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codespan_reporting::term::termcolor::{Ansi, Color, NoColor};

    fn visible(text: &str) -> String {
        let mut recording = Recording::new(false);
        recording.write_all(text.as_bytes()).unwrap();
        let mut out = NoColor::new(Vec::new());
        recording.replay(&mut out).unwrap();
        String::from_utf8(out.into_inner()).unwrap()
    }

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible("a\u{1b}[2Jb"), "a\u{FFFD}[2Jb");
        assert_eq!(visible("\u{0}x\u{7f}\u{9b}31m\u{7}"), "\u{FFFD}x\u{FFFD}\u{FFFD}31m\u{FFFD}");
        assert_eq!(visible("line\r\nnext\tcell\n"), "line\r\nnext\tcell\n");
        assert_eq!(visible("over\rwrite"), "over\u{FFFD}write");
        assert_eq!(visible("é ü € 𝄞"), "é ü € 𝄞");
    }

    #[test]
    fn each_write_is_made_visible_on_its_own() {
        // As the renderer's writes came: a `\r` that ends one write is no line break.
        let mut recording = Recording::new(false);
        recording.write_all(b"a\r").unwrap();
        recording.write_all(b"\nb\r\n").unwrap();
        let mut out = NoColor::new(Vec::new());
        recording.replay(&mut out).unwrap();
        assert_eq!(String::from_utf8(out.into_inner()).unwrap(), "a\u{FFFD}\nb\r\n");
    }

    #[test]
    fn colours_still_pass() {
        let mut out = Ansi::new(Vec::new());
        let mut recording = Recording::new(true);
        recording.set_color(ColorSpec::new().set_fg(Some(Color::Red))).unwrap();
        recording.write_all(b"x\x1b").unwrap();
        recording.reset().unwrap();
        recording.replay(&mut out).unwrap();
        let written = String::from_utf8(out.into_inner()).unwrap();
        assert!(written.starts_with("\u{1b}[0m\u{1b}[31mx\u{FFFD}"), "{written:?}");
    }
}
