"""Publish, state, secrets and invoke through the Dapr Python SDK's `DaprClient` (gRPC to daprd's API port).

The same ports as bindings/sidecar.py (functions/protocols.py), with the same errors (bindings/dapr_client_errors.py).
bindings/wiring.py chooses, call by call, which of the two serves a function; docs/performance.md has the figures
that choice rests on.

`dapr.clients` is imported when the first call is made, never at import time: it brings grpc, protobuf and aiohttp
(0.3-0.5 s here), which a function that never calls its sidecar through the SDK should not pay at cold start.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bindings.dapr_client_errors import (
    describe,
    secret_error,
    secret_not_found,
    state_delete_error,
    state_write_error,
)
from functions.errors import Invalid, Transient
from functions.protocols import StateItem

if TYPE_CHECKING:
    from dapr.clients import DaprClient

CE_JSON = "application/cloudevents+json"
# Without it daprd hands the value to the store as bytes, which state.postgresql v1 keeps base64-encoded; with it
# the value is stored as JSON, as the HTTP API stores it, so both clients read and write the same rows.
JSON_VALUE = {"contentType": "application/json"}
log = logging.getLogger("bindings.dapr_client")
# A deadline for the calls made inside `deadline(...)`, shorter than the connection's: the SDK's publish_event takes
# no timeout argument, and a publish on a request's path must not wait out a broker that is down.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("dapr_client_deadline", default=None)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    token = _DEADLINE.set(seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class _NotConnected(Exception):
    """Never raised: what `except conn.rpc_error` catches before the first connection (grpc is not imported yet)."""


class SdkConnection:
    """One `DaprClient` per process, made on the first call: after gunicorn's fork, in the worker that calls.

    A gRPC channel made before a fork is not usable in the child, so nothing here connects at construction
    (`create_app` runs in the worker, as bindings/gunicorn_conf.py does not preload), and a pid check makes a new
    client should the process have forked since.
    """

    def __init__(
        self, host: str, grpc_port: int, http_port: int, api_token: str | None = None, timeout: float = 5.0
    ) -> None:
        self.host = host
        self.grpc_port = grpc_port
        self.http_port = http_port
        self.api_token = api_token
        self.timeout = timeout
        self._client: DaprClient | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.rpc_error: type[Exception] = _NotConnected  # grpc.RpcError once connected

    def client(self) -> DaprClient:
        if self._client is not None and self._pid == os.getpid():
            return self._client
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                self._client = self._connect()
                self._pid = os.getpid()
        return self._client

    def _connect(self) -> DaprClient:
        import grpc
        from dapr.clients import DaprClient
        from dapr.clients.retry import RetryPolicy
        from dapr.conf import settings

        # The SDK reads these from its settings, not from its arguments: the sidecar probe that DaprClient() runs
        # first (bounded by our timeout, not its 60 s default, as a first call may come while daprd is away), the
        # API token on every call, and the HTTP port of its service invocation.
        settings.DAPR_RUNTIME_HOST = self.host
        settings.DAPR_HTTP_PORT = self.http_port
        settings.DAPR_API_TOKEN = self.api_token
        settings.DAPR_HEALTH_TIMEOUT = self.timeout
        try:
            client = DaprClient(
                f"{self.host}:{self.grpc_port}",
                interceptors=[_deadline(grpc, self.timeout)],
                http_timeout_seconds=int(self.timeout) or 1,
                retry_policy=RetryPolicy(max_attempts=0),  # no retries of its own: resiliency.yaml and callers decide
            )
        except TimeoutError as exc:
            raise Transient(f"dapr sidecar at {self.host}:{self.http_port} not ready: {exc}") from exc
        self.rpc_error = grpc.RpcError
        log.info(
            "dapr sdk client connected",
            extra={"address": f"{self.host}:{self.grpc_port}", "pid": os.getpid(), "ppid": os.getppid()},
        )
        return client


def _deadline(grpc: Any, seconds: float) -> Any:
    """An interceptor giving every unary call a deadline, as the port's urllib3 timeout bounds its requests (the
    SDK's own, DAPR_API_TIMEOUT_SECONDS, is unset by default: a call would wait for ever). Inside `deadline(s)`, s."""

    class Deadline(grpc.UnaryUnaryClientInterceptor):
        def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            if details.timeout is None:
                details = _with_timeout(details, _DEADLINE.get() or seconds)
            return continuation(details, request)

    return Deadline()


def _with_timeout(details: Any, seconds: float) -> Any:
    from dapr.clients.grpc.interceptors import _ClientCallDetails

    return _ClientCallDetails(
        details.method, seconds, details.metadata, details.credentials, details.wait_for_ready, details.compression
    )


