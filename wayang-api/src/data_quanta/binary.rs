//! Operators that combine two data quanta of the same plan.

use std::hash::Hash;
use std::sync::Arc;

use wayang_core::operators::{
    Cartesian, CartesianFn, CoGroup, CoGroupFns, Join, JoinFns, Operator, Union,
};
use wayang_core::{Data, DataType};

use super::DataQuanta;

impl<T: Data> DataQuanta<T> {
    /// Inner equi-join: pairs each record with each record of `other` whose
    /// key is equal (Wayang's `join(keyExtractor0, that, keyExtractor1)`).
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let names = plan.read_collection(vec![(1, "ann"), (2, "bob")]);
    /// let ages = plan.read_collection(vec![(2, 40), (1, 30), (3, 99)]);
    /// let out = names.join(|n| n.0, &ages, |a| a.0).map(|(n, a)| (n.1, a.1)).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [("ann", 30), ("bob", 40)]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn join<R: Data, K: Hash + Eq + Send + 'static>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        other: &DataQuanta<R>,
        other_key: impl Fn(&R) -> K + Send + Sync + 'static,
    ) -> DataQuanta<(T, R)> {
        let right = self.same_plan(other, "join");
        self.then(
            Operator::Join(Join {
                kernel: Arc::new(JoinFns::new(key, other_key)),
                left_type: DataType::of::<T>(),
                right_type: DataType::of::<R>(),
                output_type: DataType::of::<(T, R)>(),
            }),
            &[right],
        )
    }

    /// All records of both inputs (duplicates kept).
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![1, 2]).union(&plan.read_collection(vec![2, 3])).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [1, 2, 2, 3]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn union(&self, other: &DataQuanta<T>) -> DataQuanta<T> {
        let right = self.same_plan(other, "union");
        let data_type = DataType::of::<T>();
        self.then(Operator::Union(Union { data_type }), &[right])
    }

    /// Every pair of a record of this input and a record of `other`.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![1, 2]).cartesian(&plan.read_collection(vec!['x'])).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [(1, 'x'), (2, 'x')]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn cartesian<R: Data>(&self, other: &DataQuanta<R>) -> DataQuanta<(T, R)> {
        let right = self.same_plan(other, "cartesian");
        self.then(
            Operator::Cartesian(Cartesian {
                kernel: Arc::new(CartesianFn::<T, R>::new()),
                left_type: DataType::of::<T>(),
                right_type: DataType::of::<R>(),
                output_type: DataType::of::<(T, R)>(),
            }),
            &[right],
        )
    }

    /// Groups both inputs by key: one `(key, these records, other records)`
    /// for every key that occurs on either side.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let left = plan.read_collection(vec![1, 11]);
    /// let right = plan.read_collection(vec![21, 2]);
    /// let out = left.co_group(|x| x % 10, &right, |y| y % 10).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [(1, vec![1, 11], vec![21]), (2, vec![], vec![2])]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn co_group<R: Data, K: Data + Hash + Eq>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        other: &DataQuanta<R>,
        other_key: impl Fn(&R) -> K + Send + Sync + 'static,
    ) -> DataQuanta<(K, Vec<T>, Vec<R>)> {
        let right = self.same_plan(other, "co_group");
        self.then(
            Operator::CoGroup(CoGroup {
                kernel: Arc::new(CoGroupFns::new(key, other_key)),
                left_type: DataType::of::<T>(),
                right_type: DataType::of::<R>(),
                output_type: DataType::of::<(K, Vec<T>, Vec<R>)>(),
            }),
            &[right],
        )
    }
}
