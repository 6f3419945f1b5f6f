//! Sample: a uniform random sample of a fixed size.

use crate::data::DataType;

/// Keeps a uniform random sample of `size` records (all of them if there are
/// fewer). With a seed the sample is reproducible on the same platform and
/// input order.
#[derive(Clone, Debug)]
pub struct Sample {
    /// How many records to keep.
    pub size: usize,
    /// The random seed; `None` draws one per execution.
    pub seed: Option<u64>,
    /// The record type.
    pub data_type: DataType,
}

/// A small, fast, seedable generator (SplitMix64). Sampling needs uniform
/// indices, not cryptographic strength, and a fixed algorithm keeps seeded
/// samples stable across releases (which a dependency's generator may not).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// A generator seeded from the clock and a counter.
    pub fn from_entropy() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        SplitMix64(
            nanos
                ^ COUNTER
                    .fetch_add(0x9E37_79B9, Ordering::Relaxed)
                    .rotate_left(32),
        )
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

/// Reservoir sampling (Algorithm R) of `size` records from a stream.
pub fn reservoir<T>(records: impl Iterator<Item = T>, size: usize, rng: &mut SplitMix64) -> Vec<T> {
    let mut kept = Vec::with_capacity(size.min(1 << 16));
    if size == 0 {
        return kept;
    }
    for (seen, record) in records.enumerate() {
        if seen < size {
            kept.push(record);
        } else {
            let slot = rng.below(seen as u64 + 1) as usize;
            if slot < size {
                kept[slot] = record;
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservoir_keeps_size_and_draws_from_input() {
        let mut rng = SplitMix64::new(7);
        let sample = reservoir(0..1000u32, 10, &mut rng);
        assert_eq!(sample.len(), 10);
        assert!(sample.iter().all(|x| *x < 1000));
        let mut unique = sample.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_eq!(reservoir(0..3u32, 10, &mut rng), [0, 1, 2]);
        assert!(reservoir(0..3u32, 0, &mut rng).is_empty());
    }

    #[test]
    fn reservoir_is_roughly_uniform() {
        // Each of 10 values should be picked about 1/2 of the time for size 5.
        let mut hits = [0u32; 10];
        let mut rng = SplitMix64::new(42);
        for _ in 0..4000 {
            for x in reservoir(0..10usize, 5, &mut rng) {
                hits[x] += 1;
            }
        }
        assert!(hits.iter().all(|h| (1800..2200).contains(h)), "{hits:?}");
    }

    #[test]
    fn seeded_generator_is_reproducible() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix64::new(1);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix64::new(1);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
    }
}
