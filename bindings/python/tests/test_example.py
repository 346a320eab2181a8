"""The example producer does its job from the Event Bus samples' variables."""

from __future__ import annotations

import os
import subprocess
import sys

import eventbus
from conftest import STACK, read_back, register
from example_events import EXAMPLES, schema_text

pytestmark = STACK


def test_the_example_sends_appointments(topic):
    value_id = register(f"{topic}-value", schema_text("appointment"))
    key_id = register(f"{topic}-key", schema_text("appointment-key"))
    env = dict(os.environ)
    # The sample's own names for the brokers and protocol.
    env["KAFKA_HOST"] = env.pop("EB_BOOTSTRAP_SERVERS")
    env["SECURITY_PROTOCOL"] = env.pop("EB_SECURITY_PROTOCOL", "PLAINTEXT")
    env.update(
        APPOINTMENTS_TOPIC=topic,
        APPOINTMENTS_VALUE_SCHEMA_ID=str(value_id),
        APPOINTMENTS_KEY_SCHEMA_ID=str(key_id),
        EVENT_COUNT="3",
        INTERVAL="0",
    )
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "python" / "produce_appointments.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("at partition 0, offset") == 3, result.stderr

    messages = read_back(topic, 3)
    keys = eventbus.Serializer(schema_id=key_id, schema=schema_text("appointment-key"))
    values = eventbus.Serializer(schema_id=value_id, schema=schema_text("appointment"))
    assert [keys.decode(m.key())[-6:] for m in messages] == ["000001", "000002", "000003"]
    first = values.decode(messages[0].value())
    assert first["eventType"] == "BOOKED"
    assert str(first["copayAmount"]) == "15.00"
