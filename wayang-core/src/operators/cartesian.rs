//! Cartesian: every pair of records of two inputs.

use std::marker::PhantomData;

use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::Result;

/// The typed function of a Cartesian, erased.
pub trait CartesianKernel: Send + Sync {
    /// Pairs each record of `left` (streamed) with each record of `right`
    /// (materialised, so it can be shared by parallel tasks without copying).
    fn cross(&self, left: AnyIter, right: AnyVec) -> Result<AnyIter>;
}

/// The cross product; the output records are `(L, R)`.
#[derive(Clone)]
pub struct Cartesian {
    /// The typed function.
    pub kernel: std::sync::Arc<dyn CartesianKernel>,
    /// The left input's record type.
    pub left_type: DataType,
    /// The right input's record type.
    pub right_type: DataType,
    /// The output record type, `(L, R)`.
    pub output_type: DataType,
}

/// The typed [`CartesianKernel`].
pub struct CartesianFn<L, R>(PhantomData<fn(L, R)>);

impl<L, R> CartesianFn<L, R> {
    /// The kernel for `L` and `R`.
    pub fn new() -> Self {
        CartesianFn(PhantomData)
    }
}

impl<L, R> Default for CartesianFn<L, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: Data, R: Data> CartesianKernel for CartesianFn<L, R> {
    fn cross(&self, left: AnyIter, right: AnyVec) -> Result<AnyIter> {
        let right = right.downcast::<R>()?;
        let left = left.downcast::<L>()?;
        Ok(AnyIter::new(left.flat_map(move |l| {
            let right = right.clone();
            (0..right.len()).map(move |i| (l.clone(), right[i].clone()))
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosses_in_left_major_order() {
        let out: Vec<(u8, char)> = CartesianFn::<u8, char>::new()
            .cross(
                AnyIter::new([1u8, 2].into_iter()),
                AnyVec::new(vec!['x', 'y']),
            )
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(out, [(1, 'x'), (1, 'y'), (2, 'x'), (2, 'y')]);
        let empty = CartesianFn::<u8, char>::new()
            .cross(
                AnyIter::new([1u8].into_iter()),
                AnyVec::new(Vec::<char>::new()),
            )
            .unwrap();
        assert_eq!(empty.downcast::<(u8, char)>().unwrap().count(), 0);
    }
}
