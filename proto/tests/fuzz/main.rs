//! Random and mutated parts and manifests, fed to the part reader, the
//! manifest parser and verify: whatever the bytes, they return (a value or
//! an error naming the file), never panic, never abort, and never hold much
//! memory.
//!
//! Memory is measured by this binary's global allocator, which counts every
//! allocation: the largest single one and the peak of live bytes must stay
//! under [`BOUND`] in every case. An allocation over [`REFUSED_OVER`] is
//! refused outright (the process aborts with "memory allocation of N bytes
//! failed"), so a regression cannot take the machine's memory with it.
//!
//! Besides pure random bytes the cases start from valid parts (written with
//! `PartWriter`) and valid manifests and mutate them: flipped, inserted and
//! removed bytes, cuts, length prefixes set to huge values (2^40, u64::MAX,
//! just over the 16 MiB limit), trailers and headers that lie, frames dropped
//! or repeated, and counts in the manifest set to huge values, so the cases
//! get past the gzip and header checks into the record decoding and the
//! comparisons.

#[path = "../common/mod.rs"]
mod common;
mod manifests;
mod mutations;
mod parts;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------
// Counting memory
// ---------------------------------------------------------------------------

/// The most memory one case may take: its largest allocation and its peak
/// of live bytes above what was live when it started.
const BOUND: usize = 64 << 20;

/// Allocations larger than this are refused (and the process aborts).
const REFUSED_OVER: usize = 256 << 20;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// [`System`], counting.
struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn admit(size: usize) -> bool {
    LARGEST.fetch_max(size, Ordering::Relaxed);
    size <= REFUSED_OVER
}

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(by: usize) {
    LIVE.fetch_sub(by, Ordering::Relaxed);
}

/// A new block of `size` bytes from `allocate`, if admitted, counted if
/// given.
fn counted(size: usize, allocate: impl FnOnce() -> *mut u8) -> *mut u8 {
    if !admit(size) {
        return std::ptr::null_mut();
    }
    let p = allocate();
    if !p.is_null() {
        grew(size);
    }
    p
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted(layout.size(), || unsafe { System.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted(layout.size(), || unsafe { System.alloc_zeroed(layout) })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !admit(new_size) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

/// One case at a time in this binary, so that what the counters see is
/// the case's.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `case` and fails if it took more than [`BOUND`] bytes.
fn bounded<T>(what: &str, case: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    LARGEST.store(0, Ordering::Relaxed);
    let out = case();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let largest = LARGEST.load(Ordering::Relaxed);
    prop_assert!(largest < BOUND, "{what}: one allocation of {largest} bytes");
    prop_assert!(peak < BOUND, "{what}: {peak} bytes live at the peak");
    Ok(out)
}

/// `text`, an error's message, starts with `path`: it names the file.
fn names(text: &str, path: &Path) -> Result<(), TestCaseError> {
    prop_assert!(
        text.starts_with(&path.display().to_string()),
        "the error names {}: {}",
        path.display(),
        text
    );
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn the_counter_sees_allocations() {
    let _serial = serial();
    let big = || std::hint::black_box(Vec::<u8>::with_capacity(2 * BOUND));
    let err = bounded("a big vector", big).unwrap_err();
    assert!(err.to_string().contains("one allocation of"), "{err}");
    assert!(bounded("a small vector", || vec![1u8; 1 << 20]).is_ok());
}
