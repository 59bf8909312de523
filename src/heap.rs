//! The `uplint` binary's memory allocator: the system allocator with a small cache of freed
//! blocks per thread in front of it, on only for a check ([`keep_freed_blocks`]). `main.rs`
//! installs it; the library never does, and tests and other callers use their own allocator.
//!
//! A check makes and frees about two million small blocks (syntax trees, names, lists), in
//! waves: a file's trees are freed before the next file's are made. glibc keeps only seven freed
//! blocks of a size per thread at hand, so most of those calls took its slower paths (a fifth
//! of a corpus check's instructions were in `malloc` and `free`). Here each thread keeps up to
//! [`KEEP`] freed blocks of each size class up to 264 bytes, and reuses them first.
//!
//! Memory: a block takes what glibc would give its request anyway (size classes are glibc's), a
//! small block that grows moves to a block of a bigger class, other blocks are grown and shrunk
//! by glibc in place as before, and at most 16 × [`KEEP`] freed blocks per
//! thread are held back (a little over 1 MiB), each reused for its own class only: the max
//! resident set of the corpus and of the memory shapes (README) is what it was. Threads that
//! end leave their blocks (a check ends right after; the cache stays off in the server, whose
//! threads come and go).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};

/// Size classes are this far apart (and blocks are aligned to it, as glibc's are).
const GRAIN: usize = 16;
/// The number of classes: blocks of 24, 40, ... 264 bytes.
const CLASSES: usize = 16;
/// The size of the smallest class.
const SMALLEST: usize = 24;
/// The size of the largest class.
const LARGEST: usize = SMALLEST + (CLASSES - 1) * GRAIN;
/// Freed blocks kept per class and thread.
pub const KEEP: u32 = 512;

/// The allocator (see the module).
pub struct ThreadCache;

/// Whether freed blocks are kept (see [`keep_freed_blocks`]).
static ON: AtomicBool = AtomicBool::new(false);

/// Turns the cache on for the rest of the process (a check, in the binary).
pub fn keep_freed_blocks() {
    ON.store(true, Ordering::Relaxed);
}

/// A freed block, linked to the next one of its class.
struct Free {
    next: *mut Free,
}

struct Lists {
    heads: [*mut Free; CLASSES],
    counts: [u32; CLASSES],
}

thread_local! {
    // Constant and without a destructor: using it never allocates.
    static LISTS: UnsafeCell<Lists> =
        const { UnsafeCell::new(Lists { heads: [null_mut(); CLASSES], counts: [0; CLASSES] }) };
}

/// The size class of `layout`, when its blocks are cached: class `c` holds blocks of
/// `16 × c + 24` bytes, the sizes glibc's chunks of `16 × c + 32` bytes hold (a chunk keeps 8
/// bytes for its size), so a block takes the memory glibc would give the request anyway.
#[inline]
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size();
    (layout.align() <= GRAIN && size != 0 && size <= LARGEST).then(|| size.saturating_sub(SMALLEST).div_ceil(GRAIN))
}

/// The layout every block of class `class` is allocated with.
#[inline]
fn class_layout(class: usize) -> Layout {
    // At most 264 bytes with alignment 16: a valid layout.
    Layout::from_size_align(SMALLEST + class * GRAIN, GRAIN).unwrap_or_else(|_| unreachable!())
}

