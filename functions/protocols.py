"""What handlers need from the outside, as protocols that Deps (functions/deps.py) holds: bindings/sidecar.py
implements them over daprd, bindings/embedded/ on one machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Publisher(Protocol):
    def publish(self, topic: str, events: list[dict[str, Any]]) -> list[str]:
        """Publish CloudEvents (bulk where there are several); return the ids that failed."""
        ...


@dataclass(frozen=True)
class StateItem:
    value: Any
    etag: str


class StateStore(Protocol):
    def get(self, key: str) -> StateItem | None: ...

    def save(
        self,
        key: str,
        value: Any,
        *,
        etag: str | None = None,
        first_write: bool = False,
        ttl: int | None = None,
    ) -> None:
        """Raise functions.errors.Conflict when the etag no longer matches."""
        ...

    def delete(self, key: str, *, etag: str | None = None) -> None: ...

    def transact(self, operations: list[dict[str, Any]]) -> None:
        """Dapr's state transaction: [{"operation": "upsert"|"delete", "request": {...}}]."""
        ...


class Secrets(Protocol):
    def get(self, name: str) -> dict[str, str]:
        """The named secret's values; raise functions.errors.Transient when the store cannot answer."""
        ...


class Invoker(Protocol):
    def invoke(self, app_id: str, method: str, body: Any = None, *, verb: str = "POST") -> Any: ...


class Meter(Protocol):
    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        """Add to a counter declared in bindings/observability.py; the function label is added there."""
        ...
