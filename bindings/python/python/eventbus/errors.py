"""The exceptions eventbus raises: one class per kind of core error.

Every class carries ``kind``, the core's stable kind name ("invalid_record",
"delivery", ...) for logs and metrics. The native module raises these
classes; nothing else maps errors.
"""

from __future__ import annotations

import builtins
from typing import Optional

__all__ = [
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
]


class EventBusError(Exception):
    """The base of every error eventbus raises.

    ``retriable`` says whether the same operation may succeed if tried
    again; ``field_path`` is set for invalid records.
    """

    #: The core's stable name for this kind of error.
    kind: str = "error"

    def __init__(
        self,
        message: str = "",
        *,
        kind: Optional[str] = None,
        field_path: Optional[str] = None,
        retriable: bool = False,
    ) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.field_path = field_path
        self.retriable = retriable


class ConfigError(EventBusError):
    """Settings are missing, malformed, or contradict the Event Bus rules."""

    kind = "config"


class InvalidSchema(EventBusError):
    """A schema text is not a valid Avro schema, or uses an unsupported feature."""

    kind = "invalid_schema"


class RegistryUnavailable(EventBusError):
    """The schema registry could not be reached or answered with a server error."""

    kind = "registry_unavailable"


class SchemaNotFound(EventBusError):
    """The registry has no schema for the pinned id."""

    kind = "schema_not_found"


class SchemaMismatch(EventBusError):
    """Two copies of a pinned schema disagree, or a message names another schema."""

    kind = "schema_mismatch"


class InvalidRecord(EventBusError, ValueError):
    """A record does not match its schema.

    ``field_path`` names the field ("facility.city", "procedureCodes[2]",
    'attributes["plan"]'), empty for the record itself. Nothing was sent.
    """

    kind = "invalid_record"
    field_path: str


class DecodeError(EventBusError):
    """Bytes are not a well-formed Confluent-framed Avro message."""

    kind = "decode"


class AuthError(EventBusError):
    """The brokers refused our credentials, or they could not be made."""

    kind = "auth"


class DeliveryError(EventBusError):
    """A message could not be delivered; ``retriable`` says whether sending it again may work."""

    kind = "delivery"


class TimeoutError(EventBusError, builtins.TimeoutError):
    """An operation did not finish in its time limit.

    Also a built-in ``TimeoutError``, so ``except TimeoutError`` catches it
    either way. Left out of ``__all__`` so that ``from eventbus import *``
    does not shadow the built-in name.
    """

    kind = "timeout"


class ClosedError(EventBusError):
    """The producer was closed, or was made in the parent of a forked process."""

    kind = "closed"


class QueueFullError(EventBusError):
    """The producer's local queue stayed full for longer than the enqueue timeout."""

    kind = "queue_full"