// SAFETY: blocks of a class are always allocated from `System` with the class's layout, whether
// the cache is on or not, so a block of a class can be handed out again for any layout of the
// class, or given back to `System` with the class's layout. A thread's lists are used only by
// that thread, never while they are borrowed elsewhere (no allocation happens in between).
unsafe impl GlobalAlloc for ThreadCache {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class(layout) else {
            // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
            return unsafe { System.alloc(layout) };
        };
        if ON.load(Ordering::Relaxed) {
            let reused = LISTS.with(|lists| {
                // SAFETY: this thread's lists, borrowed only here (see above).
                let lists = unsafe { &mut *lists.get() };
                let head = lists.heads[class];
                if !head.is_null() {
                    // SAFETY: a block on the list holds the link written by `dealloc`.
                    lists.heads[class] = unsafe { (*head).next };
                    lists.counts[class] -= 1;
                }
                head
            });
            if !reused.is_null() {
                return reused.cast();
            }
        }
        // SAFETY: a non-zero size.
        unsafe { System.alloc(class_layout(class)) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class(layout) else {
            // SAFETY: allocated by `System` with this layout (see `alloc`).
            return unsafe { System.dealloc(ptr, layout) };
        };
        if ON.load(Ordering::Relaxed) {
            let kept = LISTS.with(|lists| {
                // SAFETY: this thread's lists, borrowed only here (see above).
                let lists = unsafe { &mut *lists.get() };
                if lists.counts[class] >= KEEP {
                    return false;
                }
                let block = ptr.cast::<Free>();
                // SAFETY: the block is at least 16 bytes, aligned to 16, and no longer used.
                unsafe { block.write(Free { next: lists.heads[class] }) };
                lists.heads[class] = block;
                lists.counts[class] += 1;
                true
            });
            if kept {
                return;
            }
        }
        // SAFETY: allocated by `System` with the class's layout (see `alloc`).
        unsafe { System.dealloc(ptr, class_layout(class)) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if class(layout).is_none() {
            // SAFETY: the caller's layout.
            return unsafe { System.alloc_zeroed(layout) };
        }
        // SAFETY: the caller's layout; a cached block is written with zeros.
        let ptr = unsafe { self.alloc(layout) };
        if !ptr.is_null() {
            // SAFETY: the block has at least `layout.size()` bytes.
            unsafe { ptr.write_bytes(0, layout.size()) };
        }
        ptr
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees that `new_size` with the old alignment is a valid size.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let (old, new) = (class(layout), class(new_layout));
        match (old, new) {
            // The block already has room for the class.
            (Some(old), Some(new)) if old == new => return ptr,
            // A small list that grows (a vector's first doublings) moves to a block of the
            // bigger class, kept or new, and leaves its block for the next one.
            (Some(old), Some(new)) if new > old => {
                // SAFETY: `new_layout` is valid (above); the old block has `layout.size()`
                // bytes, the new one more; the old block is freed with its own layout.
                unsafe {
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size());
                        self.dealloc(ptr, layout);
                    }
                    return moved;
                }
            }
            _ => {}
        }
        // Otherwise glibc grows or shrinks the block in place when it can (long-lived lists are
        // shrunk to their length). A block it returns for a class has room for the class, and
        // any block goes back to it with `free`, whatever its size.
        let allocated = old.map_or(layout, class_layout);
        let size = new.map_or(new_size, |class| class_layout(class).size());
        // SAFETY: allocated by `System` with `allocated` (see `alloc`); `size` is valid with
        // its alignment.
        unsafe { System.realloc(ptr, allocated, size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_small_blocks_aligned_to_at_most_sixteen() {
        let layout = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(class(layout(1, 1)), Some(0));
        assert_eq!(class(layout(24, 8)), Some(0));
        assert_eq!(class(layout(25, 8)), Some(1));
        assert_eq!(class(layout(40, 8)), Some(1));
        assert_eq!(class(layout(41, 8)), Some(2));
        assert_eq!(class(layout(264, 16)), Some(15));
        assert_eq!(class(layout(265, 8)), None);
        for size in 1..=264 {
            let class = class(layout(size, 1)).unwrap();
            let block = class_layout(class).size();
            assert!(block >= size && (class == 0 || block < size + GRAIN), "{size} in a block of {block}");
        }
        assert_eq!(class(layout(64, 32)), None);
        assert_eq!(class(layout(0, 1)), None);
    }

    #[test]
    fn blocks_are_reused_within_their_class_and_keep_their_bytes_when_moved() {
        keep_freed_blocks();
        let heap = ThreadCache;
        let small = Layout::from_size_align(32, 8).unwrap();
        let block = Layout::from_size_align(40, 16).unwrap();
        unsafe {
            let a = heap.alloc(small);
            a.write_bytes(7, 32);
            heap.dealloc(a, small);
            // The same class (25 to 40 bytes) gets the block back.
            let b = heap.alloc(block);
            assert_eq!(a, b);
            let zeroed = heap.alloc_zeroed(Layout::from_size_align(36, 4).unwrap());
            assert!((0..36).all(|i| *zeroed.add(i) == 0));
            zeroed.write_bytes(5, 36);
            heap.dealloc(zeroed, Layout::from_size_align(36, 4).unwrap());
            // A kept block is handed out again zeroed when asked to be.
            let again = heap.alloc_zeroed(Layout::from_size_align(30, 2).unwrap());
            assert_eq!(again, zeroed);
            assert!((0..30).all(|i| *again.add(i) == 0));
            heap.dealloc(again, Layout::from_size_align(30, 2).unwrap());
            b.write_bytes(9, 40);
            // Grown to a bigger class, past the classes and back: the bytes move along.
            let b = heap.realloc(b, block, 100);
            assert!((0..40).all(|i| *b.add(i) == 9));
            let grown = heap.realloc(b, Layout::from_size_align(100, 16).unwrap(), 4096);
            assert!((0..32).all(|i| *grown.add(i) == 9));
            let shrunk = heap.realloc(grown, Layout::from_size_align(4096, 16).unwrap(), 60);
            assert!((0..32).all(|i| *shrunk.add(i) == 9));
            heap.dealloc(shrunk, Layout::from_size_align(60, 16).unwrap());
        }
    }
}
