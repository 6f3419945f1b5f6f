//! Operators that group, order or deduplicate records by a key.

use std::hash::Hash;
use std::sync::Arc;

use wayang_core::job::fail_record;
use wayang_core::operators::{
    Distinct, DistinctFns, GroupBy, GroupByFns, Operator, ReduceBy, ReduceByFns, ReduceValuesFns,
    Sort, SortFns, WithKey,
};
use wayang_core::{Data, DataType};

use super::DataQuanta;

impl<T: Data> DataQuanta<T> {
    /// Combines all records with equal keys into one with `reduce`, which must
    /// be associative and commutative (partial results may be combined in any
    /// order). Output order is not defined across platforms.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan
    ///     .read_collection(vec![("a", 1), ("b", 2), ("a", 3)])
    ///     .reduce_by_key(|(k, _)| *k, |(k, x), (_, y)| (k, x + y))
    ///     .collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [("a", 4), ("b", 2)]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn reduce_by_key<K>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        reduce: impl Fn(T, T) -> T + Send + Sync + 'static,
    ) -> DataQuanta<T>
    where
        K: Hash + Eq + Send + 'static,
    {
        let kernel = Arc::new(ReduceByFns::new(key, reduce));
        let data_type = DataType::of::<T>();
        self.then(Operator::ReduceBy(ReduceBy { kernel, data_type }), &[])
    }

    /// Like [`DataQuanta::reduce_by_key`] with a fallible `reduce`: the
    /// first `Err` fails the job with an `Error::Execution` naming this
    /// operator and the error's text. For combinations that cannot always
    /// be computed exactly (sums that may overflow).
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let _ = plan
    ///     .read_collection(vec![("a", i64::MAX), ("a", 1)])
    ///     .try_reduce_by_key(|(k, _)| *k, |(k, x), (_, y)| {
    ///         x.checked_add(y).map(|s| (k, s)).ok_or_else(|| format!("{k}: the sum overflows"))
    ///     })
    ///     .collect();
    /// let error = plan.execute(&ctx).unwrap_err().to_string();
    /// assert_eq!(error, "operator ReduceBy #1 failed: a: the sum overflows");
    /// ```
    pub fn try_reduce_by_key<K, E>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        reduce: impl Fn(T, T) -> Result<T, E> + Send + Sync + 'static,
    ) -> DataQuanta<T>
    where
        K: Hash + Eq + Send + 'static,
        E: std::fmt::Display,
    {
        self.reduce_by_key(key, move |a, b| {
            reduce(a, b).unwrap_or_else(|e| fail_record(e.to_string()))
        })
    }

    /// Groups records by key into `(key, records)`; records keep their input
    /// order within a group.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![1, 2, 3, 4]).group_by_key(|x| x % 2).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [(1, vec![1, 3]), (0, vec![2, 4])]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn group_by_key<K>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> DataQuanta<(K, Vec<T>)>
    where
        K: Data + Hash + Eq,
    {
        self.then(
            Operator::GroupBy(GroupBy {
                kernel: Arc::new(GroupByFns::new(key)),
                input_type: DataType::of::<T>(),
                output_type: DataType::of::<(K, Vec<T>)>(),
            }),
            &[],
        )
    }

    /// Orders records by `key`, ascending (wrap the key in
    /// `std::cmp::Reverse` for descending); equal keys keep input order.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec!["ccc", "a", "bb"]).sort_by(|s| s.len()).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, ["a", "bb", "ccc"]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn sort_by<K: Ord + 'static>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> DataQuanta<T> {
        let kernel = Arc::new(SortFns::new(key));
        let data_type = DataType::of::<T>();
        self.then(Operator::Sort(Sort { kernel, data_type }), &[])
    }
}

impl<T: Data + Hash + Eq> DataQuanta<T> {
    /// Removes duplicate records.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![2, 1, 2, 2, 1]).distinct().collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [2, 1]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn distinct(&self) -> DataQuanta<T> {
        let kernel = Arc::new(DistinctFns::<T>::new());
        let data_type = DataType::of::<T>();
        self.then(Operator::Distinct(Distinct { kernel, data_type }), &[])
    }
}

impl<K, V> DataQuanta<(K, V)>
where
    (K, V): Data,
    K: Hash + Eq + Send + 'static,
    V: Send + 'static,
{
    /// For pair records `(key, value)`: combines the values of equal keys
    /// with an associative, commutative `reduce` (Spark's `reduceByKey` on
    /// pairs). The same operator as [`DataQuanta::reduce_by_key`] with the
    /// first field as key, but the key is moved, never cloned: cheaper
    /// when keys own memory (strings). Output order is not defined across
    /// platforms (java keeps first appearance).
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan
    ///     .read_collection(vec![("a".to_string(), 1), ("b".into(), 2), ("a".into(), 3)])
    ///     .reduce_values_by_key(|x, y| x + y)
    ///     .collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [("a".to_string(), 4), ("b".into(), 2)]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn reduce_values_by_key(
        &self,
        reduce: impl Fn(V, V) -> V + Send + Sync + 'static,
    ) -> DataQuanta<(K, V)> {
        let kernel = Arc::new(ReduceValuesFns::new(reduce));
        let data_type = DataType::of::<(K, V)>();
        self.then(Operator::ReduceBy(ReduceBy { kernel, data_type }), &[])
    }

    /// Like [`DataQuanta::reduce_values_by_key`] with a fallible `reduce`:
    /// the first `Err` fails the job with an `Error::Execution` naming this
    /// operator, the key and the error's text (sums that may overflow).
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let _ = plan
    ///     .read_collection(vec![("a", u64::MAX), ("a", 1)])
    ///     .try_reduce_values_by_key(|x: u64, y| x.checked_add(y).ok_or("the count overflows"))
    ///     .collect();
    /// let error = plan.execute(&ctx).unwrap_err().to_string();
    /// assert_eq!(error, "operator ReduceBy #1 failed: key \"a\": the count overflows");
    /// ```
    pub fn try_reduce_values_by_key<E: std::fmt::Display>(
        &self,
        reduce: impl Fn(V, V) -> Result<V, E> + Send + Sync + 'static,
    ) -> DataQuanta<(K, V)>
    where
        K: std::fmt::Debug,
    {
        let combine = WithKey(move |key: &K, a, b| {
            reduce(a, b).unwrap_or_else(|e| fail_record(format!("key {key:?}: {e}")))
        });
        let kernel = Arc::new(ReduceValuesFns::new(combine));
        let data_type = DataType::of::<(K, V)>();
        self.then(Operator::ReduceBy(ReduceBy { kernel, data_type }), &[])
    }
}
