"""Encode throughput of the two example events, in one run: the eventbus
Serializer, confluent-kafka's AvroSerializer configured the Event Bus way
(a pinned schema id, no auto-registration, warm cache), and raw
fastavro.schemaless_writer plus the Confluent framing.

Needs the local registry (cargo xtask stack up; eval "$(cargo xtask stack env)").
Run: python bench/encode.py [--repeats 7] [--seconds 1.0]
With EVENTBUS_BENCH_JSON=FILE it also appends the results to FILE as JSON
lines for `cargo xtask bench`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import statistics
import sys
import time
import urllib.request
from typing import Any, Callable

import confluent_kafka
import fastavro
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import eventbus

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from example_events import appointment, record_json, schema_text, user  # noqa: E402

Encode = Callable[[dict[str, Any]], bytes]


def registry_api() -> str:
    return os.environ["SCHEMA_REGISTRY_URL"].rstrip("/") + os.environ.get(
        "SCHEMA_REGISTRY_PATH_PREFIX", ""
    )


def register(subject: str, schema: str) -> int:
    request = urllib.request.Request(
        f"{registry_api()}/subjects/{subject}/versions",
        data=json.dumps({"schema": schema}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["id"])


def encoders(name: str, schema_id: int) -> dict[str, Encode]:
    serializer = eventbus.Serializer(
        schema_id=schema_id,
        registry_url=os.environ["SCHEMA_REGISTRY_URL"],
        path_prefix=os.environ.get("SCHEMA_REGISTRY_PATH_PREFIX"),
    )

    confluent = AvroSerializer(
        SchemaRegistryClient({"url": registry_api()}),
        schema_text(name),
        conf={"auto.register.schemas": False, "use.schema.id": schema_id},
    )
    context = SerializationContext(f"bench-{name}", MessageField.VALUE)

    parsed = fastavro.parse_schema(json.loads(schema_text(name)))
    header = b"\x00" + schema_id.to_bytes(4, "big")

    def raw_fastavro(record: dict[str, Any]) -> bytes:
        out = io.BytesIO()
        out.write(header)
        fastavro.schemaless_writer(out, parsed, record)
        return out.getvalue()

    return {
        "eventbus Serializer": serializer.encode,
        "confluent AvroSerializer": lambda record: confluent(record, context),
        "raw fastavro": raw_fastavro,
    }


def rate(encode: Encode, record: dict[str, Any], seconds: float) -> float:
    """Events per second over batches run for about ``seconds``."""
    batch = 1000
    done = 0
    started = time.perf_counter()
    while True:
        for _ in range(batch):
            encode(record)
        done += batch
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()

    # The large event has no logical types: its dict is what JSON gives.
    events = {"user": user(), "appointment": appointment(), "visit-summary": record_json("visit-summary")}
    table = {}
    for name, record in events.items():
        schema_id = register(f"bench-{name}-value", schema_text(name))
        candidates = encoders(name, schema_id)
        # Same input, same bytes: the comparison is of equals. This also
        # warms the AvroSerializer's schema cache.
        written = {label: encode(record) for label, encode in candidates.items()}
        if len(set(written.values())) != 1:
            raise SystemExit(f"the encoders disagree on the {name} event: {written}")
        rates: dict[str, list[float]] = {label: [] for label in candidates}
        # Interleaved, so that a busy moment on the machine hits all alike.
        for _ in range(args.repeats):
            for label, encode in candidates.items():
                rates[label].append(rate(encode, record, args.seconds))
        table[name] = {label: statistics.median(values) for label, values in rates.items()}
        if os.environ.get("EVENTBUS_BENCH_JSON"):
            versions = {
                "eventbus Serializer": f"eventbus-producer {eventbus.__version__}",
                "confluent AvroSerializer": f"confluent-kafka {confluent_kafka.__version__} AvroSerializer, pinned id",
                "raw fastavro": f"fastavro {fastavro.__version__} schemaless_writer + frame",
            }
            with open(os.environ["EVENTBUS_BENCH_JSON"], "a") as out:
                for label, values in rates.items():
                    out.write(json.dumps({
                        "kind": "encode", "binding": "python", "event": name,
                        "implementation": versions[label],
                        "events_per_second": statistics.median(values), "runs": values,
                    }) + "\n")

    print(f"median events/s over {args.repeats} repeats of {args.seconds:.1f} s "
          f"(Python {sys.version.split()[0]}, eventbus {eventbus.__version__})")
    print()
    print("| event | eventbus Serializer | confluent AvroSerializer | raw fastavro "
          "| vs AvroSerializer | vs raw fastavro |")
    print("|---|---|---|---|---|---|")
    for name, medians in table.items():
        ours = medians["eventbus Serializer"]
        confluent = medians["confluent AvroSerializer"]
        raw = medians["raw fastavro"]
        print(f"| {name} | {ours:,.0f} | {confluent:,.0f} | {raw:,.0f} "
              f"| {ours / confluent:.1f}x | {ours / raw:.1f}x |")


if __name__ == "__main__":
    main()
