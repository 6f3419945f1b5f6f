//! Kafka sources and sinks: `PlanBuilder::read_kafka_topic` and
//! `DataQuanta::write_kafka_topic`, with Spark-like option names.
//!
//! A cluster is a [`KafkaCluster`]: an alias plus client properties, built in
//! code or loaded from a `.properties` file (`wayang_kafka::load_cluster`).
//! One plan may read from and write to any number of clusters.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wayang_core::formats::apache_avro::AvroSchema;
use wayang_core::formats::prost as prost_message;
use wayang_core::formats::registry::{RegistryCodec, SubjectOptions};
use wayang_core::formats::{Bincode, Bytes, Format, Json, Utf8};
use wayang_core::kafka::ChangelogEntry;
use wayang_core::operators::{
    ChangelogDecoder, KafkaTopicSink, KafkaTopicSource, Operator, RecordDecoder, RecordEncoder,
    RecordEncoderFns, RecordFunctions, RecordWithMetadataDecoder, RegistryDecoder,
    RegistryEncoderFns, RegistryKey, RegistryShape, ValueDecoder,
};
use wayang_core::{Data, DataType};

/// The Avro crate of the Avro formats (`Schema`, `types::Value`; derive
/// `AvroSchema` with `apache-avro`'s `derive` feature in your own
/// dependencies, same version).
pub use wayang_core::formats::apache_avro as avro;
/// A generic Avro value (`avro_generic`): records are `Value::Record`s of
/// named fields.
pub use wayang_core::formats::apache_avro::types::Value as AvroValue;
pub use wayang_core::formats::avro::{Avro, AvroGeneric};
pub use wayang_core::formats::json_schema::JsonSchema;
pub use wayang_core::formats::protobuf::Protobuf;
pub use wayang_core::formats::registry::SubjectNameStrategy;
pub use wayang_core::kafka::{
    BadRecordPolicy, ExactlyOnce, KafkaCluster, KafkaRecord, StartOffsets, StopOffsets,
    DEFAULT_POSITIONS_TOPIC,
};

use crate::{DataQuanta, PlanBuilder};

/// A Kafka source being configured; a format method (`json`, `string`,
/// `bytes`, `values::<F>`, `records::<F>`) adds it to the plan.
#[must_use = "a Kafka source is added by a format method: .json(), .string(), .values::<F>(), ..."]
pub struct KafkaSource {
    plan: PlanBuilder,
    cluster: KafkaCluster,
    topics: Vec<String>,
    start: StartOffsets,
    stop: StopOffsets,
    group: Option<String>,
    on_bad_record: BadRecordPolicy,
    table: bool,
    exactly_once: Option<ExactlyOnce>,
}

impl PlanBuilder {
    /// Reads `topic` of `cluster`: a bounded read from the starting offsets
    /// (default: earliest) to the ending offsets (default: the high watermark
    /// when the job starts).
    ///
    /// ```
    /// # use wayang_kafka::embedded::EmbeddedCluster;
    /// # let emea = EmbeddedCluster::start("emea", 1)?;
    /// # emea.create_topic("orders", 3)?;
    /// # emea.produce("orders", [(None::<&str>, "7"), (None, "35")])?;
    /// let plan = wayang_api::PlanBuilder::new();
    /// let total = plan.read_kafka_topic(&emea.cluster(), "orders").json::<u64>().reduce(|a, b| a + b).collect();
    /// plan.execute(&wayang_core::WayangContext::new().with(wayang_java::plugin()))?;
    /// assert_eq!(total.take()?, [42]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_kafka_topic(
        &self,
        cluster: &KafkaCluster,
        topic: impl Into<String>,
    ) -> KafkaSource {
        KafkaSource {
            plan: self.clone(),
            cluster: cluster.clone(),
            topics: vec![topic.into()],
            start: StartOffsets::default(),
            stop: StopOffsets::default(),
            group: None,
            on_bad_record: BadRecordPolicy::default(),
            table: false,
            exactly_once: None,
        }
    }
}

