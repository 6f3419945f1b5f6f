//! Producing records to a topic, with every delivery report checked, and
//! the transaction steps of transactional sinks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::TopicPartitionList;
use wayang_core::kafka::{KafkaCluster, OutgoingRecord};

use crate::client::{self, redact, ClientEvents};
use crate::error::{ErrorCode, KafkaError};
use crate::offsets::{admin_consumer, partitions};
use crate::settings::KafkaSettings;

/// The offsets a write delivered to one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveredRange {
    /// The first offset delivered.
    pub first: i64,
    /// The last offset delivered.
    pub last: i64,
    /// How many records.
    pub records: u64,
}

/// Counts delivery reports; keeps the first failure and, if asked, the
/// offsets delivered per (topic, partition).
pub(crate) struct DeliveryTracker {
    events: ClientEvents,
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<(String, Option<ErrorCode>)>>,
    ranges: Option<Mutex<BTreeMap<(String, i32), DeliveredRange>>>,
}

impl ClientContext for DeliveryTracker {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.events.log(level, facility, message);
    }

    fn error(&self, error: RdError, reason: &str) {
        self.events.error(error, reason);
    }
}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(message) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
                if let Some(ranges) = &self.ranges {
                    let key = (message.topic().to_string(), message.partition());
                    let offset = message.offset();
                    let mut ranges = ranges.lock().unwrap_or_else(PoisonError::into_inner);
                    let range = ranges.entry(key).or_insert(DeliveredRange {
                        first: offset,
                        last: offset,
                        records: 0,
                    });
                    range.first = range.first.min(offset);
                    range.last = range.last.max(offset);
                    range.records += 1;
                }
            }
            Err((error, message)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self
                    .first_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if first.is_none() {
                    *first = Some((
                        format!("partition {}: {error}", message.partition()),
                        ErrorCode::of(error),
                    ));
                }
            }
        }
    }
}

/// How a writer is opened.
#[derive(Clone, Debug, Default)]
pub struct WriterOptions {
    /// A transactional id: every record of the write becomes visible
    /// together, when the transaction commits.
    pub transactional_id: Option<String>,
    /// Whether to keep the offsets delivered per partition (for the
    /// exactly-once positions record).
    pub track_offsets: bool,
}

/// Writes records to one topic of one cluster. It is `Sync`: parallel tasks
/// share one writer (librdkafka's producer is thread-safe and batches across
/// them), so there is one flush, one delivery check and one transaction per
/// sink. Dropped before its transaction commits, it aborts it.
pub struct TopicWriter {
    producer: BaseProducer<DeliveryTracker>,
    cluster: KafkaCluster,
    topic: String,
    sent: AtomicU64,
    settings: KafkaSettings,
    transactional: bool,
    transaction_open: bool,
}

/// How often (in records) delivery reports are served while sending.
const POLL_EVERY: u64 = 1024;

impl TopicWriter {
    /// Opens a writer; the topic must exist. With a transactional id, the
    /// transaction is initialised (fencing any older producer with the same
    /// id) and begun.
    pub fn open(
        cluster: &KafkaCluster,
        topic: &str,
        options: &WriterOptions,
        settings: &KafkaSettings,
    ) -> Result<Self, KafkaError> {
        // Checked with a consumer, which never auto-creates topics.
        partitions(&admin_consumer(cluster, None)?, cluster, topic, settings)?;
        // Idempotence avoids duplicates on retries; murmur2 partitions keys as
        // Java clients do, so keyed data lands where Java consumers expect it.
        // A transaction spans the whole job (an exactly-once one: from
        // planning to the job's commit), so it may live longer than
        // librdkafka's default 60 s: 15 minutes, Kafka brokers' default
        // `transaction.max.timeout.ms`, unless the cluster's file says.
        let mut defaults = vec![
            ("enable.idempotence", "true"),
            ("partitioner", "murmur2_random"),
            ("linger.ms", "5"),
        ];
        if options.transactional_id.is_some() {
            defaults.push(("transaction.timeout.ms", "900000"));
        }
        let mut config = client::config(cluster, &defaults);
        if let Some(id) = &options.transactional_id {
            client::force(&mut config, &[("transactional.id", id)]);
        }
        let tracker = DeliveryTracker {
            events: ClientEvents::new(cluster),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            first_error: Mutex::new(None),
            ranges: options.track_offsets.then(|| Mutex::new(BTreeMap::new())),
        };
        let producer: BaseProducer<DeliveryTracker> = client::create(cluster, &config, tracker)?;
        let mut writer = TopicWriter {
            producer,
            cluster: cluster.clone(),
            topic: topic.to_string(),
            sent: AtomicU64::new(0),
            settings: *settings,
            transactional: options.transactional_id.is_some(),
            transaction_open: false,
        };
        if writer.transactional {
            writer
                .producer
                .init_transactions(settings.timeout)
                .and_then(|()| writer.producer.begin_transaction())
                .map_err(|e| writer.transaction_error("cannot start a transaction", &e))?;
            writer.transaction_open = true;
        } else {
            writer.hasten_producer_id(topic);
        }
        Ok(writer)
    }

