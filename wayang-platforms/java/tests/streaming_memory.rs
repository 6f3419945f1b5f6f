//! Narrow operators stream: the peak heap of a text-file pipeline does not
//! grow with the size of the file. Measured with a counting allocator, so
//! this file holds a single test (tests in one binary share the allocator).

// A global allocator can only be written with `unsafe`; it is test code.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use wayang_api::{PlanBuilder, WayangContext};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs read -> flat_map -> map -> filter -> for_each over a file of `lines`
/// lines and returns (peak heap growth in bytes, words seen).
fn peak_growth(lines: usize) -> (usize, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.txt");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..lines {
        writeln!(file, "line {i} holds some wörds and numbers {}", i * 7).unwrap();
    }
    drop(file);

    let seen = Arc::new(AtomicU64::new(0));
    let plan = PlanBuilder::new();
    let counter = seen.clone();
    plan.read_text_file(&path)
        .flat_map(|line| line.split(' ').map(str::to_string).collect::<Vec<_>>())
        .map(|word| word.to_uppercase())
        .filter(|word| !word.is_empty())
        .for_each(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
    let ctx = WayangContext::new().with(wayang_java::plugin());

    let baseline = CURRENT.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    plan.execute(&ctx).unwrap();
    (
        PEAK.load(Ordering::Relaxed) - baseline,
        seen.load(Ordering::Relaxed),
    )
}

#[test]
fn narrow_pipeline_memory_does_not_grow_with_input() {
    let (small_peak, small_words) = peak_growth(20_000);
    let (large_peak, large_words) = peak_growth(200_000);
    assert_eq!(small_words, 20_000 * 8);
    assert_eq!(large_words, 200_000 * 8);
    // The large file is ~9 MB; a pipeline that buffered it would peak far
    // above this. Streaming needs the read buffer and a few records.
    assert!(
        large_peak < 1 << 20,
        "peak heap growth {large_peak} bytes for 200k lines"
    );
    assert!(
        large_peak < small_peak * 2 + (64 << 10),
        "peak grew with input: {small_peak} bytes for 20k lines, {large_peak} for 200k"
    );
}
