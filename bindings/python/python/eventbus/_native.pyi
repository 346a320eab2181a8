# Type stubs for the compiled module; `stubtest` checks them against it in CI.
import asyncio
import os
from collections.abc import Mapping, Sequence
from typing import Any, Optional, TypedDict, Union, final

from typing_extensions import NotRequired, Unpack

__all__ = [
    "Delivery",
    "DeliveryReport",
    "Producer",
    "Serializer",
    "__version__",
    "_close_open_producers",
    "_panic_boundary_check",
    "_shut_down_dispatch",
    "after_fork_in_child",
]
__version__: str

_Path = Union[str, "os.PathLike[str]"]
_Headers = Union[Mapping[str, Union[bytes, str]], Sequence[tuple[str, Union[bytes, str]]]]

class _TopicSettings(TypedDict):
    value_schema_id: int
    key_schema_id: NotRequired[Optional[int]]
    value_schema_file: NotRequired[Optional[_Path]]
    key_schema_file: NotRequired[Optional[_Path]]

class _ProducerSettings(TypedDict, total=False):
    bootstrap_servers: Union[str, Sequence[str], None]
    security_protocol: Optional[str]
    aws_region: Optional[str]
    role_arn: Optional[str]
    role_session_name: Optional[str]
    sts_region: Optional[str]
    role_external_id: Optional[str]
    ssl_ca_location: Optional[_Path]
    schema_registry_url: Optional[str]
    schema_registry_path_prefix: Optional[str]
    schema_registry_basic_auth: Optional[str]
    schema_registry_ca_location: Optional[_Path]
    enable_idempotence: Optional[bool]
    kafka_properties: Optional[Mapping[str, Union[str, int, float, bool]]]
    startup_timeout: Optional[float]
    message_timeout: Optional[float]
    enqueue_timeout: Optional[float]
    queue_max_bytes: Optional[int]

@final
class Serializer:
    def __new__(
        cls,
        *,
        schema_id: int,
        schema: Optional[str] = None,
        registry_url: Optional[str] = None,
        path_prefix: Optional[str] = None,
    ) -> Serializer: ...
    @property
    def schema_id(self) -> int: ...
    # A record schema takes and gives dicts; a primitive one (a "string" or
    # "long" key schema, say) takes and gives the bare value.
    def encode(self, value: Any) -> bytes: ...
    def decode(self, message: Union[bytes, bytearray, memoryview]) -> Any: ...

@final
class DeliveryReport:
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> Optional[int]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class Delivery:
    def result(self, timeout: Optional[float] = None) -> DeliveryReport: ...
    def done(self) -> bool: ...

@final
class Producer:
    def __new__(
        cls, topics: Mapping[str, _TopicSettings], **settings: Unpack[_ProducerSettings]
    ) -> Producer: ...
    def produce(
        self,
        topic: str,
        value: Mapping[str, Any],
        key: Optional[Any] = None,
        headers: Optional[_Headers] = None,
    ) -> Delivery: ...
    def produce_async(
        self,
        topic: str,
        value: Mapping[str, Any],
        key: Optional[Any] = None,
        headers: Optional[_Headers] = None,
    ) -> asyncio.Future[DeliveryReport]: ...
    def flush(self, timeout: Optional[float] = None) -> None: ...
    def close(self, timeout: Optional[float] = None) -> None: ...
    @property
    def in_flight(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Producer: ...
    def __exit__(self, *_exc_info: object) -> bool: ...

def _close_open_producers(timeout: float) -> list[str]: ...
def after_fork_in_child() -> None: ...
def _panic_boundary_check() -> None: ...
def _shut_down_dispatch() -> None: ...