impl KafkaSource {
    /// Also reads `topic` (of the same cluster).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topics.push(topic.into());
        self
    }

    /// Where reading starts (Spark's `startingOffsets`).
    pub fn starting_offsets(mut self, start: StartOffsets) -> Self {
        self.start = start;
        self
    }

    /// Where reading stops (Spark's `endingOffsets`).
    pub fn ending_offsets(mut self, stop: StopOffsets) -> Self {
        self.stop = stop;
        self
    }

    /// Starts where `group` last committed (the earliest offset where it never
    /// did) and commits the offsets read to `group` once the whole job has
    /// succeeded: running the job again reads only what is new.
    pub fn resume_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self.start = StartOffsets::Committed {
            fallback: Box::new(StartOffsets::Earliest),
        };
        self
    }

    /// Commits the offsets read to `group` once the whole job has succeeded,
    /// whatever the starting offsets (Spark's `kafka.group.id`).
    pub fn commit_to_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// What to do with records that do not decode (default: fail the job).
    pub fn on_bad_record(mut self, policy: BadRecordPolicy) -> Self {
        self.on_bad_record = policy;
        self
    }

    /// Reads the topics as tables (changelogs, Kafka Streams' `KTable`):
    /// the latest record per key in partition order, a tombstone (a record
    /// without a value) deleting its key. The whole topic is read, from the
    /// earliest offset, whatever [`KafkaSource::starting_offsets`] says;
    /// every record must have a key (a keyless one is a bad record), and a
    /// key found in two partitions fails the job (which of its records is
    /// the latest would be undefined). Compacted topics
    /// (`cleanup.policy=compact`) keep such reads short.
    ///
    /// ```
    /// # use wayang_kafka::embedded::EmbeddedCluster;
    /// # let emea = EmbeddedCluster::start("emea", 1)?;
    /// # emea.create_topic("prices", 2)?;
    /// emea.produce_changes("prices", [("tea", Some("3")), ("coffee", Some("4")), ("tea", Some("5")), ("coffee", None)])?;
    /// let plan = wayang_api::PlanBuilder::new();
    /// let prices = plan.read_kafka_topic(&emea.cluster(), "prices").as_table().json::<u32>().collect();
    /// plan.execute(&wayang_core::WayangContext::new().with(wayang_java::plugin()))?;
    /// assert_eq!(prices.take()?, [5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_table(mut self) -> Self {
        self.table = true;
        self
    }

    /// Makes the source part of an exactly-once job: it starts where the
    /// job's last committed run stopped (where it never ran: at the
    /// starting offsets), and the positions it reaches are committed in the
    /// job's sink transaction. The plan must have a Kafka sink with the
    /// same [`ExactlyOnce`] binding. See [`KafkaSink::exactly_once`].
    pub fn exactly_once(mut self, job: &ExactlyOnce) -> Self {
        self.exactly_once = Some(job.clone());
        self
    }

    /// The values, decoded with format `F`.
    pub fn values<F: Format>(self) -> DataQuanta<F::Value> {
        if self.table {
            return self.table_of::<F::Value>(Arc::new(ChangelogDecoder::<F, false>::default()));
        }
        self.add(
            Arc::new(ValueDecoder::<F>::default()),
            DataType::of::<F::Value>(),
        )
    }

    /// The records with key, partition, offset, timestamp and headers, their
    /// values decoded with format `F`.
    pub fn records<F: Format>(self) -> DataQuanta<KafkaRecord<F::Value>> {
        if self.table {
            return self.table_of::<KafkaRecord<F::Value>>(Arc::new(
                ChangelogDecoder::<F, true>::default(),
            ));
        }
        self.add(
            Arc::new(RecordWithMetadataDecoder::<F>::default()),
            DataType::of::<KafkaRecord<F::Value>>(),
        )
    }

    /// A table read: the changelog's entries, the latest per (topic, key)
    /// (an ordinary reduce-by-key, so it runs on any platform), then the
    /// live rows.
    fn table_of<R: Data>(self, decoder: Arc<dyn RecordDecoder>) -> DataQuanta<R> {
        let alias = self.cluster.alias().to_string();
        let entries: DataQuanta<ChangelogEntry<R>> =
            self.add(decoder, DataType::of::<ChangelogEntry<R>>());
        entries
            .reduce_by_key(|e| (e.topic.clone(), e.key.clone()), ChangelogEntry::later)
            .named(format!("latest per key ({alias})"))
            .try_flat_map(move |entry: ChangelogEntry<R>| {
                entry
                    .live()
                    .map_err(|reason| format!("cluster {alias:?}: {reason}"))
            })
    }

    /// The values, decoded from a Schema Registry format with `codec`
    /// (each record's writer schema is fetched by the id it carries, once,
    /// from the cluster's registry: `schema.registry.url` in its
    /// properties).
    pub fn registry_values<C: RegistryCodec>(self, codec: C) -> DataQuanta<C::Value> {
        if self.table {
            let decoder = RegistryDecoder::new(codec, RegistryShape::Changelog);
            return self.table_of::<C::Value>(Arc::new(decoder));
        }
        let decoder = RegistryDecoder::new(codec, RegistryShape::Values);
        self.add(Arc::new(decoder), DataType::of::<C::Value>())
    }

    /// The records with their metadata, values decoded from a Schema
    /// Registry format with `codec`.
    pub fn registry_records<C: RegistryCodec>(self, codec: C) -> DataQuanta<KafkaRecord<C::Value>> {
        if self.table {
            let decoder = RegistryDecoder::new(codec, RegistryShape::ChangelogRecords);
            return self.table_of::<KafkaRecord<C::Value>>(Arc::new(decoder));
        }
        let decoder = RegistryDecoder::new(codec, RegistryShape::Records);
        self.add(Arc::new(decoder), DataType::of::<KafkaRecord<C::Value>>())
    }

    /// The values, decoded from Avro in Confluent's wire format: each
    /// record's writer schema (fetched by id from the cluster's registry) is
    /// resolved against `T`'s schema (its [`AvroSchema`]), so records
    /// written with an older or newer schema are read as Avro's schema
    /// evolution rules say. A writer schema that does not resolve is a bad
    /// record under the source's policy.
    ///
    /// ```
    /// use apache_avro::AvroSchema;
    /// # use wayang_kafka::embedded::EmbeddedCluster;
    /// # use wayang_kafka::registry::embedded::EmbeddedRegistry;
    /// #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, AvroSchema)]
    /// struct Order { id: String, cents: i64 }
    ///
    /// let registry = EmbeddedRegistry::start()?;
    /// let emea = EmbeddedCluster::start("emea", 1)?;
    /// # emea.create_topic("orders", 1)?;
    /// let cluster = registry.attach(emea.cluster());
    /// let plan = wayang_api::PlanBuilder::new();
    /// plan.read_collection(vec![Order { id: "a".into(), cents: 250 }])
    ///     .write_kafka_topic(&cluster, "orders").avro();
    /// plan.execute(&wayang_core::WayangContext::new().with(wayang_java::plugin()))?;
    ///
    /// let plan = wayang_api::PlanBuilder::new();
    /// let orders = plan.read_kafka_topic(&cluster, "orders").avro::<Order>().collect();
    /// plan.execute(&wayang_core::WayangContext::new().with(wayang_java::plugin()))?;
    /// assert_eq!(orders.take()?, [Order { id: "a".into(), cents: 250 }]);
    /// assert!(registry.subjects().contains_key("orders-value"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn avro<T: Data + Serialize + DeserializeOwned + AvroSchema>(self) -> DataQuanta<T> {
        let topic = self.topics.first().cloned().unwrap_or_default();
        match Avro::<T>::new() {
            Ok(codec) => self.registry_values(codec),
            Err(reason) => {
                let empty = self.plan.read_collection(Vec::<T>::new());
                empty.plan_error(format!(
                    "the Avro source of topic {topic:?}: the reader's schema is unusable: {reason}"
                ));
                empty
            }
        }
    }

    /// The values as generic Avro values, each decoded with the schema it
    /// was written with (for jobs that do not know the schema in advance).
    pub fn avro_generic(self) -> DataQuanta<AvroValue> {
        self.registry_values(AvroGeneric::new())
    }

    /// The values, decoded from JSON Schema framing (the registry's schema
    /// id is checked; `T`'s serde implementation is the reader's schema).
    pub fn json_schema<T: Data + Serialize + DeserializeOwned>(self) -> DataQuanta<T> {
        self.registry_values(JsonSchema::<T>::new())
    }

    /// The values, decoded from Protobuf framing as `prost` messages `M` (the
    /// first message of the writer's schema; see
    /// [`Protobuf::message_index`] through [`KafkaSource::registry_values`]
    /// for another).
    pub fn protobuf<M: prost_message::Message + Default + Data>(self) -> DataQuanta<M> {
        self.registry_values(Protobuf::<M>::new())
    }

    /// The values, decoded from JSON.
    pub fn json<T: Data + Serialize + DeserializeOwned>(self) -> DataQuanta<T> {
        self.with_wire_codecs::<T>().values::<Json<T>>()
    }

    /// The values, decoded with bincode.
    pub fn bincode<T: Data + Serialize + DeserializeOwned>(self) -> DataQuanta<T> {
        self.with_wire_codecs::<T>().values::<Bincode<T>>()
    }

    /// Gives `T` (and a table's changelog entries of it) a wire codec, so
    /// that the operators reading them can run on a remote engine (a Spark
    /// cluster): a serde type needs nothing more from the user.
    fn with_wire_codecs<T: Data + Serialize + DeserializeOwned>(self) -> Self {
        wayang_core::remote::register::<T>();
        if self.table {
            wayang_core::remote::register::<ChangelogEntry<T>>();
        }
        self
    }

    /// The values as UTF-8 strings.
    pub fn string(self) -> DataQuanta<String> {
        self.values::<Utf8>()
    }

    /// The values as raw bytes.
    pub fn bytes(self) -> DataQuanta<Vec<u8>> {
        self.values::<Bytes>()
    }

    fn add<T: Data>(
        self,
        decoder: Arc<dyn wayang_core::operators::RecordDecoder>,
        output_type: DataType,
    ) -> DataQuanta<T> {
        let source = KafkaTopicSource {
            cluster: self.cluster,
            topics: self.topics,
            start: self.start,
            stop: self.stop,
            group: self.group,
            on_bad_record: self.on_bad_record,
            table: self.table,
            exactly_once: self.exactly_once,
            decoder,
            output_type,
        };
        self.plan.source(Operator::KafkaTopicSource(source))
    }
}

