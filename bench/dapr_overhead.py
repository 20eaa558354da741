"""What daprd adds to `POST /api/tasks`: the same request straight to the app vs through its sidecar.

The harness needs only this from a real Dapr setup, as a `Provider` whose `start(function, env)` is a
context manager that runs `gunicorn 'bindings.app:create_app(function)'` beside its own daprd and
yields a `SidecarPair`:

- `app_port`: the app's own port. The direct path: no sidecar on the way in, but publish, state and
  secrets still go through daprd (to Kafka and PostgreSQL), as in a pod;
- `dapr_http_port`: daprd's HTTP port; the sidecar path is `POST /v1.0/invoke/<function>/method/api/tasks`;
- `dapr_grpc_port`: daprd's gRPC port, which the Dapr SDK's client speaks to (bench/sdk.py);
- `headers(via_sidecar)`: what each request needs besides the bearer (`dapr-api-token`);
- `bearer(user)`: Authorization and Content-Type headers, signed with the key the stack's secret store serves.

`provider()` returns one, or the reason why there is none, and the benchmark is then skipped with that
reason. `DevstackProvider` is that adapter for bindings/devstack (issue 6): it was written against
that branch's `Stack`/`Pair` API and could not run here before the merge, so a failure inside it is
reported as the figure's note rather than stopping `make bench`.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench import seed
from bench.http_figures import TASK, merged
from bench.servers import Request, fixed_rate, load
from bindings import auth

DAPR_PUBLISHED_P90_MS = 1.4  # Dapr's own performance page: p90 latency added per sidecar pair (HTTP)
# Open-loop rate of the fixed-rate figures: moderate, well under what the direct path sustains on a loaded
# 2-core machine (about 200 POST/s at saturation), so that the figure is the sidecar's hop, not queueing.
FIXED_RATE = 50.0
TARGET_ADDED_P90_MS = 2.0
ORDER = ("direct", "sidecar", "sidecar", "direct")  # interleaved, so that drift falls on both paths alike


class SidecarPair(Protocol):
    app_port: int
    dapr_http_port: int
    dapr_grpc_port: int

    def headers(self, via_sidecar: bool) -> dict[str, str]: ...

    def bearer(self, user: str) -> dict[str, str]: ...


class Provider(Protocol):
    def start(self, function: str, env: dict[str, str]) -> AbstractContextManager[SidecarPair]: ...


def provider(work: Path) -> Provider | str:
    """A way to run a function beside daprd on this machine, or why there is none."""
    if importlib.util.find_spec("bindings.devstack") is None:
        return "bindings/devstack (issue 6) is not on this branch: no daprd to measure"
    from bindings.devstack import daprd

    if daprd.locate() is None:
        return "no daprd binary (run `make provision` first)"
    return DevstackProvider(work / "devstack")


@dataclass
class _DevstackPair:
    app_port: int
    dapr_http_port: int
    tokens: dict[str, str]
    key: str
    dapr_grpc_port: int  # the Dapr SDK's (bench/sdk.py)

    def headers(self, via_sidecar: bool) -> dict[str, str]:
        # daprd wants its API token; the app, called directly, the app token daprd would have added.
        return {"dapr-api-token": self.tokens["DAPR_API_TOKEN" if via_sidecar else "APP_API_TOKEN"]}

    def bearer(self, user: str) -> dict[str, str]:
        return seed.bearer(self.key, user)


@dataclass
class Running:
    """Several functions beside their daprds on one stack (bench/event_latency.py)."""

    pairs: dict[str, Any]  # function -> its bindings.manifests.port_plan.Pair
    database_url: str
    tokens: dict[str, str]
    key: str

    def pair(self, function: str) -> SidecarPair:
        p = self.pairs[function]
        return _DevstackPair(p.app_port, p.http_port, self.tokens, self.key, p.grpc_port)


class DevstackProvider:
    """Kafka, PostgreSQL and app + daprd pairs from bindings/devstack, in a data dir of the bench's own."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    @contextmanager
    def start(self, function: str, env: dict[str, str]) -> Iterator[SidecarPair]:
        with self.start_many((function,), env) as running:
            yield running.pair(function)

    @contextmanager
    def start_many(self, functions: tuple[str, ...], env: dict[str, str]) -> Iterator[Running]:
        from bindings.devstack import procs
        from bindings.devstack.plan import dynamic_plan
        from bindings.devstack.stack import Stack
        from bindings.embedded.secrets import FileSecrets

        # Ports of its own, so that it neither joins nor disturbs a `make dapr-up` stack on the default ports.
        stack = Stack(self.data_dir, procs.free_port(), procs.free_port(), procs.free_port())
        try:
            url = stack.infra()
            pairs = dynamic_plan(dict.fromkeys(functions, 1), procs.free_port)
            # The stack's own database and secrets; only the bench's settings (log level, rate limit) carry over.
            stack.start(pairs, env={k: v for k, v in env.items() if k not in ("DATABASE_URL", "BENCH_DATA_DIR")})
            key = auth.signing_key(FileSecrets(self.data_dir / "secrets.json"))
            yield Running({p.function: p for p in pairs}, url, stack.tokens(), key)
        finally:
            stack.down()


