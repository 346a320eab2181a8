"""eventbus: produce events to the Enterprise Event Bus (Kafka on AWS MSK)
with pinned Avro schemas in the Confluent wire format.

    import eventbus

    with eventbus.Producer(topics={"appointments": {"value_schema_id": 12}}) as producer:
        report = producer.produce("appointments", event).result(timeout=10)

The work is done by the eventbus Rust core, through the native module
``eventbus._native``. Settings default to the environment variables the
Event Bus samples use (``EB_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``,
``AWS_REGION``, ...). Logs go to ``logging.getLogger("eventbus")``.
"""

from __future__ import annotations

# The exception classes and hooks come first: the native module uses them.
from . import _hooks
from .errors import (
    AuthError,
    ClosedError,
    ConfigError,
    DecodeError,
    DeliveryError,
    EventBusError,
    InvalidRecord,
    InvalidSchema,
    QueueFullError,
    RegistryUnavailable,
    SchemaMismatch,
    SchemaNotFound,
    TimeoutError,
)
from ._native import Delivery, DeliveryReport, Producer, Serializer, __version__

__all__ = [
    "Producer",
    "Delivery",
    "DeliveryReport",
    "Serializer",
    "EventBusError",
    "ConfigError",
    "InvalidSchema",
    "RegistryUnavailable",
    "SchemaNotFound",
    "SchemaMismatch",
    "InvalidRecord",
    "DecodeError",
    "AuthError",
    "DeliveryError",
    "ClosedError",
    "QueueFullError",
    "__version__",
]

_hooks.install()