/// A Kafka sink being configured; a format method (`json`, `string`,
/// `bytes`, `bincode`, `format::<F>`) adds it to the plan.
#[must_use = "a Kafka sink is added by a format method: .json(), .string(), .bytes(), .format::<F>()"]
pub struct KafkaSink<T> {
    input: DataQuanta<T>,
    cluster: KafkaCluster,
    topic: String,
    transactional_id: Option<String>,
    exactly_once: Option<ExactlyOnce>,
    table: bool,
    subject: SubjectOptions,
    functions: RecordFunctions<T>,
}

impl<T: Data> DataQuanta<T> {
    /// Writes the records to `topic` of `cluster`. The job succeeds only if
    /// every record was delivered (every delivery report is checked).
    ///
    /// ```
    /// # use wayang_kafka::embedded::EmbeddedCluster;
    /// # let zone_b = EmbeddedCluster::start("zone-b", 1)?;
    /// # zone_b.create_topic("averages", 2)?;
    /// let plan = wayang_api::PlanBuilder::new();
    /// plan.read_collection(vec![("food".to_string(), 12.5)])
    ///     .write_kafka_topic(&zone_b.cluster(), "averages")
    ///     .key(|(category, _)| category.clone())
    ///     .json();
    /// plan.execute(&wayang_core::WayangContext::new().with(wayang_java::plugin()))?;
    /// let stored = zone_b.read_all("averages")?;
    /// assert_eq!(stored[0].key.as_deref(), Some(&b"food"[..]));
    /// assert_eq!(stored[0].value.as_deref(), Some(&b"[\"food\",12.5]"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_kafka_topic(
        &self,
        cluster: &KafkaCluster,
        topic: impl Into<String>,
    ) -> KafkaSink<T> {
        KafkaSink {
            input: self.clone(),
            cluster: cluster.clone(),
            topic: topic.into(),
            transactional_id: None,
            exactly_once: None,
            table: false,
            subject: SubjectOptions::default(),
            functions: RecordFunctions::default(),
        }
    }
}

