//! The allocator the binary and the benchmark suite run on: mimalloc, with
//! its arenas committed as they are used and freed pages given back soon.
//!
//! Why mimalloc: a bulk import or rebuild hands millions of small buffers
//! from one thread to another (parsed lines, decoded records, sort
//! batches), and glibc's malloc spends about a fifth of the folding
//! thread's time in its arena locks and free lists (perf, eleventh
//! session). With mimalloc a 1M import took about 20 % less time and
//! user CPU (docs/PERFORMANCE.md).
//!
//! Why the options: mimalloc 3 as built here commits its arenas eagerly
//! where the system overcommits, as Linux does (`arena_eager_commit` 2),
//! and keeps freed pages for a second (`purge_delay` 1000 ms) before
//! giving them back, so the same import peaked at 150 MB
//! and verify-snapshot at 110 MB instead of 60 and 72. With arenas
//! committed on demand and pages purged after 3 ms, they peak at about 70
//! and 86-88 MB, and the import keeps its gain (delays of 0, 1, 3 and
//! 10 ms were measured: 0 ms gave 60 and 81 MB but made the import a
//! quarter slower, in system time).
//! `arena_eager_commit` has to be set before the first arena exists,
//! that is before the first allocation, so the first call into this
//! allocator sets both (setting `MIMALLOC_*` variables from `main` would
//! be too late: mimalloc reads them at start-up). They are set as
//! defaults: `MIMALLOC_ARENA_EAGER_COMMIT` or `MIMALLOC_PURGE_DELAY` in
//! the environment still win.
//!
//! The library never installs it: a program that links claimlog keeps
//! its own allocator unless it names this one with `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

/// `mi_option_arena_eager_commit` and `mi_option_purge_delay` in
/// mimalloc 3's `enum mi_option_e` (include/mimalloc.h), which
/// libmimalloc-sys 0.1.49 does not name. The exact versions are pinned in
/// Cargo.toml, and `tests/allocator.rs` reads the options back by name.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// Milliseconds a freed page waits before it is given back.
const PURGE_DELAY_MS: std::ffi::c_long = 3;

static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// mimalloc with its arenas committed on demand and freed pages given
/// back soon; see the module comment.
pub struct Allocator;

impl Allocator {
    #[inline]
    fn configure() {
        // Setting the defaults twice, from two threads racing on the
        // first allocations, sets the same values.
        if !CONFIGURED.load(Ordering::Acquire) {
            // SAFETY: mi_option_set_default takes any option number and
            // value, stores them, and does not allocate (options.c).
            unsafe {
                libmimalloc_sys::mi_option_set_default(ARENA_EAGER_COMMIT, 0);
                libmimalloc_sys::mi_option_set_default(PURGE_DELAY, PURGE_DELAY_MS);
            }
            CONFIGURED.store(true, Ordering::Release);
        }
    }
}

// SAFETY: every call is passed to mimalloc's own GlobalAlloc, which upholds
// the contract; `configure` only sets two options first.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::configure();
        // SAFETY: the caller's guarantees are passed on unchanged.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::configure();
        // SAFETY: as above.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from mimalloc.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}
