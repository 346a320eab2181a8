"""Producer against the local stack over PLAINTEXT: delivery, read-back by
confluent-kafka's own AvroDeserializer, bad records, flush and close."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

import eventbus
from conftest import STACK, read_back, register, registry_api
from example_events import appointment, schema_text, user

pytestmark = STACK


def bind(topic: str, name: str, key: str | None = None) -> dict:
    spec = {"value_schema_id": register(f"{topic}-value", schema_text(name))}
    if key:
        spec["key_schema_id"] = register(f"{topic}-key", schema_text(key))
    return {topic: spec}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_produces_what_confluent_kafka_reads_back_field_for_field(producer_for, topic):
    producer = producer_for(bind(topic, "appointment", key="appointment-key"))
    key = "A-2026-000123"
    reports = [
        producer.produce(topic, appointment(), key=key, headers={"source": b"py"}).result(30)
        for _ in range(3)
    ]
    assert [r.topic for r in reports] == [topic] * 3
    assert [r.offset for r in reports] == [0, 1, 2]
    assert all(r.partition == 0 and r.timestamp for r in reports)

    registry = SchemaRegistryClient({"url": registry_api()})
    values = AvroDeserializer(registry)
    keys = AvroDeserializer(registry)
    messages = read_back(topic, 3)
    assert len(messages) == 3
    for message in messages:
        value = values(message.value(), SerializationContext(topic, MessageField.VALUE))
        assert value == appointment()
        assert keys(message.key(), SerializationContext(topic, MessageField.KEY)) == key
        assert message.headers() == [("source", b"py")]


def test_a_bad_record_sends_nothing_and_the_producer_goes_on(producer_for, topic):
    producer = producer_for(bind(topic, "user"))
    bad = user()
    bad["dateOfBirth"] = "the seventies"
    with pytest.raises(eventbus.InvalidRecord) as caught:
        producer.produce(topic, bad)
    assert caught.value.field_path == "dateOfBirth"
    assert producer.in_flight == 0
    assert producer.produce(topic, user()).result(30).offset == 0
    producer.flush(10)
    assert len(read_back(topic, 2, timeout=5)) == 1


def test_settings_are_checked_before_connecting(stack, topic):
    with pytest.raises(eventbus.ConfigError, match='unknown setting "bootstrap"'):
        eventbus.Producer({topic: {"value_schema_id": 1}}, bootstrap="x:1")
    with pytest.raises(eventbus.ConfigError, match="value_schema_id is required"):
        eventbus.Producer({topic: {}})
    with pytest.raises(eventbus.ConfigError, match="unknown protocol|security protocol"):
        eventbus.Producer({topic: {"value_schema_id": 1}}, security_protocol="SSL")
    with pytest.raises(eventbus.SchemaNotFound):
        eventbus.Producer({topic: {"value_schema_id": 987654}})


def test_unbound_topics_and_keys_without_a_schema_are_refused(producer_for, topic):
    producer = producer_for(bind(topic, "user"))
    with pytest.raises(eventbus.ConfigError, match="not bound"):
        producer.produce("elsewhere", user())
    with pytest.raises(eventbus.ConfigError, match="no key schema"):
        producer.produce(topic, user(), key="k")


def test_keyword_settings_override_the_environment(monkeypatch, topic):
    spec = bind(topic, "user")
    servers = os.environ["EB_BOOTSTRAP_SERVERS"]
    monkeypatch.setenv("EB_BOOTSTRAP_SERVERS", f"127.0.0.1:{closed_port()}")
    with eventbus.Producer(spec, bootstrap_servers=[servers], kafka_properties={"linger.ms": 0}) as producer:
        assert producer.produce(topic, user()).result(30).offset == 0
    assert producer.closed


def test_with_closes_and_produce_after_close_is_refused(producer_for, topic):
    producer = producer_for(bind(topic, "user"))
    with producer:
        delivery = producer.produce(topic, user())
    assert delivery.done()
    assert producer.closed
    with pytest.raises(eventbus.ClosedError):
        producer.produce(topic, user())


def unreachable_producer(topic: str, **settings) -> eventbus.Producer:
    return eventbus.Producer(
        bind(topic, "user"), bootstrap_servers=f"127.0.0.1:{closed_port()}", **settings
    )


def test_waiting_releases_the_gil(topic):
    producer = unreachable_producer(topic, message_timeout=2)
    delivery = producer.produce(topic, user())
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    with pytest.raises(eventbus.DeliveryError) as caught:
        delivery.result(timeout=30)
    stop.set()
    counter.join()
    # Over two seconds of waiting: a thread starved of the GIL counts nothing.
    assert ticks > 100
    assert caught.value.kind == "delivery"
    assert isinstance(caught.value.retriable, bool)
    producer.close(5)


def test_timeouts_say_what_is_left_and_lose_nothing(topic):
    producer = unreachable_producer(topic)
    delivery = producer.produce(topic, user())
    with pytest.raises(eventbus.TimeoutError, match="still queued"):
        delivery.result(timeout=0.2)
    with pytest.raises(TimeoutError, match="1 messages still undelivered"):
        producer.flush(0.3)
    started = time.monotonic()
    with pytest.raises(eventbus.TimeoutError, match="1 messages were not delivered"):
        producer.close(0.5)
    assert time.monotonic() - started < 5
    # The abandoned message is reported through its handle.
    with pytest.raises(eventbus.DeliveryError):
        delivery.result(timeout=5)
