"""Shared fixtures: the example events, and the local stack (Kafka broker
and schema registry) for the tests marked ``stack``.

The stack's settings come from the environment, as ``cargo xtask stack env
--test`` prints them; a stack test run without them fails and says so.
Modules of stack tests set ``pytestmark = STACK``.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import eventbus


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    names = ["EB_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL"]
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: start the local stack (cargo xtask stack up) and "
            'run eval "$(cargo xtask stack env --test)" first, or deselect with -m "not stack"'
        )
    return dict(os.environ)


STACK = [pytest.mark.stack, pytest.mark.usefixtures("stack")]


def registry_api() -> str:
    return os.environ["SCHEMA_REGISTRY_URL"].rstrip("/") + os.environ.get(
        "SCHEMA_REGISTRY_PATH_PREFIX", ""
    )


def register(subject: str, schema: str) -> int:
    """Registers ``schema`` under ``subject`` (test set-up only) and returns its id."""
    request = urllib.request.Request(
        f"{registry_api()}/subjects/{subject}/versions",
        data=json.dumps({"schema": schema}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["id"])


def unique_topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> str:
    return unique_topic("py-" + request.node.name.replace("_", "-")[:40])


@pytest.fixture
def producer_for(stack: dict[str, str]) -> Iterator[Callable[..., eventbus.Producer]]:
    """Makes producers for a test and closes whatever it left open."""
    made: list[eventbus.Producer] = []

    def make(topics: Any, **settings: Any) -> eventbus.Producer:
        producer = eventbus.Producer(topics, **settings)
        made.append(producer)
        return producer

    yield make
    for producer in made:
        if not producer.closed:
            producer.close(timeout=10)


def read_back(topic: str, count: int, timeout: float = 30.0) -> list[Any]:
    """Reads ``count`` messages from the start of ``topic`` with confluent-kafka."""
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": os.environ["EB_BOOTSTRAP_SERVERS"],
            "group.id": f"eventbus-python-tests-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    messages = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            messages.append(message)
    finally:
        consumer.close()
    return messages


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
