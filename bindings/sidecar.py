"""Publish, state, secrets and invoke through daprd's HTTP API (default http://127.0.0.1:3500).

The hand-written port beside the SDK's gRPC DaprClient (bindings/dapr_client.py); bindings/sidecar_choice.py says
which of the two serves each call. A pooled urllib3 client imports in a few ms (grpc + protobuf cost far more at
cold start), and it sends `application/cloudevents+json` verbatim, which keeps our CloudEvent id end to end.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import urllib3

from functions.errors import Conflict, Invalid, Transient
from functions.protocols import StateItem

CE_JSON = "application/cloudevents+json"


class Sidecar:
    def __init__(self, base_url: str, api_token: str | None = None, timeout: float = 5.0) -> None:
        self.base = base_url.rstrip("/")
        self.http = urllib3.PoolManager(maxsize=16, retries=False, timeout=urllib3.Timeout(total=timeout))
        self.headers = {"dapr-api-token": api_token} if api_token else {}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> urllib3.BaseHTTPResponse:
        data = None if body is None else json.dumps(body).encode()
        hdrs = {**self.headers, **(headers or {})}
        if data is not None:
            hdrs["Content-Type"] = content_type
        url = self.base + path
        if fields:
            url += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items())
        try:
            if timeout is not None:
                return self.http.request(method, url, body=data, headers=hdrs, timeout=urllib3.Timeout(total=timeout))
            return self.http.request(method, url, body=data, headers=hdrs)
        except urllib3.exceptions.HTTPError as exc:
            raise Transient(f"dapr sidecar unreachable at {self.base}: {type(exc).__name__}") from exc

    def wait_ready(self, timeout: float) -> None:
        """Block until `GET /v1.0/healthz/outbound` answers 204 (components loaded), or raise after `timeout`."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            try:
                resp = self.call("GET", "/v1.0/healthz/outbound")
                if resp.status == 204:
                    return
                last = f"HTTP {resp.status}"
            except Transient as exc:
                last = str(exc)
            if time.monotonic() >= deadline:
                raise Transient(f"dapr sidecar at {self.base} not ready after {timeout:.0f}s: {last}")
            time.sleep(0.5)


def _fail(resp: urllib3.BaseHTTPResponse, what: str) -> Transient:
    return Transient(f"{what} failed: HTTP {resp.status} {resp.data[:300].decode(errors='replace')}")


class SidecarPublisher:
    def __init__(self, sidecar: Sidecar, pubsub: str, timeout: float | None = None) -> None:
        self.sidecar = sidecar
        self.pubsub = pubsub
        self.timeout = timeout  # None: the sidecar client's own

    def publish(self, topic: str, events: list[dict[str, Any]]) -> list[str]:
        if len(events) == 1:
            event = events[0]
            resp = self.sidecar.call(
                "POST",
                f"/v1.0/publish/{self.pubsub}/{topic}",
                event,
                content_type=CE_JSON,
                fields={"metadata.partitionKey": event.get("partitionkey", event["id"])},
                timeout=self.timeout,
            )
            if resp.status >= 300:
                raise _fail(resp, f"publish to {topic}")
            return []
        entries = [
            {
                "entryId": e["id"],
                "event": e,
                "contentType": CE_JSON,
                "metadata": {"partitionKey": e.get("partitionkey", e["id"])},
            }
            for e in events
        ]
        resp = self.sidecar.call(
            "POST", f"/v1.0-alpha1/publish/bulk/{self.pubsub}/{topic}", entries, timeout=self.timeout
        )
        if resp.status < 300:
            return []
        try:
            failed = json.loads(resp.data).get("failedEntries") or []
        except (ValueError, AttributeError):
            raise _fail(resp, f"bulk publish to {topic}") from None
        if not failed:
            raise _fail(resp, f"bulk publish to {topic}")
        return [f["entryId"] for f in failed]


