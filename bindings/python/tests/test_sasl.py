"""SASL_SSL with MSK IAM tokens against the stack's listener, which checks
every token the way MSK does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import eventbus
from conftest import STACK, read_back, register
from example_events import schema_text, user

pytestmark = STACK


@pytest.fixture
def sasl_servers() -> str:
    servers = os.environ.get("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS")
    if not servers:
        pytest.fail("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS not set: use cargo xtask stack env --test")
    return servers


def test_produces_over_sasl_ssl_with_an_iam_token(producer_for, topic, sasl_servers):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    producer = producer_for(spec, bootstrap_servers=sasl_servers, security_protocol="SASL_SSL")
    report = producer.produce(topic, user()).result(timeout=30)
    assert report.offset == 0
    assert len(read_back(topic, 1)) == 1


def test_a_wrong_secret_is_an_auth_error_at_start_up(topic, sasl_servers):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    script = textwrap.dedent(
        f"""
        import eventbus
        try:
            eventbus.Producer({spec!r}, bootstrap_servers={sasl_servers!r},
                              security_protocol="SASL_SSL", startup_timeout=15)
        except eventbus.AuthError as error:
            print("refused:", error.kind, error)
        """
    )
    env = dict(os.environ, AWS_SECRET_ACCESS_KEY="not-the-secret")
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused: auth authentication failed"), result.stdout
    assert "not-the-secret" not in result.stdout + result.stderr
