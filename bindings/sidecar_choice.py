"""Which client serves each sidecar call: the one place that choice is made.

"sdk" is the Dapr SDK's DaprClient over gRPC (bindings/dapr_client.py), "http" the hand-written port over daprd's
HTTP API (bindings/sidecar.py). A call goes through the SDK unless the measurement through real daprd (`make bench
ARGS="--only sdk"`, bench/sdk.py) found it dearer than the port; docs/performance.md ("The Dapr SDK against the
HTTP port") has the figures and the reasons for each row. The names are the benchmark's, call for call.

SIDECAR_CLIENT=sdk or =http puts every call on one client (the benchmark's comparison; an operator's way back).
"""

from __future__ import annotations

from typing import Any, Literal

from functions.protocols import Publisher, StateItem, StateStore

Client = Literal["sdk", "http"]

# Every call keeps the port: in the run docs/performance.md shows, the SDK was dearer for each, in p50 latency and in
# CPU per call, and loading it costs each worker ~30 MB and ~0.35 s more (`make bench` flags a row that disagrees).
SIDECAR_CALLS: dict[str, Client] = {
    "publish": "http",
    "bulk publish": "http",
    "state get": "http",
    "state save": "http",
    "state save, etag": "http",
    "state save, first-write": "http",
    "state delete": "http",
    "state transaction": "http",
    "secrets get": "http",
    "invoke": "http",
}


def sidecar_calls(override: str | None = None) -> dict[str, Client]:
    """SIDECAR_CALLS, or every call on the client that `override` (SIDECAR_CLIENT) names ("measured": the table)."""
    if not override or override == "measured":
        return dict(SIDECAR_CALLS)
    if override not in ("sdk", "http"):
        raise RuntimeError(f"SIDECAR_CLIENT={override!r}: choose sdk, http or measured")
    client: Client = "sdk" if override == "sdk" else "http"
    return dict.fromkeys(SIDECAR_CALLS, client)


def uses_sdk(calls: dict[str, Client]) -> bool:
    return "sdk" in calls.values()


class ChosenPublisher:
    """One event through the client chosen for "publish", several through the one chosen for "bulk publish"."""

    def __init__(self, single: Publisher, bulk: Publisher) -> None:
        self.single = single
        self.bulk = bulk

    def publish(self, topic: str, events: list[dict[str, Any]]) -> list[str]:
        return (self.single if len(events) == 1 else self.bulk).publish(topic, events)


class ChosenState:
    """Each state call through the client chosen for it; `by_call` maps the state rows of SIDECAR_CALLS to ports."""

    def __init__(self, by_call: dict[str, StateStore], with_options: StateStore | None = None) -> None:
        self.by_call = by_call
        # The SDK's TransactionalStateOperation has no concurrency options, so a transaction that needs them (the
        # rate limiter's first-write slot claim) goes through the HTTP port whatever the table or SIDECAR_CLIENT says.
        self.with_options = with_options

    def get(self, key: str) -> StateItem | None:
        return self.by_call["state get"].get(key)

    def save(
        self,
        key: str,
        value: Any,
        *,
        etag: str | None = None,
        first_write: bool = False,
        ttl: int | None = None,
    ) -> None:
        call = "state save, first-write" if first_write else "state save, etag" if etag else "state save"
        self.by_call[call].save(key, value, etag=etag, first_write=first_write, ttl=ttl)

    def delete(self, key: str, *, etag: str | None = None) -> None:
        self.by_call["state delete"].delete(key, etag=etag)

    def transact(self, operations: list[dict[str, Any]]) -> None:
        needs_options = any("options" in (op.get("request") or {}) for op in operations)
        if needs_options and self.with_options is not None:
            self.with_options.transact(operations)
        else:
            self.by_call["state transaction"].transact(operations)
