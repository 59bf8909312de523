//! Byte ranges in a text.

use std::ops::Range;

/// A half-open byte range `start..end` in one text (a file, or a decoded string when stated).
/// Lines and columns exist only when rendering (see [`crate::source`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// The range `start..end`.
    #[inline]
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span { start: start as u32, end: end as u32 }
    }

    /// An empty range at `offset`.
    #[inline]
    pub fn empty(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    /// From the start of `self` to the end of `other`.
    #[inline]
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    #[inline]
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    #[inline]
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    #[inline]
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text this range covers in `text`.
    #[inline]
    pub fn of(self, text: &str) -> &str {
        &text[self.range()]
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Span {
        Span::new(r.start, r.end)
    }
}
