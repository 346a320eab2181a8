"""Sends an appointment event every few seconds to the Event Bus, with the
eventbus-producer wheel alone: no confluent-kafka, no signer, no token
refresher.

Settings come from the environment the Event Bus samples use:
EB_BOOTSTRAP_SERVERS (or KAFKA_HOST), EB_SECURITY_PROTOCOL (SASL_SSL on MSK,
the default; PLAINTEXT locally), SCHEMA_REGISTRY_URL,
SCHEMA_REGISTRY_PATH_PREFIX, AWS_REGION and AWS_ROLE. The pinned schema ids
the Event Bus team gives out: APPOINTMENTS_VALUE_SCHEMA_ID and, optionally,
APPOINTMENTS_KEY_SCHEMA_ID. EVENT_COUNT stops after that many events;
INTERVAL sets the seconds between them (default 5).
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import logging
import os
import time
import uuid

import eventbus

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
log = logging.getLogger("produce_appointments")


def appointment(sequence: int) -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now + datetime.timedelta(days=1)
    return {
        "eventId": uuid.uuid4(),
        "eventType": "BOOKED",
        "occurredAt": now,
        "appointmentId": f"A-{start.year}-{sequence:06d}",
        "patientIcn": "1012345678V123456",
        "status": "BOOKED",
        "startTime": start,
        "endTime": start + datetime.timedelta(minutes=30),
        "appointmentDate": start.date(),
        "durationMinutes": 30,
        "facility": {
            "stationId": "668",
            "name": "Mann-Grandstaff VA Medical Center",
            "city": "Spokane",
            "state": "WA",
            "timezone": "America/Los_Angeles",
        },
        "clinicName": "Primary Care Blue",
        "providerName": None,
        "visitType": "IN_PERSON",
        "procedureCodes": ["99213", "G0438"],
        "isTelehealth": False,
        "reasonForVisit": "Annual wellness visit",
        "attributes": {"insurancePlan": "TRICARE"},
        "copayAmount": decimal.Decimal("15.00"),
        "schemaVersion": 1,
        "updatedAt": now,
    }


def main() -> None:
    topic = os.environ.get("APPOINTMENTS_TOPIC", "appointments")
    schemas: dict = {"value_schema_id": int(os.environ["APPOINTMENTS_VALUE_SCHEMA_ID"])}
    if os.environ.get("APPOINTMENTS_KEY_SCHEMA_ID"):
        schemas["key_schema_id"] = int(os.environ["APPOINTMENTS_KEY_SCHEMA_ID"])
    count = int(os.environ["EVENT_COUNT"]) if os.environ.get("EVENT_COUNT") else None
    interval = float(os.environ.get("INTERVAL", "5"))

    with eventbus.Producer(topics={topic: schemas}) as producer:
        for sequence in itertools.count(1):
            if count is not None and sequence > count:
                break
            event = appointment(sequence)
            key = event["appointmentId"] if "key_schema_id" in schemas else None
            report = producer.produce(topic, event, key=key).result(timeout=30)
            log.info(
                "appointment %s at partition %d, offset %d",
                event["appointmentId"], report.partition, report.offset,
            )
            if count is None or sequence < count:
                time.sleep(interval)


if __name__ == "__main__":
    main()
