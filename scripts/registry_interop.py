"""Confluent's Python client as the independent peer of wayang-rs's Schema
Registry formats: it produces Avro records with Confluent's AvroSerializer
and reads records back with Confluent's AvroDeserializer.

    python registry_interop.py produce BOOTSTRAP REGISTRY TOPIC COUNT
    python registry_interop.py consume BOOTSTRAP REGISTRY TOPIC COUNT

`consume` prints one JSON object per record (sorted by key), then exits; it
fails if COUNT records do not arrive within 30 s.
"""

import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

# The scenario's contribution record (a partner's monthly sum per category).
CONTRIBUTION = json.dumps({
    "type": "record",
    "name": "Contribution",
    "namespace": "scenario",
    "fields": [
        {"name": "partner", "type": "string"},
        {"name": "month", "type": "string"},
        {"name": "category", "type": "string"},
        {"name": "sum_cents", "type": "long"},
        {"name": "customers", "type": "long"},
    ],
})


def produce(bootstrap, registry, topic, count):
    client = SchemaRegistryClient({"url": registry})
    serialize = AvroSerializer(client, CONTRIBUTION)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(count):
        row = {
            "partner": "py",
            "month": "2026-%02d" % (i % 12 + 1),
            "category": ["food", "travel", "health"][i % 3],
            "sum_cents": 1000 + i,
            "customers": 1 + i % 7,
        }
        key = "%s|%s|%d" % (row["month"], row["category"], i)
        value = serialize(row, SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=key.encode(), value=value)
    if producer.flush(30) != 0:
        sys.exit("not every record was delivered")


def consume(bootstrap, registry, topic, count):
    client = SchemaRegistryClient({"url": registry})
    deserialize = AvroDeserializer(client)
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "registry-interop",
        "enable.auto.commit": False,
    })
    metadata = consumer.list_topics(topic, timeout=10)
    partitions = [TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions]
    consumer.assign(partitions)
    rows = []
    deadline = time.time() + 30
    while len(rows) < count and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        value = deserialize(message.value(), SerializationContext(topic, MessageField.VALUE))
        rows.append((message.key().decode(), value))
    consumer.close()
    if len(rows) < count:
        sys.exit("only %d of %d records arrived" % (len(rows), count))
    for key, value in sorted(rows, key=lambda r: r[0]):
        print(json.dumps({"key": key, "value": value}, sort_keys=True))


if __name__ == "__main__":
    command, bootstrap, registry, topic, count = sys.argv[1:6]
    {"produce": produce, "consume": consume}[command](bootstrap, registry, topic, int(count))
