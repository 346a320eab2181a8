"""Producing through the wheel to the local broker, as JSON lines for
`cargo xtask bench`: start-up to the first delivered event, the resident
memory an idle producer and a loaded one add, throughput of EVENTS
appointment events, and the latency of produce-then-wait; and the same
through confluent-kafka's own Producer with pre-encoded bytes (the library
Python services use today), in the same process.

    TOPIC=... VALUE_SCHEMA_ID=... [EVENTS=20000] [LATENCY_SAMPLES=300] python bench/produce.py

The stack's variables come from `cargo xtask stack env`.
"""

from __future__ import annotations

import gc
import json
import os
import pathlib
import sys
import time

import eventbus

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from example_events import appointment, schema_text  # noqa: E402


def resident_mib() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def measure(name, make, produce_async, produce_sync, flush, close, events, samples, size):
    gc.collect()
    baseline = resident_mib()
    started = time.perf_counter()
    client = make()
    produce_sync(client)
    startup_ms = (time.perf_counter() - started) * 1000
    time.sleep(2)
    idle = resident_mib() - baseline

    started = time.perf_counter()
    for _ in range(events):
        produce_async(client)
    flush(client)
    elapsed = time.perf_counter() - started
    loaded = resident_mib() - baseline

    latencies = []
    for _ in range(samples):
        sent = time.perf_counter()
        produce_sync(client)
        latencies.append((time.perf_counter() - sent) * 1000)
    close(client)
    return {
        "binding": "python",
        "implementation": name,
        "startup_ms": startup_ms,
        "idle_rss_mib": idle,
        "load_rss_mib": loaded,
        "events_per_second": events / elapsed,
        "mb_per_second": events * size / elapsed / 1e6,
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p99_ms": percentile(latencies, 0.99),
    }


def main() -> None:
    topic = os.environ["TOPIC"]
    value_id = int(os.environ["VALUE_SCHEMA_ID"])
    events = int(os.environ.get("EVENTS", "20000"))
    samples = int(os.environ.get("LATENCY_SAMPLES", "300"))
    event = appointment()
    payload = eventbus.Serializer(schema_id=value_id, schema=schema_text("appointment")).encode(event)

    ours = measure(
        f"eventbus-producer {eventbus.__version__}",
        lambda: eventbus.Producer({topic: {"value_schema_id": value_id}}),
        lambda p: p.produce(topic, event),
        lambda p: p.produce(topic, event).result(timeout=30),
        lambda p: p.flush(120),
        lambda p: p.close(30),
        events,
        samples,
        len(payload),
    )
    print(json.dumps(ours), flush=True)

    import confluent_kafka

    def raw_sync(p):
        done = []
        p.produce(topic, payload, on_delivery=lambda err, msg: done.append(err))
        while not done:
            p.poll(0.001)

    def raw_async(p):
        while True:
            try:
                p.produce(topic, payload)
                return
            except BufferError:
                p.poll(0.005)

    raw = measure(
        f"confluent-kafka {confluent_kafka.__version__} Producer, pre-encoded bytes",
        lambda: confluent_kafka.Producer(
            {
                "bootstrap.servers": os.environ["EB_BOOTSTRAP_SERVERS"],
                "enable.idempotence": False,
                "acks": "all",
                "linger.ms": 5,
            }
        ),
        raw_async,
        raw_sync,
        lambda p: p.flush(120),
        lambda p: p.flush(30),
        events,
        samples,
        len(payload),
    )
    print(json.dumps(raw), flush=True)


if __name__ == "__main__":
    main()
