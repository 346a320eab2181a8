"""produce_async: asyncio futures completed by the dispatch thread."""

from __future__ import annotations

import asyncio
import socket

import pytest

import eventbus
from conftest import STACK, read_back, register
from example_events import schema_text, user

pytestmark = STACK


@pytest.mark.asyncio
async def test_many_concurrent_deliveries_complete(producer_for, topic):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    producer = producer_for(spec)
    records = []
    for sequence in range(200):
        record = user()
        record["sequenceNumber"] = sequence
        records.append(record)
    reports = await asyncio.gather(*(producer.produce_async(topic, r) for r in records))
    assert sorted(r.offset for r in reports) == list(range(200))
    assert len(read_back(topic, 200)) == 200


@pytest.mark.asyncio
async def test_bad_records_raise_at_the_call_and_failures_at_the_await(producer_for, topic):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    producer = producer_for(spec, bootstrap_servers=f"127.0.0.1:{port}", message_timeout=1)
    with pytest.raises(eventbus.InvalidRecord):
        producer.produce_async(topic, {"name": 1})
    with pytest.raises(eventbus.DeliveryError):
        await asyncio.wait_for(producer.produce_async(topic, user()), timeout=20)


def test_produce_async_needs_a_running_loop(producer_for, topic):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    producer = producer_for(spec)
    with pytest.raises(RuntimeError):
        producer.produce_async(topic, user())