def bench_dapr(
    work: Path, env: dict[str, str], seconds: float, warmup: float, conns: int, rate: float = FIXED_RATE
) -> dict[str, Any]:
    found = provider(work)
    if isinstance(found, str):
        return {"skipped": found}
    try:
        direct, via, fixed = _measure(found, env, seconds, warmup, conns, rate)
    except Exception as exc:  # an unproven adapter must not cost the rest of the run
        return {"skipped": f"failed: {type(exc).__name__}: {str(exc)[:300]}"}
    return {
        "direct": direct,
        "sidecar": via,
        "ratio": direct["rps"] / via["rps"] if via["rps"] else None,
        "added_p90_ms": via["p90_ms"] - direct["p90_ms"],
        "published_p90_ms": DAPR_PUBLISHED_P90_MS,
        "fixed_rate": fixed,
    }


def _measure(
    found: Provider, env: dict[str, str], seconds: float, warmup: float, conns: int, rate: float
) -> tuple[Any, Any, dict[str, Any]]:
    """Direct, sidecar, sidecar, direct, half the time each: the first runs also warm Kafka's producer."""
    with found.start("todo-api", env) as pair:
        users = [f"dapr-bench-{i}" for i in range(conns)]
        post: Request = ("POST", "/api/tasks", TASK)
        invoke: Request = ("POST", "/v1.0/invoke/todo-api/method/api/tasks", TASK)
        paths = {
            "direct": (pair.app_port, [({**pair.bearer(u), **pair.headers(False)}, [post]) for u in users]),
            "sidecar": (pair.dapr_http_port, [({**pair.bearer(u), **pair.headers(True)}, [invoke]) for u in users]),
        }
        runs: dict[str, list[dict[str, Any]]] = {"direct": [], "sidecar": []}
        for name in ORDER:
            port, conns_of = paths[name]
            runs[name].append(load(port, conns_of, seconds / 2, warmup, (201,)))
        return merged(runs["direct"]), merged(runs["sidecar"]), _fixed_rate(pair, users, seconds, rate)


def _fixed_rate(pair: SidecarPair, users: list[str], seconds: float, rate: float) -> dict[str, Any]:
    """POST and a cache-hit GET at `rate` requests/s, open loop, direct vs sidecar, interleaved like the above."""
    ids = {u: _create(pair, u) for u in users}
    for u in users:  # the first GET fills the cache: every timed GET is a hit, by either path
        _call(pair.app_port, "GET", f"/api/tasks/{ids[u]}", None, {**pair.bearer(u), **pair.headers(False)}, 200)
    routes: dict[str, tuple[str, str | None, int]] = {
        "post": ("/api/tasks", TASK, 201),
        "get": ("/api/tasks/{id}", None, 200),
    }
    out: dict[str, Any] = {"rate": rate}
    for route, (path, body, status) in routes.items():
        method = "POST" if body else "GET"
        runs: dict[str, list[dict[str, Any]]] = {"direct": [], "sidecar": []}
        for name in ORDER:
            via = name == "sidecar"
            prefix = "/v1.0/invoke/todo-api/method" if via else ""
            port = pair.dapr_http_port if via else pair.app_port
            batch = [
                ({**pair.bearer(u), **pair.headers(via)}, (method, prefix + path.replace("{id}", ids[u]), body))
                for u in users
            ]
            runs[name].append(fixed_rate(port, batch, rate, seconds / 2, 1.0, (status,)))
        direct, sidecar = _pooled(runs["direct"]), _pooled(runs["sidecar"])
        out[route] = {
            "direct": direct,
            "sidecar": sidecar,
            **{f"added_{q}_ms": sidecar[f"{q}_ms"] - direct[f"{q}_ms"] for q in ("p50", "p90", "p99")},
        }
    return out


def _pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Two open-loop runs of one path: the mean of their percentiles (each run's are kept), the worst max and slip."""
    notes = [r["note"] for r in runs if r.get("note")]
    return {
        "requests": sum(r["requests"] for r in runs),
        "runs": [{k: r[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "late_p99_ms")} for r in runs],
        **{k: sum(r[k] for r in runs) / len(runs) for k in ("p50_ms", "p90_ms", "p99_ms")},
        "max_ms": max(r["max_ms"] for r in runs),
        "late_p99_ms": max(r["late_p99_ms"] for r in runs),
        "late_over_10ms": sum(r["late_over_10ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        **({"note": "; ".join(notes)} if notes else {}),
    }


def _call(port: int, method: str, path: str, body: str | None, headers: dict[str, str], status: int) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        reply = resp.read()
        if resp.status != status:
            raise RuntimeError(f"{method} {path} answered {resp.status}: {reply[:200]!r}")
        return json.loads(reply)
    finally:
        conn.close()


def _create(pair: SidecarPair, user: str) -> str:
    headers = {**pair.bearer(user), **pair.headers(False)}
    return str(_call(pair.app_port, "POST", "/api/tasks", TASK, headers, 201)["id"])
