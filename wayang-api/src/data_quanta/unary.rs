//! Operators on one input that need nothing of the record type but `Data`.

use wayang_core::operators::{
    Count, FilterFn, FlatMapFn, GlobalReduce, GlobalReduceFn, MapFn, MapPartitionsFn, Operator,
    Sample, Transform, TryFlatMapFn, TryMapFn,
};
use wayang_core::{BoxIter, Data, DataType};

use super::DataQuanta;

impl<T: Data> DataQuanta<T> {
    /// Applies `f` to each record.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![1, 2, 3]).map(|x| x * 10).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [10, 20, 30]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> DataQuanta<U> {
        self.then(Operator::Map(Transform::new::<T, U>(MapFn::new(f))), &[])
    }

    /// Applies `f` to each record and flattens the results.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec!["a b", "c"]).flat_map(|s| s.split(' ').collect::<Vec<_>>()).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, ["a", "b", "c"]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn flat_map<U, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> DataQuanta<U>
    where
        U: Data,
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.then(
            Operator::FlatMap(Transform::new::<T, U>(FlatMapFn::new(f))),
            &[],
        )
    }

    /// Applies a fallible `f` to each record; the first `Err` fails the job
    /// with an `Error::Execution` naming this operator and the error's text
    /// (say where the bad record came from in it).
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let _ = plan.read_collection(vec!["1", "x"]).try_map(|s| s.parse::<u8>().map_err(|e| format!("{s:?}: {e}"))).collect();
    /// let error = plan.execute(&ctx).unwrap_err().to_string();
    /// assert_eq!(error, "operator Map #1 failed: \"x\": invalid digit found in string");
    /// ```
    pub fn try_map<U: Data, E: std::fmt::Display>(
        &self,
        f: impl Fn(T) -> Result<U, E> + Send + Sync + 'static,
    ) -> DataQuanta<U> {
        self.then(Operator::Map(Transform::new::<T, U>(TryMapFn::new(f))), &[])
    }

    /// Like [`DataQuanta::flat_map`] with a fallible `f`: the first `Err`
    /// fails the job with an `Error::Execution` naming this operator.
    pub fn try_flat_map<U, I, E>(
        &self,
        f: impl Fn(T) -> Result<I, E> + Send + Sync + 'static,
    ) -> DataQuanta<U>
    where
        U: Data,
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
        E: std::fmt::Display,
    {
        self.then(
            Operator::FlatMap(Transform::new::<T, U>(TryFlatMapFn::new(f))),
            &[],
        )
    }

    /// Keeps the records for which `predicate` is true.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(1..=6).filter(|x| x % 2 == 0).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [2, 4, 6]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn filter(&self, predicate: impl Fn(&T) -> bool + Send + Sync + 'static) -> DataQuanta<T> {
        self.then(
            Operator::Filter(Transform::new::<T, T>(FilterFn::new(predicate))),
            &[],
        )
    }

    /// Applies `f` to a whole partition's stream at once (the whole input on
    /// a single-threaded platform), e.g. to set up state once per partition.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![1, 2, 3]).map_partitions(|it| std::iter::once(it.sum::<i32>())).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [6]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn map_partitions<U, I>(
        &self,
        f: impl Fn(BoxIter<T>) -> I + Send + Sync + 'static,
    ) -> DataQuanta<U>
    where
        U: Data,
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.then(
            Operator::MapPartitions(Transform::new::<T, U>(MapPartitionsFn::new(f))),
            &[],
        )
    }

    /// A uniform random sample of `size` records (all records if there are
    /// fewer). Use [`DataQuanta::sample_seeded`] for a reproducible sample.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(0..100).sample(5).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?.len(), 5);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn sample(&self, size: usize) -> DataQuanta<T> {
        self.sample_with(size, None)
    }

    /// Like [`DataQuanta::sample`], with a seed: the same input in the same
    /// order on the same platform gives the same sample.
    pub fn sample_seeded(&self, size: usize, seed: u64) -> DataQuanta<T> {
        self.sample_with(size, Some(seed))
    }

    fn sample_with(&self, size: usize, seed: Option<u64>) -> DataQuanta<T> {
        let data_type = DataType::of::<T>();
        self.then(
            Operator::Sample(Sample {
                size,
                seed,
                data_type,
            }),
            &[],
        )
    }

    /// The number of records, as a single `u64`.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec!['a', 'b']).count().collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [2]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn count(&self) -> DataQuanta<u64> {
        let input_type = DataType::of::<T>();
        self.then(Operator::Count(Count { input_type }), &[])
    }

    /// Combines all records into one with an associative, commutative `f`;
    /// an empty input gives no record.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![4, 9, 2]).reduce(|a, b| a.max(b)).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [9]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> DataQuanta<T> {
        let kernel = std::sync::Arc::new(GlobalReduceFn::new(f));
        let data_type = DataType::of::<T>();
        self.then(
            Operator::GlobalReduce(GlobalReduce { kernel, data_type }),
            &[],
        )
    }
}