class SdkPublisher:
    def __init__(self, conn: SdkConnection, pubsub: str, timeout: float | None = None) -> None:
        self.conn = conn
        self.pubsub = pubsub
        self.timeout = timeout  # None: the connection's own

    def publish(self, topic: str, events: list[dict[str, Any]]) -> list[str]:
        client = self.conn.client()  # outside the deadline: connecting has its own bound
        with deadline(self.timeout):
            return self._publish(client, topic, events)

    def _publish(self, client: DaprClient, topic: str, events: list[dict[str, Any]]) -> list[str]:
        if len(events) == 1:
            event = events[0]
            try:
                client.publish_event(
                    self.pubsub,
                    topic,
                    json.dumps(event),
                    publish_metadata={"partitionKey": event.get("partitionkey", event["id"])},
                    data_content_type=CE_JSON,  # daprd keeps our envelope, and with it our id
                )
            except self.conn.rpc_error as err:
                raise Transient(describe(err, f"publish to {topic}")) from err
            return []
        from dapr.clients import BulkPublishEntry

        entries = [
            BulkPublishEntry(
                json.dumps(e), {"partitionKey": e.get("partitionkey", e["id"])}, content_type=CE_JSON, entry_id=e["id"]
            )
            for e in events
        ]
        try:
            resp = client.publish_events(self.pubsub, topic, entries)
        except self.conn.rpc_error as err:
            # Unlike its HTTP API, daprd's gRPC API answers any failed entry with an error and no list of which:
            # every event is left to outbox-relay (consumers dedupe the ones that did go out).
            raise Transient(describe(err, f"bulk publish to {topic}")) from err
        return [f.entry_id for f in resp.failed_entries]


class SdkState:
    def __init__(self, conn: SdkConnection, store: str) -> None:
        self.conn = conn
        self.store = store

    def get(self, key: str) -> StateItem | None:
        client = self.conn.client()  # outside the try: a sidecar not ready raises Transient itself
        try:
            resp = client.get_state(self.store, key)
        except self.conn.rpc_error as err:
            raise Transient(describe(err, "state get")) from err
        if not resp.data and not resp.etag:  # daprd's answer for a missing key; our values are never empty
            return None
        return StateItem(json.loads(resp.data), resp.etag)

    def save(
        self,
        key: str,
        value: Any,
        *,
        etag: str | None = None,
        first_write: bool = False,
        ttl: int | None = None,
    ) -> None:
        from dapr.clients.grpc._state import Concurrency, StateOptions

        client = self.conn.client()
        options = None
        if first_write or etag:
            options = StateOptions(concurrency=Concurrency.first_write if first_write else Concurrency.last_write)
        metadata = {**JSON_VALUE, "ttlInSeconds": str(ttl)} if ttl else JSON_VALUE
        try:
            client.save_state(
                self.store, key, json.dumps(value), etag=etag or None, options=options, state_metadata=metadata
            )
        except self.conn.rpc_error as err:
            raise state_write_error(err, "state save", saving=True) from err

    def delete(self, key: str, *, etag: str | None = None) -> None:
        client = self.conn.client()
        try:
            client.delete_state(self.store, key, etag=etag or None)
        except self.conn.rpc_error as err:
            raise state_delete_error(err, key) from err

    def transact(self, operations: list[dict[str, Any]]) -> None:
        client = self.conn.client()
        ops = [_operation(op) for op in operations]
        try:
            client.execute_state_transaction(self.store, ops)
        except self.conn.rpc_error as err:
            raise state_write_error(err, "state transaction", saving=False) from err


def _operation(op: dict[str, Any]) -> Any:
    """Dapr's HTTP transaction operation as the SDK's; its TransactionalStateOperation has no `options`."""
    from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType

    request = op.get("request") or {}
    kind = op.get("operation")
    if kind not in ("upsert", "delete") or "key" not in request:
        raise Invalid(f"state store refused the request: bad transaction operation {op!r:.200}")
    if "options" in request:
        raise Invalid("the SDK's state transaction carries no concurrency options: use the HTTP port for this call")
    upsert = kind == "upsert"
    return TransactionalStateOperation(
        key=request["key"],
        data=json.dumps(request.get("value")) if upsert else None,
        etag=request.get("etag") or None,
        operation_type=TransactionOperationType.upsert if upsert else TransactionOperationType.delete,
        metadata={**JSON_VALUE, **(request.get("metadata") or {})},
    )


class SdkSecrets:
    """One secret per call, uncached: wrap it in bindings.secret_cache.CachedSecrets as the wiring does."""

    def __init__(self, conn: SdkConnection, store: str) -> None:
        self.conn = conn
        self.store = store

    def get(self, name: str) -> dict[str, str]:
        client = self.conn.client()
        try:
            return dict(client.get_secret(self.store, name).secret)
        except self.conn.rpc_error as err:
            if secret_not_found(err):
                return {}
            raise secret_error(err, self.store, name) from err


class SdkInvoker:
    """Service invocation through the SDK, which speaks daprd's HTTP API for it (aiohttp) unless
    DAPR_API_METHOD_INVOCATION_PROTOCOL=grpc asks for its deprecated gRPC invocation."""

    def __init__(self, conn: SdkConnection) -> None:
        self.conn = conn

    def invoke(self, app_id: str, method: str, body: Any = None, *, verb: str = "POST") -> Any:
        from dapr.clients.exceptions import DaprInternalError

        client = self.conn.client()
        data = b"" if body is None else json.dumps(body).encode()
        try:
            resp = client.invoke_method(
                app_id, method.lstrip("/"), data, content_type="application/json", http_verb=verb
            )
        except (DaprInternalError, OSError, TimeoutError, self.conn.rpc_error) as err:
            raise Transient(f"invoke {app_id}/{method} failed: {type(err).__name__} {str(err)[:300]}") from err
        return json.loads(resp.data) if resp.data else None
