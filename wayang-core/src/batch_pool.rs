//! A small per-thread pool of batch buffers.
//!
//! Why: a batch buffer is a large allocation (24-32 KiB). glibc 2.36 answers each large
//! request by consolidating its fastbins first, and a WordCount batch frees about a
//! thousand small word strings into them, so every new batch buffer paid for a
//! consolidation pass. Handing an exhausted buffer to the next batch of the same record
//! type skips the large request altogether.
//!
//! Memory bound: at most [`POOL_BUFFERS`] buffers of at most [`MAX_POOLED_BYTES`] each per
//! thread, so 512 KiB a thread; a buffer that does not fit is simply freed. Buffers are
//! kept as the `Vec<T>` they are (boxed as `Any`), so reuse never mixes record types and
//! needs no unsafe code.

use std::any::Any;
use std::cell::RefCell;

/// How many buffers one thread keeps.
pub(crate) const POOL_BUFFERS: usize = 8;
/// The largest buffer kept; larger ones are freed as usual.
pub(crate) const MAX_POOLED_BYTES: usize = 64 * 1024;

thread_local! {
    static POOL: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// An empty `Vec<T>` with room for `capacity` records: a pooled buffer of exactly that
/// capacity when the thread holds one, a new one otherwise.
pub(crate) fn take<T: 'static>(capacity: usize) -> Vec<T> {
    if !poolable::<T>(capacity) {
        return Vec::with_capacity(capacity);
    }
    let found = POOL
        .try_with(|pool| {
            let mut pool = pool.try_borrow_mut().ok()?;
            let at = pool.iter().rposition(|buffer| {
                buffer
                    .downcast_ref::<Vec<T>>()
                    .is_some_and(|records| records.capacity() == capacity)
            })?;
            pool.swap_remove(at).downcast::<Vec<T>>().ok()
        })
        .ok()
        .flatten();
    match found {
        Some(records) => *records,
        None => Vec::with_capacity(capacity),
    }
}

/// Drops what `records` still holds and keeps its buffer for the next [`take`] of the same
/// type and capacity, or frees it when the pool is full or the buffer is not batch-sized.
pub(crate) fn give_back<T: 'static>(mut records: Vec<T>) {
    if !poolable::<T>(records.capacity()) {
        return;
    }
    records.clear();
    // If the thread is shutting down or the pool is busy, `records` is dropped as usual.
    let _ = POOL.try_with(move |pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            if pool.len() < POOL_BUFFERS {
                pool.push(Box::new(records));
            }
        }
    });
}

/// Whether a buffer of `capacity` records is worth keeping: it owns memory and is no
/// larger than a batch needs.
fn poolable<T>(capacity: usize) -> bool {
    let bytes = capacity.saturating_mul(std::mem::size_of::<T>());
    bytes > 0 && bytes <= MAX_POOLED_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_back_buffer_is_taken_again() {
        let mut first: Vec<u64> = take(1024);
        first.extend(0..10);
        let address = first.as_ptr();
        give_back(first);
        let second: Vec<u64> = take(1024);
        assert_eq!(second.as_ptr(), address);
        assert!(second.is_empty());
        assert_eq!(second.capacity(), 1024);
    }

    #[test]
    fn types_and_capacities_never_mix() {
        let bytes: Vec<u8> = take(8 * 1024);
        let address = bytes.as_ptr() as usize;
        give_back(bytes);
        let words: Vec<u64> = take(1024);
        assert_ne!(words.as_ptr() as usize, address);
        let fewer: Vec<u8> = take(4 * 1024);
        assert_ne!(fewer.as_ptr() as usize, address);
        assert_eq!(fewer.capacity(), 4 * 1024);
    }

    #[test]
    fn records_left_in_a_given_back_buffer_are_dropped() {
        let counter = std::rc::Rc::new(());
        let mut records = take(16);
        records.extend((0..5).map(|_| counter.clone()));
        assert_eq!(std::rc::Rc::strong_count(&counter), 6);
        give_back(records);
        assert_eq!(std::rc::Rc::strong_count(&counter), 1);
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_buffers() {
        let many: Vec<Vec<u32>> = (0..3 * POOL_BUFFERS).map(|_| take(100)).collect();
        for buffer in many {
            give_back(buffer);
        }
        let kept = POOL.with(|pool| pool.borrow().len());
        assert!(kept <= POOL_BUFFERS, "{kept} buffers kept");
    }

    #[test]
    fn large_and_zero_sized_buffers_are_not_pooled() {
        POOL.with(|pool| pool.borrow_mut().clear());
        give_back(Vec::<u8>::with_capacity(MAX_POOLED_BYTES + 1));
        give_back(Vec::<()>::with_capacity(10));
        give_back(Vec::<u8>::new());
        assert_eq!(POOL.with(|pool| pool.borrow().len()), 0);
    }
}
