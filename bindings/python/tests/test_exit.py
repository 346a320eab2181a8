"""Producers left open at interpreter exit are closed within the exit time
limit, and what they could not deliver is reported."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time

from conftest import STACK, read_back, register
from example_events import schema_text

pytestmark = STACK


def run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


def test_an_open_producer_delivers_at_exit(topic):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    result = run(
        f"""
        import eventbus
        producer = eventbus.Producer({spec!r})
        for n in range(50):
            producer.produce({topic!r}, {{"name": "n", "company": "c",
                                          "dateOfBirth": "2000-01-01", "sequenceNumber": n}})
        """
    )
    assert result.returncode == 0, result.stderr
    assert len(read_back(topic, 50)) == 50


def test_what_cannot_be_delivered_at_exit_is_reported_in_bounded_time(topic):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    result = run(
        f"""
        import eventbus, eventbus._hooks
        eventbus._hooks.EXIT_TIMEOUT = 1.0
        producer = eventbus.Producer({spec!r}, bootstrap_servers="127.0.0.1:{port}")
        producer.produce({topic!r}, {{"name": "n", "company": "c",
                                      "dateOfBirth": "2000-01-01", "sequenceNumber": 1}})
        """
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 0, result.stderr
    assert "at interpreter exit: producer for" in result.stderr
    assert "1 messages were not delivered" in result.stderr
