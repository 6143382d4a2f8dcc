//! The allocator the binary runs on (src/allocator.rs) sets the mimalloc
//! options it means to, by the options' names as mimalloc prints them: the
//! options' numbers are written by hand from mimalloc's header.

use std::ffi::{c_char, c_void, CStr};

#[global_allocator]
static ALLOCATOR: claimlog::Allocator = claimlog::Allocator;

type Output = unsafe extern "C" fn(msg: *const c_char, arg: *mut c_void);

extern "C" {
    /// mimalloc 3 (include/mimalloc.h): prints every option by name.
    fn mi_options_print_out(out: Output, arg: *mut c_void);
}

unsafe extern "C" fn collect(msg: *const c_char, arg: *mut c_void) {
    // SAFETY: `arg` is the `String` passed below, alive for the call;
    // mimalloc passes a NUL-terminated message.
    let (text, msg) = unsafe { (&mut *(arg as *mut String), CStr::from_ptr(msg)) };
    text.push_str(&msg.to_string_lossy());
}

fn options() -> String {
    let mut text = String::with_capacity(1 << 16);
    // SAFETY: `collect` matches mimalloc's output function type, and
    // `text` outlives the call.
    unsafe { mi_options_print_out(collect, &mut text as *mut String as *mut c_void) };
    text
}

/// The value mimalloc prints for option `name`.
fn option(text: &str, name: &str) -> Option<i64> {
    let head = format!("option '{name}': ");
    text.lines()
        .find_map(|l| l.strip_prefix(&head))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Run without `MIMALLOC_ARENA_EAGER_COMMIT` or `MIMALLOC_PURGE_DELAY` in
/// the environment: they would win over the allocator's defaults.
#[test]
fn allocator_commits_mimalloc_arenas_on_demand_and_purges_soon() {
    let v: Vec<u64> = (0..1000).collect();
    assert_eq!(v.iter().sum::<u64>(), 499_500);
    let text = options();
    assert_eq!(
        option(&text, "arena_eager_commit"),
        Some(0),
        "mimalloc's options:\n{text}"
    );
    assert_eq!(option(&text, "purge_delay"), Some(3), "{text}");
}
