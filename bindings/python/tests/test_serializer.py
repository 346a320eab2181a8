"""Serializer: encoding and decoding offline, with a local schema copy."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import uuid

import fastavro
import pytest

import eventbus
from example_events import appointment, record_json, schema_text, user


@pytest.fixture
def users() -> eventbus.Serializer:
    return eventbus.Serializer(schema_id=7, schema=schema_text("user"))


@pytest.fixture
def appointments() -> eventbus.Serializer:
    return eventbus.Serializer(schema_id=12, schema=schema_text("appointment"))


def fastavro_framed(name: str, schema_id: int, record: dict) -> bytes:
    parsed = fastavro.parse_schema(json.loads(schema_text(name)))
    out = io.BytesIO()
    out.write(b"\x00" + schema_id.to_bytes(4, "big"))
    fastavro.schemaless_writer(out, parsed, record)
    return out.getvalue()


def test_writes_the_confluent_frame_and_the_same_avro_as_fastavro(users, appointments):
    user_bytes = users.encode(user())
    assert user_bytes[:5] == b"\x00\x00\x00\x00\x07"
    assert user_bytes == fastavro_framed("user", 7, user())
    assert appointments.encode(appointment()) == fastavro_framed("appointment", 12, appointment())


def test_text_forms_of_logical_types_write_the_same_bytes(appointments):
    assert appointments.encode(record_json("appointment")) == appointments.encode(appointment())


def test_decode_gives_back_the_python_types(users, appointments):
    assert users.decode(users.encode(user())) == user()
    decoded = appointments.decode(appointments.encode(appointment()))
    assert decoded == appointment()
    assert isinstance(decoded["eventId"], uuid.UUID)
    assert isinstance(decoded["copayAmount"], decimal.Decimal)
    assert str(decoded["copayAmount"]) == "15.00"
    assert decoded["appointmentDate"] == datetime.date(2026, 12, 14)
    assert decoded["occurredAt"].tzinfo is not None
    assert decoded["occurredAt"].utcoffset() == datetime.timedelta(0)
    assert decoded["updatedAt"].microsecond == 345678


def test_aware_datetimes_in_any_zone_are_the_same_instant(appointments):
    record = appointment()
    eastern = datetime.timezone(datetime.timedelta(hours=-5))
    record["startTime"] = record["startTime"].astimezone(eastern)
    assert appointments.encode(record) == appointments.encode(appointment())


def test_decode_accepts_bytearray_and_memoryview(users):
    data = users.encode(user())
    assert users.decode(bytearray(data)) == user()
    assert users.decode(memoryview(data)) == user()


def test_schema_id_and_repr(users):
    assert users.schema_id == 7
    assert "schema_id=7" in repr(users)


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (lambda r: r["facility"].update(city=None), "facility.city", "expected string"),
        (lambda r: r["procedureCodes"].append(5), "procedureCodes[3]", "expected string"),
        (lambda r: r["attributes"].update(plan=True), 'attributes["plan"]', "boolean"),
        (lambda r: r["facility"].update(phone="555"), "facility.phone", "unknown field"),
        (lambda r: r.update(durationMinutes=True), "durationMinutes", "boolean"),
        (lambda r: r.update(eventType="LOST"), "eventType", "unknown symbol"),
        (lambda r: r.update(copayAmount=decimal.Decimal("15.001")), "copayAmount", ""),
        (lambda r: r.update(occurredAt=datetime.datetime(2026, 1, 1)), "occurredAt", "local"),
        (lambda r: r.pop("patientIcn"), "patientIcn", ""),
        (lambda r: r.update(durationMinutes=object()), "durationMinutes", "unsupported type"),
    ],
)
def test_an_invalid_record_names_the_field(appointments, change, path, problem):
    record = appointment()
    change(record)
    with pytest.raises(eventbus.InvalidRecord) as caught:
        appointments.encode(record)
    error = caught.value
    assert error.field_path == path
    assert error.kind == "invalid_record"
    assert problem in str(error)
    assert isinstance(error, ValueError)
    # The serializer stays usable.
    assert appointments.decode(appointments.encode(appointment())) == appointment()


def test_a_record_that_is_not_a_dict_is_refused_at_the_root(users):
    with pytest.raises(eventbus.InvalidRecord) as caught:
        users.encode(["Newbie"])
    assert caught.value.field_path == ""


def test_decode_refuses_another_schema_id_and_garbage(users, appointments):
    with pytest.raises(eventbus.SchemaMismatch, match="schema id 7"):
        appointments.decode(users.encode(user()))
    with pytest.raises(eventbus.DecodeError):
        users.decode(b"\x01\x02")
    with pytest.raises(eventbus.DecodeError):
        users.decode(users.encode(user())[:-3])
    with pytest.raises(eventbus.DecodeError, match="expected bytes"):
        users.decode(12)  # type: ignore[arg-type]


def test_schema_sources_are_checked():
    with pytest.raises(eventbus.InvalidSchema):
        eventbus.Serializer(schema_id=1, schema='{"type": "record"}')
    with pytest.raises(eventbus.ConfigError, match="not both"):
        eventbus.Serializer(schema_id=1, schema="{}", registry_url="http://localhost:1")
    with pytest.raises(eventbus.ConfigError, match="no schema source"):
        eventbus.Serializer(schema_id=1)
