"""Secrets read through daprd, cached for a minute: a hot path never waits on the store, a rotation lands within
`ttl`. Wraps either client's secrets port (bindings/sidecar.py, bindings/dapr_client.py)."""

from __future__ import annotations

import threading
import time

from functions.protocols import Secrets


class CachedSecrets:
    def __init__(self, inner: Secrets, ttl: float = 60.0) -> None:
        self.inner = inner
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(name)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        values = self.inner.get(name)  # an error is not cached: the next read asks again
        with self._lock:
            self._cache[name] = (now, values)
        return values
