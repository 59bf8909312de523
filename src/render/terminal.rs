//! Output meant for a terminal shows file text, and a file may hold the terminal's control
//! characters: `ESC [ 2 J` in a `.kql` file would clear the screen of whoever reads the report.
//! [`Visible`] writes every such character as `�` (newlines, tabs and the `\r` of a `\r\n` pass);
//! colours still reach the terminal through [`WriteColor::set_color`].

use std::io::{self, Write};

use codespan_reporting::term::termcolor::{ColorSpec, WriteColor};

/// A writer that makes control characters visible (see the module).
pub struct Visible<'a>(pub &'a mut dyn WriteColor);

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

impl Write for Visible<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (mut start, mut at) = (0, 0);
        while at < buf.len() {
            match control_at(&buf[at..]) {
                0 => at += 1,
                len => {
                    self.0.write_all(&buf[start..at])?;
                    self.0.write_all(REPLACEMENT)?;
                    at += len;
                    start = at;
                }
            }
        }
        self.0.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl WriteColor for Visible<'_> {
    fn supports_color(&self) -> bool {
        self.0.supports_color()
    }

    fn set_color(&mut self, spec: &ColorSpec) -> io::Result<()> {
        self.0.set_color(spec)
    }

    fn reset(&mut self) -> io::Result<()> {
        self.0.reset()
    }

    fn is_synchronous(&self) -> bool {
        self.0.is_synchronous()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codespan_reporting::term::termcolor::{Ansi, Color, NoColor};

    fn visible(text: &str) -> String {
        let mut out = NoColor::new(Vec::new());
        Visible(&mut out).write_all(text.as_bytes()).unwrap();
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
    fn colours_still_pass() {
        let mut out = Ansi::new(Vec::new());
        let mut visible = Visible(&mut out);
        visible.set_color(ColorSpec::new().set_fg(Some(Color::Red))).unwrap();
        visible.write_all(b"x\x1b").unwrap();
        visible.reset().unwrap();
        let written = String::from_utf8(out.into_inner()).unwrap();
        assert!(written.starts_with("\u{1b}[0m\u{1b}[31mx\u{FFFD}"), "{written:?}");
    }
}
