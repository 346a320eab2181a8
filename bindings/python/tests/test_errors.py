"""The exception classes: one per core kind, and the panic boundary."""

from __future__ import annotations

import builtins

import pytest

import eventbus
from eventbus import _native, errors

KINDS = {
    "ConfigError": "config",
    "InvalidSchema": "invalid_schema",
    "RegistryUnavailable": "registry_unavailable",
    "SchemaNotFound": "schema_not_found",
    "SchemaMismatch": "schema_mismatch",
    "InvalidRecord": "invalid_record",
    "DecodeError": "decode",
    "AuthError": "auth",
    "DeliveryError": "delivery",
    "TimeoutError": "timeout",
    "ClosedError": "closed",
    "QueueFullError": "queue_full",
}


@pytest.mark.parametrize(("name", "kind"), sorted(KINDS.items()))
def test_each_kind_has_its_class(name, kind):
    cls = getattr(eventbus, name)
    assert issubclass(cls, eventbus.EventBusError)
    assert cls.kind == kind
    assert cls("x").kind == kind


def test_timeout_is_also_the_builtin_timeout_and_not_star_exported():
    assert issubclass(eventbus.TimeoutError, builtins.TimeoutError)
    assert "TimeoutError" not in eventbus.__all__
    assert "TimeoutError" not in errors.__all__


def test_attributes_default_sensibly():
    error = eventbus.DeliveryError("lost", retriable=True)
    assert error.retriable is True
    assert error.field_path is None
    assert str(error) == "lost"


def test_a_panic_in_the_extension_arrives_as_an_eventbus_error():
    with pytest.raises(eventbus.EventBusError, match="internal error in the eventbus extension"):
        _native._panic_boundary_check()