impl<T: Data> KafkaSink<T> {
    /// Keys each record (the producer partitions by key, as Java clients do).
    pub fn key<K: AsRef<[u8]>>(mut self, key: impl Fn(&T) -> K + Send + Sync + 'static) -> Self {
        self.functions.registry_key = None;
        self.functions.key = Some(Arc::new(move |record| key(record).as_ref().to_vec()));
        self
    }

    /// Keys each record with `key(record)` encoded in the Schema Registry
    /// format `codec` (subject `<topic>-key` under the default strategy;
    /// registered or looked up as the sink's
    /// [`KafkaSink::auto_register_schemas`] says). Replaces
    /// [`KafkaSink::key`]; set the subject options before it.
    pub fn key_in<C: RegistryCodec>(
        mut self,
        codec: C,
        key: impl Fn(&T) -> C::Value + Send + Sync + 'static,
    ) -> Self {
        self.functions.key = None;
        self.functions.registry_key = Some(Arc::new(RegistryKey::new(codec, self.subject, key)));
        self
    }

    /// Keys each record with `key(record)` as Avro with `K`'s schema (see
    /// [`KafkaSink::key_in`]).
    pub fn key_avro<K: Data + Serialize + DeserializeOwned + AvroSchema>(
        self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> Self {
        match Avro::<K>::new() {
            Ok(codec) => self.key_in(codec, key),
            Err(reason) => {
                self.input.plan_error(format!(
                    "the Kafka sink of topic {:?}: the key's Avro schema is unusable: {reason}",
                    self.topic
                ));
                self
            }
        }
    }

    /// Chooses each record's partition explicitly.
    pub fn partition(mut self, partition: impl Fn(&T) -> i32 + Send + Sync + 'static) -> Self {
        self.functions.partition = Some(Arc::new(partition));
        self
    }

    /// Sets each record's timestamp (ms since the epoch).
    pub fn timestamp(mut self, timestamp: impl Fn(&T) -> i64 + Send + Sync + 'static) -> Self {
        self.functions.timestamp = Some(Arc::new(timestamp));
        self
    }

    /// Adds headers to each record.
    pub fn headers(
        mut self,
        headers: impl Fn(&T) -> Vec<(String, Vec<u8>)> + Send + Sync + 'static,
    ) -> Self {
        self.functions.headers = Some(Arc::new(headers));
        self
    }

    /// Writes in one transaction: the records become visible to
    /// `read_committed` readers only if, and when, the whole job succeeds.
    pub fn transactional(mut self, transactional_id: impl Into<String>) -> Self {
        self.transactional_id = Some(transactional_id.into());
        self
    }

    /// Commits the records and the positions of the job's exactly-once
    /// sources (those with the same binding) in one transaction on this
    /// sink's cluster, which must be the binding's cluster. A job that fails
    /// anywhere publishes nothing `read_committed` readers can see and
    /// moves no position; its next run resumes where the last committed
    /// one stopped. A newer run of the same job fences an older one still
    /// running. Replaces [`KafkaSink::transactional`].
    ///
    /// ```
    /// # use wayang_kafka::embedded::EmbeddedCluster;
    /// use wayang_api::kafka::ExactlyOnce;
    /// # let emea = EmbeddedCluster::start("emea", 1)?;
    /// # let zone_b = EmbeddedCluster::start("zone-b", 1)?;
    /// # emea.create_topic("orders", 1)?;
    /// # zone_b.create_topic("copies", 1)?;
    /// # zone_b.create_topic("wayang-positions", 1)?;
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let eos = ExactlyOnce::new("copy-orders", &zone_b.cluster());
    /// let run = || {
    ///     let plan = wayang_api::PlanBuilder::new();
    ///     plan.read_kafka_topic(&emea.cluster(), "orders").exactly_once(&eos).string()
    ///         .write_kafka_topic(&zone_b.cluster(), "copies").exactly_once(&eos).string();
    ///     plan.execute(&ctx)
    /// };
    /// emea.produce("orders", [(None::<&str>, "a"), (None, "b")])?;
    /// run()?;
    /// emea.produce("orders", [(None::<&str>, "c")])?;
    /// run()?; // resumes after "b"
    /// assert_eq!(zone_b.read_all("copies")?.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exactly_once(mut self, job: &ExactlyOnce) -> Self {
        self.exactly_once = Some(job.clone());
        self.transactional_id = None;
        self
    }

