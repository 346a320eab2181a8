"""The repository's example events, as a Python service holds them: dates,
aware datetimes, Decimals and UUIDs rather than the JSON text forms.
"""

from __future__ import annotations

import datetime
import decimal
import json
import pathlib
import uuid
from typing import Any

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"


def schema_text(name: str) -> str:
    return (EXAMPLES / "schemas" / f"{name}.avsc").read_text()


def record_json(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / "records" / f"{name}.json").read_text())


def _instant(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def user() -> dict[str, Any]:
    record = record_json("user")
    record["dateOfBirth"] = datetime.date.fromisoformat(record["dateOfBirth"])
    return record


def appointment() -> dict[str, Any]:
    record = record_json("appointment")
    record["eventId"] = uuid.UUID(record["eventId"])
    for field in ("occurredAt", "startTime", "endTime", "updatedAt"):
        record[field] = _instant(record[field])
    record["appointmentDate"] = datetime.date.fromisoformat(record["appointmentDate"])
    record["copayAmount"] = decimal.Decimal(record["copayAmount"])
    return record
