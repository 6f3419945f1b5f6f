//! Producing records to one topic, with every delivery report checked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use wayang_core::kafka::{KafkaCluster, OutgoingRecord};

use crate::client;
use crate::error::KafkaError;
use crate::offsets::{admin_consumer, partitions};
use crate::settings::KafkaSettings;

/// Counts delivery reports; keeps the first failure.
#[derive(Default)]
pub(crate) struct DeliveryTracker {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, message)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self
                    .first_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if first.is_none() {
                    *first = Some(format!("partition {}: {error}", message.partition()));
                }
            }
        }
    }
}

/// Writes records to one topic of one cluster. It is `Sync`: parallel tasks
/// share one writer (librdkafka's producer is thread-safe and batches across
/// them), so there is one flush, one delivery check and one transaction per
/// sink. Dropped without [`TopicWriter::finish`], it aborts its transaction.
pub struct TopicWriter {
    producer: BaseProducer<DeliveryTracker>,
    alias: String,
    topic: String,
    sent: AtomicU64,
    settings: KafkaSettings,
    transactional: bool,
    committed_or_aborted: bool,
}

/// How often (in records) delivery reports are served while sending.
const POLL_EVERY: u64 = 1024;

impl TopicWriter {
    /// Opens a writer; the topic must exist. With a transactional id, all
    /// records become visible together when [`FinishedWrite::commit`] runs.
    pub fn open(
        cluster: &KafkaCluster,
        topic: &str,
        transactional_id: Option<&str>,
        settings: &KafkaSettings,
    ) -> Result<Self, KafkaError> {
        // Checked with a consumer, which never auto-creates topics.
        partitions(&admin_consumer(cluster, None)?, cluster, topic, settings)?;
        // Idempotence avoids duplicates on retries; murmur2 partitions keys as
        // Java clients do, so keyed data lands where Java consumers expect it.
        let mut config = client::config(
            cluster,
            &[
                ("enable.idempotence", "true"),
                ("partitioner", "murmur2_random"),
                ("linger.ms", "5"),
            ],
        );
        if let Some(id) = transactional_id {
            client::force(&mut config, &[("transactional.id", id)]);
        }
        let producer: BaseProducer<DeliveryTracker> =
            client::create(cluster, &config, DeliveryTracker::default())?;
        let writer = TopicWriter {
            producer,
            alias: cluster.alias().to_string(),
            topic: topic.to_string(),
            sent: AtomicU64::new(0),
            settings: *settings,
            transactional: transactional_id.is_some(),
            committed_or_aborted: false,
        };
        if writer.transactional {
            writer
                .producer
                .init_transactions(settings.timeout)
                .and_then(|()| writer.producer.begin_transaction())
                .map_err(|e| writer.produce_error(format!("cannot start a transaction: {e}")))?;
        }
        Ok(writer)
    }

    fn produce_error(&self, reason: String) -> KafkaError {
        KafkaError::Produce {
            alias: self.alias.clone(),
            topic: self.topic.clone(),
            reason,
        }
    }

    /// Queues one record; waits while the producer queue is full (up to the
    /// flush timeout). The error says why it could not be queued.
    pub fn send(&self, record: OutgoingRecord<'_>) -> Result<(), String> {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in record.headers {
            headers = headers.insert(Header {
                key,
                value: Some(value),
            });
        }
        let mut base = BaseRecord::<[u8], [u8]>::to(&self.topic)
            .payload(record.payload)
            .headers(headers);
        if let Some(key) = record.key {
            base = base.key(key);
        }
        if let Some(partition) = record.partition {
            base = base.partition(partition);
        }
        if let Some(timestamp) = record.timestamp {
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
                Err((error, _)) => return Err(error.to_string()),
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

    /// Waits for every delivery report; any failure or timeout is an error.
    pub fn finish(mut self) -> Result<FinishedWrite, KafkaError> {
        let flushed = self.producer.flush(self.settings.flush_timeout);
        let tracker = self.producer.context();
        let delivered = tracker.delivered.load(Ordering::Relaxed);
        let sent = self.sent();
        let failed = sent - delivered.min(sent);
        if flushed.is_err() || failed > 0 {
            let first_error = tracker
                .first_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .unwrap_or_else(|| {
                    format!(
                        "not delivered within {} ms",
                        self.settings.flush_timeout.as_millis()
                    )
                });
            self.abort();
            return Err(KafkaError::Delivery {
                alias: self.alias.clone(),
                topic: self.topic.clone(),
                sent,
                failed,
                first_error,
            });
        }
        Ok(FinishedWrite {
            writer: self,
            delivered,
        })
    }

    fn abort(&mut self) {
        if self.transactional && !self.committed_or_aborted {
            self.committed_or_aborted = true;
            if let Err(error) = self.producer.abort_transaction(self.settings.timeout) {
                tracing::warn!(%error, topic = %self.topic, "aborting a transaction");
            }
        }
    }
}

impl Drop for TopicWriter {
    fn drop(&mut self) {
        self.abort();
    }
}

/// A write whose records were all delivered; transactional ones still need
/// [`FinishedWrite::commit`] to become visible.
pub struct FinishedWrite {
    writer: TopicWriter,
    delivered: u64,
}

impl FinishedWrite {
    /// Records delivered.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Commits the transaction, if the writer has one.
    pub fn commit(mut self) -> Result<u64, KafkaError> {
        let writer = &mut self.writer;
        if writer.transactional {
            writer
                .producer
                .commit_transaction(writer.settings.timeout)
                .map_err(|e| writer.produce_error(format!("cannot commit the transaction: {e}")))?;
            writer.committed_or_aborted = true;
        }
        Ok(self.delivered)
    }
}
