"""The core's logs reach logging.getLogger("eventbus"), through the
dispatch thread."""

from __future__ import annotations

import logging

import eventbus
from conftest import STACK, register, wait_for
from example_events import schema_text

pytestmark = STACK


def test_producer_logs_arrive_on_the_eventbus_logger(producer_for, topic, caplog):
    caplog.set_level(logging.INFO, logger="eventbus")
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    producer = producer_for(spec)

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "eventbus"]

    assert wait_for(lambda: any("producer ready" in m for m in messages())), messages()
    assert any(f"topic bound (topic={topic}" in m for m in messages()), messages()
    producer.close(10)
    assert wait_for(lambda: any("producer closed" in m for m in messages())), messages()
    record = next(r for r in caplog.records if "producer ready" in r.getMessage())
    assert record.levelno == logging.INFO
    assert record.eventbus_target.startswith("eventbus")