    /// Makes the topic a table that this job's output replaces: every
    /// record must be keyed (`key`) and each key may come once; keys the
    /// topic held before that the job did not write get a tombstone, so
    /// that reading the topic as a table ([`KafkaSource::as_table`]) gives
    /// exactly this job's output. Tombstones go to the partition the key
    /// was in: keep the partition count and the key function stable.
    pub fn as_table(mut self) -> Self {
        self.table = true;
        self
    }

    /// How the subject of a Schema Registry format is named (default:
    /// [`SubjectNameStrategy::TopicName`], `<topic>-value`).
    pub fn subject_name_strategy(mut self, strategy: SubjectNameStrategy) -> Self {
        self.subject.strategy = strategy;
        self
    }

    /// Whether a Schema Registry format registers its schema under the
    /// subject (default: yes, and the registry checks compatibility) or
    /// only looks it up, failing if the subject does not hold it
    /// (Confluent's `auto.register.schemas=false`, for registries where
    /// jobs may not register).
    pub fn auto_register_schemas(mut self, register: bool) -> Self {
        self.subject.auto_register = register;
        self
    }

    /// Adds the sink, encoding values with format `F`.
    pub fn format<F: Format<Value = T>>(self) {
        self.add_with((), |functions, ()| {
            Arc::new(RecordEncoderFns::<T, F>::new(functions))
        });
    }

