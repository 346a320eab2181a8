"""fork(): a producer made before it is refused in the child, with the
reason, and the child never touches the parent's librdkafka handle."""

from __future__ import annotations

import multiprocessing
import os

import pytest

import eventbus
from conftest import STACK, register
from example_events import schema_text, user

pytestmark = [*STACK, pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")]


def child(producer: eventbus.Producer, spec: dict, topic: str, answers) -> None:
    try:
        producer.produce(topic, user())
        answers.put("inherited producer worked")
    except eventbus.ClosedError as error:
        answers.put(f"refused: {error}")
    # A producer made in the child works, and both are dropped at exit.
    with eventbus.Producer(spec) as own:
        answers.put(f"own offset {own.produce(topic, user()).result(30).offset >= 0}")


def test_an_inherited_producer_is_refused_and_a_new_one_works(producer_for, topic):
    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    producer = producer_for(spec)
    producer.produce(topic, user()).result(30)

    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    process = context.Process(target=child, args=(producer, spec, topic, answers))
    process.start()
    process.join(60)
    assert process.exitcode == 0, "the child hung or failed"
    refused = answers.get(timeout=5)
    assert refused.startswith("refused: producer is closed: this producer was created in process")
    assert str(os.getpid()) in refused
    assert "after fork" in refused and "post_fork" in refused
    assert answers.get(timeout=5) == "own offset True"
    # The parent's producer is untouched.
    assert producer.produce(topic, user()).result(30).offset >= 1


def test_a_child_drops_the_inherited_producer_and_exits_normally(topic):
    import subprocess
    import sys
    import textwrap

    spec = {topic: {"value_schema_id": register(f"{topic}-value", schema_text("user"))}}
    script = textwrap.dedent(
        f"""
        import gc, os, sys
        import eventbus
        event = {{"name": "n", "company": "c", "dateOfBirth": "2000-01-01", "sequenceNumber": 1}}
        producer = eventbus.Producer({spec!r})
        producer.produce({topic!r}, event).result(30)
        pid = os.fork()
        if pid == 0:
            try:
                producer.flush(1)
            except eventbus.ClosedError:
                print("child refused", flush=True)
            # The last reference: dropping it must not call into librdkafka.
            del producer
            gc.collect()
            own = eventbus.Producer({spec!r})
            own.produce({topic!r}, event)
            # Normal exit: the exit hook delivers the child's own message.
            sys.exit(0)
        _, status = os.waitpid(pid, 0)
        print("child status", os.waitstatus_to_exitcode(status), flush=True)
        print("parent offset", producer.produce({topic!r}, event).result(30).offset, flush=True)
        producer.close(10)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "child refused"
    assert lines[1] == "child status 0"
    assert lines[2].startswith("parent offset ")
    # The parent's two messages and the child's one.
    from conftest import read_back

    assert len(read_back(topic, 3)) == 3
