"""What daprd adds to `POST /api/tasks`: the same request straight to the app vs through its sidecar.

The harness needs only this from a real Dapr setup (bindings/devstack, issue 6), as `SidecarPair`:

- `start(function, env)`: a context manager that runs `gunicorn 'bindings.app:create_app(function)'`
  beside its own daprd (DATABASE_URL in `env`, the rest as the stack sets it) and yields the pair;
- `pair.app_port`: the app's own port (the direct path: ingress without the sidecar, publish
  still through daprd to Kafka);
- `pair.dapr_http_port`: daprd's HTTP port; the sidecar path is
  `POST /v1.0/invoke/<function>/method/api/tasks` there;
- `pair.headers`: headers every request needs on the sidecar path (`dapr-api-token` when set);
- `pair.bearer(user)`: a user token signed with the key the stack's secret store serves.

`provider()` returns one, or the reason why there is none; the benchmark is then skipped with that
reason. To wire it after issue 6 has merged, make `provider()` build the pair from
`bindings.devstack` (Stack.infra + start of one `todo-api` pair) and nothing else changes.
"""

from __future__ import annotations

import importlib.util
from contextlib import AbstractContextManager
from typing import Any, Protocol

from bench.http_figures import TASK
from bench.servers import Request, load

DAPR_PUBLISHED_P90_MS = 1.4  # Dapr's own performance page: p90 latency added per sidecar pair (HTTP)


class SidecarPair(Protocol):
    app_port: int
    dapr_http_port: int
    headers: dict[str, str]

    def bearer(self, user: str) -> dict[str, str]: ...


class Provider(Protocol):
    def start(self, function: str, env: dict[str, str]) -> AbstractContextManager[SidecarPair]: ...


def provider() -> Provider | str:
    """A way to run todo-api beside daprd here, or why there is none."""
    if importlib.util.find_spec("bindings.devstack") is None:
        return "bindings/devstack (issue 6) is not on this branch: no daprd to measure"
    from bindings.devstack import daprd  # type: ignore[import-not-found]

    if daprd.locate() is None:
        return "no daprd binary (run `make provision` first)"
    return "bindings/devstack is present but bench/dapr_overhead.py's provider() is not wired to it yet"


def bench_dapr(env: dict[str, str], seconds: float, warmup: float, conns: int) -> dict[str, Any]:
    found = provider()
    if isinstance(found, str):
        return {"skipped": found}
    with found.start("todo-api", env) as pair:
        users = [f"dapr-bench-{i}" for i in range(conns)]
        post: Request = ("POST", "/api/tasks", TASK)
        invoke: Request = ("POST", "/v1.0/invoke/todo-api/method/api/tasks", TASK)
        direct = load(pair.app_port, [(pair.bearer(u), [post]) for u in users], seconds, warmup, (201,))
        via_sidecar = [({**pair.bearer(u), **pair.headers}, [invoke]) for u in users]
        via = load(pair.dapr_http_port, via_sidecar, seconds, warmup, (201,))
    return {
        "direct": direct,
        "sidecar": via,
        "ratio": direct["rps"] / via["rps"] if via["rps"] else None,
        "added_p90_ms": via["p90_ms"] - direct["p90_ms"],
        "published_p90_ms": DAPR_PUBLISHED_P90_MS,
    }