    /// An idempotent producer sends nothing before it has a producer id,
    /// and librdkafka asks for one only from a broker it has learned (not
    /// the bootstrap address) that is connected: at creation none is, and
    /// then it retries every 500 ms or after a metadata response. So a
    /// small job's sink waited 0.5-1 s before its first send. A few
    /// metadata requests, once the learned broker's connection is up, let
    /// it ask at once. Best effort: an error here is left to the sends.
    fn hasten_producer_id(&self, topic: &str) {
        let client = self.producer.client();
        for _ in 0..3 {
            if client
                .fetch_metadata(Some(topic), self.settings.timeout)
                .is_err()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The cluster.
    pub fn cluster(&self) -> &KafkaCluster {
        &self.cluster
    }

    fn transaction_error(&self, what: &str, error: &RdError) -> KafkaError {
        if let Some((code, reason)) = self.producer.context().events.auth_failure() {
            return client::authentication(&self.cluster, code, &reason);
        }
        let retriable = match error {
            RdError::Transaction(inner) if inner.is_retriable() => " (retriable)",
            _ => "",
        };
        KafkaError::Produce {
            alias: self.cluster.alias().to_string(),
            topic: self.topic.clone(),
            reason: format!(
                "{what}: {}{retriable}",
                redact(&self.cluster, &error.to_string())
            ),
            code: ErrorCode::of(error),
        }
    }

    /// Queues one record for the writer's topic; waits while the producer
    /// queue is full (up to the flush timeout). The error says why it could
    /// not be queued.
    pub fn send(&self, record: OutgoingRecord<'_>) -> Result<(), String> {
        self.send_to(
            &self.topic,
            record.partition,
            record.key,
            Some(record.payload),
            record.headers,
            record.timestamp,
        )
    }

    /// Queues a tombstone (a record without a value) for `key` in the
    /// writer's topic.
    pub fn send_tombstone(&self, key: &[u8], partition: Option<i32>) -> Result<(), String> {
        self.send_to(&self.topic, partition, Some(key), None, &[], None)
    }

    /// Queues one record for any topic of the cluster (in the same
    /// transaction, if there is one).
    pub(crate) fn send_to(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        headers: &[(String, Vec<u8>)],
        timestamp: Option<i64>,
    ) -> Result<(), String> {
        let mut owned = OwnedHeaders::new_with_capacity(headers.len());
        for (key, value) in headers {
            owned = owned.insert(Header {
                key,
                value: Some(value),
            });
        }
        let mut base = BaseRecord::<[u8], [u8]>::to(topic).headers(owned);
        if let Some(payload) = payload {
            base = base.payload(payload);
        }
        if let Some(key) = key {
            base = base.key(key);
        }
        if let Some(partition) = partition {
            base = base.partition(partition);
        }
        if let Some(timestamp) = timestamp {
            base = base.timestamp(timestamp);
        }
        let started = Instant::now();
        loop {
            match self.producer.send(base) {
                Ok(()) => break,
                Err((RdError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    if started.elapsed() > self.settings.flush_timeout {
                        return Err(format!(
                            "the producer queue stayed full for {} ms",
                            self.settings.flush_timeout.as_millis()
                        ));
                    }
                    self.producer.poll(Duration::from_millis(10));
                    base = returned;
                }
                Err((error, _)) => return Err(redact(&self.cluster, &error.to_string())),
            }
        }
        let sent = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        if sent % POLL_EVERY == 0 {
            self.producer.poll(Duration::ZERO);
        }
        Ok(())
    }

    /// Records queued so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Records whose delivery was confirmed so far.
    pub fn delivered(&self) -> u64 {
        self.producer.context().delivered.load(Ordering::Relaxed)
    }

    /// Waits for every delivery report (up to the flush timeout); any
    /// failure or timeout is an error. Returns the records delivered.
    pub fn flush(&self) -> Result<u64, KafkaError> {
        let flushed = self.await_deliveries();
        let tracker = self.producer.context();
        let delivered = tracker.delivered.load(Ordering::Relaxed);
        let sent = self.sent();
        let failed = sent - delivered.min(sent);
        if flushed.is_err() || failed > 0 {
            let (first_error, code) = tracker
                .first_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .unwrap_or_else(|| {
                    (
                        format!(
                            "not delivered within {} ms ({})",
                            self.settings.flush_timeout.as_millis(),
                            crate::settings::FLUSH_TIMEOUT_KEY
                        ),
                        Some(ErrorCode::TIMED_OUT),
                    )
                });
            return Err(KafkaError::Delivery {
                alias: self.cluster.alias().to_string(),
                topic: self.topic.clone(),
                sent,
                failed,
                first_error: redact(&self.cluster, &first_error),
                code,
            });
        }
        Ok(delivered)
    }

    /// Waits until every queued record's delivery report was served, up to
    /// the flush timeout. Not rdkafka's `flush`: between its checks it polls
    /// for a whole 100 ms slice even once the last report has arrived, so
    /// every flush took a multiple of 100 ms. This one serves the reports
    /// that are ready, checks, and sleeps a millisecond (rdkafka's poll
    /// truncates a wait under 1 ms to none, so a shorter poll would spin).
    fn await_deliveries(&self) -> Result<(), RdError> {
        let deadline = Instant::now() + self.settings.flush_timeout;
        loop {
            // A zero-timeout flush is one check of librdkafka's out-queue:
            // records in flight and delivery reports not yet served.
            match self.producer.flush(Duration::ZERO) {
                Ok(()) => return Ok(()),
                Err(RdError::Flush(RDKafkaErrorCode::OperationTimedOut)) => {}
                Err(error) => return Err(error),
            }
            if Instant::now() >= deadline {
                return Err(RdError::Flush(RDKafkaErrorCode::OperationTimedOut));
            }
            // A zero poll serves one event (a batch of reports): serve
            // while that shrinks the queue.
            let mut queued = self.producer.in_flight_count();
            loop {
                self.producer.poll(Duration::ZERO);
                let now = self.producer.in_flight_count();
                if now == 0 || now >= queued {
                    break;
                }
                queued = now;
            }
            if self.producer.in_flight_count() > 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// The offsets delivered so far per (topic, partition), if tracked.
    pub fn delivered_ranges(&self) -> BTreeMap<(String, i32), DeliveredRange> {
        self.producer
            .context()
            .ranges
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(PoisonError::into_inner).clone())
            .unwrap_or_default()
    }

    /// Adds consumer-group offsets to the open transaction: they become
    /// visible exactly when it commits.
    pub(crate) fn send_offsets(
        &self,
        offsets: &TopicPartitionList,
        group: &ConsumerGroupMetadata,
    ) -> Result<(), KafkaError> {
        self.producer
            .send_offsets_to_transaction(offsets, group, self.settings.timeout)
            .map_err(|e| self.transaction_error("cannot add offsets to the transaction", &e))
    }

    /// Begins a new transaction after the last one committed.
    pub(crate) fn begin(&mut self) -> Result<(), KafkaError> {
        if self.transactional && !self.transaction_open {
            self.producer
                .begin_transaction()
                .map_err(|e| self.transaction_error("cannot begin a transaction", &e))?;
            self.transaction_open = true;
        }
        Ok(())
    }

    /// Commits the open transaction (if the writer has one).
    pub fn commit(&mut self) -> Result<(), KafkaError> {
        if self.transactional && self.transaction_open {
            self.producer
                .commit_transaction(self.settings.timeout)
                .map_err(|e| self.transaction_error("cannot commit the transaction", &e))?;
            self.transaction_open = false;
        }
        Ok(())
    }

    /// Aborts the open transaction, if any: nothing of it becomes visible.
    pub fn abort(&mut self) {
        if self.transactional && self.transaction_open {
            self.transaction_open = false;
            if let Err(error) = self.producer.abort_transaction(self.settings.timeout) {
                tracing::warn!(%error, topic = %self.topic, "aborting a transaction");
            }
        }
    }

    /// Stops as a killed process would (for recovery tests): the open
    /// transaction is neither committed nor aborted, and the producer is
    /// leaked so that it does not even flush. A new producer with the same
    /// transactional id fences it and aborts its transaction.
    pub(crate) fn crash(self) {
        std::mem::forget(self);
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.transaction_open
    }
}

impl Drop for TopicWriter {
    fn drop(&mut self) {
        self.abort();
    }
}