class SidecarState:
    def __init__(self, sidecar: Sidecar, store: str) -> None:
        self.sidecar = sidecar
        self.store = store

    def get(self, key: str) -> StateItem | None:
        resp = self.sidecar.call("GET", f"/v1.0/state/{self.store}/{quote(key, safe='')}")
        if resp.status == 204:
            return None
        if resp.status != 200:
            raise _fail(resp, "state get")
        return StateItem(json.loads(resp.data), resp.headers.get("ETag", ""))

    def save(
        self,
        key: str,
        value: Any,
        *,
        etag: str | None = None,
        first_write: bool = False,
        ttl: int | None = None,
    ) -> None:
        self._post("", [_state_request(key, value, etag, first_write, ttl)])

    def delete(self, key: str, *, etag: str | None = None) -> None:
        headers = {"If-Match": etag} if etag else {}
        resp = self.sidecar.call("DELETE", f"/v1.0/state/{self.store}/{quote(key, safe='')}", headers=headers)
        if resp.status == 409:
            raise Conflict(f"state key {key!r} changed since it was read", field="etag")
        if resp.status >= 300:
            raise _fail(resp, "state delete")

    def transact(self, operations: list[dict[str, Any]]) -> None:
        self._post("/transaction", {"operations": operations})

    def _post(self, suffix: str, body: Any) -> None:
        resp = self.sidecar.call("POST", f"/v1.0/state/{self.store}{suffix}", body)
        if resp.status == 409:
            raise Conflict("state changed since it was read (etag mismatch)", field="etag")
        if _first_write_refused(resp):
            raise Conflict("state key already exists (first-write)", field="key")
        if resp.status == 400:
            raise Invalid(f"state store refused the request: {resp.data[:300].decode(errors='replace')}")
        if resp.status >= 300:
            raise _fail(resp, "state save")


def _first_write_refused(resp: urllib3.BaseHTTPResponse) -> bool:
    """state.postgresql answers a first-write save (no etag) on a live key with 500 ERR_STATE_SAVE "no item was
    updated", not 409: its upsert's WHERE only lets an expired row be replaced, and it has no etag to blame.
    Inside a state transaction the same refusal is 500 ERR_STATE_TRANSACTION with the same words (daprd 1.18,
    seen through bench/rate_limit_strategies.py)."""
    return _dapr_error(resp, 500, "ERR_STATE_SAVE", "no item was updated") or _dapr_error(
        resp, 500, "ERR_STATE_TRANSACTION", "no item was updated"
    )


def _dapr_error(resp: urllib3.BaseHTTPResponse, status: int, code: str, message_part: str) -> bool:
    """Is this daprd's `{"errorCode": code, "message": "...message_part..."}` answer with `status`?"""
    if resp.status != status:
        return False
    try:
        body = json.loads(resp.data)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("errorCode") == code and message_part in str(body.get("message", ""))


def _state_request(key: str, value: Any, etag: str | None, first_write: bool, ttl: int | None) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key, "value": value}
    if etag:
        item["etag"] = etag
    if first_write or etag:
        item["options"] = {"concurrency": "first-write" if first_write else "last-write"}
    if ttl:
        item["metadata"] = {"ttlInSeconds": str(ttl)}
    return item


class SidecarSecrets:
    """One secret per call, uncached: the wiring wraps it in bindings.secret_cache.CachedSecrets."""

    def __init__(self, sidecar: Sidecar, store: str) -> None:
        self.sidecar = sidecar
        self.store = store

    def get(self, name: str) -> dict[str, str]:
        resp = self.sidecar.call("GET", f"/v1.0/secrets/{self.store}/{quote(name, safe='')}")
        if resp.status == 204 or _secret_not_found(resp):
            return {}
        if resp.status == 200:
            values: dict[str, str] = json.loads(resp.data)
            return values
        if resp.status == 403:
            # The function's Configuration scopes the store to its declared secrets (bindings/table.py).
            raise Transient(f"secret store {self.store!r} refused {name!r}: not in this sidecar's secret scopes")
        raise Transient(f"secret store {self.store!r} answered HTTP {resp.status} for {name!r}")


def _secret_not_found(resp: urllib3.BaseHTTPResponse) -> bool:
    """daprd answers a missing secret with 500 ERR_SECRET_GET carrying the store's "not found" (local.file and
    kubernetes alike), not with 204: read that as "no such secret", as the embedded file store does."""
    return _dapr_error(resp, 500, "ERR_SECRET_GET", "not found")


class SidecarInvoker:
    def __init__(self, sidecar: Sidecar) -> None:
        self.sidecar = sidecar

    def invoke(self, app_id: str, method: str, body: Any = None, *, verb: str = "POST") -> Any:
        resp = self.sidecar.call(verb, f"/v1.0/invoke/{app_id}/method/{method.lstrip('/')}", body)
        if resp.status >= 300:
            raise _fail(resp, f"invoke {app_id}/{method}")
        return json.loads(resp.data) if resp.data else None