    /// Adds the sink, encoding values with the Schema Registry format
    /// `codec` in Confluent's wire format: its schema is registered (or
    /// looked up, see [`KafkaSink::auto_register_schemas`]) under the
    /// subject the strategy names before the first record is sent.
    pub fn registry_format<C: RegistryCodec<Value = T>>(self, codec: C) {
        let subject = self.subject;
        self.add_with(codec, move |functions, codec| {
            Arc::new(RegistryEncoderFns::new(codec, subject, functions))
        });
    }

    fn add_with<X>(
        self,
        extra: X,
        encoder: impl FnOnce(RecordFunctions<T>, X) -> Arc<dyn RecordEncoder>,
    ) {
        if self.table && !self.functions.has_key() {
            self.input.plan_error(format!(
                "the Kafka table sink of topic {:?} has no key: add .key(..) before .as_table()",
                self.topic
            ));
        }
        let encoder = encoder(self.functions, extra);
        let sink = KafkaTopicSink {
            cluster: self.cluster,
            topic: self.topic,
            encoder,
            transactional_id: self.transactional_id,
            exactly_once: self.exactly_once,
            table: self.table,
            input_type: DataType::of::<T>(),
        };
        self.input.then::<()>(Operator::KafkaTopicSink(sink), &[]);
    }
}

impl<T: Data + Serialize + DeserializeOwned> KafkaSink<T> {
    /// Adds the sink, encoding values as JSON.
    pub fn json(self) {
        self.format::<Json<T>>();
    }

    /// Adds the sink, encoding values with bincode.
    pub fn bincode(self) {
        self.format::<Bincode<T>>();
    }
}

impl KafkaSink<String> {
    /// Adds the sink, writing the strings as UTF-8.
    pub fn string(self) {
        self.format::<Utf8>();
    }
}

impl KafkaSink<Vec<u8>> {
    /// Adds the sink, writing the bytes as they are.
    pub fn bytes(self) {
        self.format::<Bytes>();
    }
}

impl<T: Data + Serialize + DeserializeOwned + AvroSchema> KafkaSink<T> {
    /// Adds the sink, encoding values as Avro with `T`'s schema in
    /// Confluent's wire format (see [`KafkaSink::registry_format`]).
    pub fn avro(self) {
        match Avro::<T>::new() {
            Ok(codec) => self.registry_format(codec),
            Err(reason) => self.input.plan_error(format!(
                "the Avro sink of topic {:?}: the schema is unusable: {reason}",
                self.topic
            )),
        }
    }
}

impl KafkaSink<AvroValue> {
    /// Adds the sink, encoding generic Avro values with `schema` (Avro
    /// JSON) in Confluent's wire format.
    pub fn avro_generic(self, schema: &str) {
        match AvroGeneric::writing(schema) {
            Ok(codec) => self.registry_format(codec),
            Err(reason) => self
                .input
                .plan_error(format!("the Avro sink of topic {:?}: {reason}", self.topic)),
        }
    }
}

impl<T: Data + Serialize + DeserializeOwned> KafkaSink<T> {
    /// Adds the sink, encoding values as JSON framed for the registry,
    /// registering `schema` (a JSON Schema document). Values are not
    /// validated against it (as with Confluent's default,
    /// `json.fail.invalid.schema=false`).
    pub fn json_schema(self, schema: &str) {
        match JsonSchema::<T>::writing(schema) {
            Ok(codec) => self.registry_format(codec),
            Err(reason) => self.input.plan_error(format!(
                "the JSON Schema sink of topic {:?}: {reason}",
                self.topic
            )),
        }
    }
}

impl<M: prost_message::Message + Default + Data> KafkaSink<M> {
    /// Adds the sink, encoding `prost` messages framed for the registry,
    /// registering `schema` (the `.proto` file's text; `M` is its first
    /// message, see [`Protobuf::message_index`]).
    pub fn protobuf(self, schema: &str) {
        match Protobuf::<M>::writing(schema) {
            Ok(codec) => self.registry_format(codec),
            Err(reason) => self.input.plan_error(format!(
                "the Protobuf sink of topic {:?}: {reason}",
                self.topic
            )),
        }
    }
}
