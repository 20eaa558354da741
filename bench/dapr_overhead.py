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

import importlib.util
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench import seed
from bench.http_figures import TASK, merged
from bench.servers import Request, load
from bindings import auth

DAPR_PUBLISHED_P90_MS = 1.4  # Dapr's own performance page: p90 latency added per sidecar pair (HTTP)


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


class DevstackProvider:
    """Kafka, PostgreSQL and one app + daprd pair from bindings/devstack, in a data dir of the bench's own."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    @contextmanager
    def start(self, function: str, env: dict[str, str]) -> Iterator[SidecarPair]:
        from bindings.devstack import procs
        from bindings.devstack.plan import dynamic_plan
        from bindings.devstack.stack import Stack
        from bindings.embedded.secrets import FileSecrets

        # Ports of its own, so that it neither joins nor disturbs a `make dapr-up` stack on the default ports.
        stack = Stack(self.data_dir, procs.free_port(), procs.free_port(), procs.free_port())
        try:
            stack.infra()
            pairs = dynamic_plan({function: 1}, procs.free_port)
            # The stack's own database and secrets; only the bench's settings (log level, rate limit) carry over.
            stack.start(pairs, env={k: v for k, v in env.items() if k not in ("DATABASE_URL", "BENCH_DATA_DIR")})
            key = auth.signing_key(FileSecrets(self.data_dir / "secrets.json"))
            yield _DevstackPair(pairs[0].app_port, pairs[0].http_port, stack.tokens(), key, pairs[0].grpc_port)
        finally:
            stack.down()


def bench_dapr(work: Path, env: dict[str, str], seconds: float, warmup: float, conns: int) -> dict[str, Any]:
    found = provider(work)
    if isinstance(found, str):
        return {"skipped": found}
    try:
        direct, via = _measure(found, env, seconds, warmup, conns)
    except Exception as exc:  # an unproven adapter must not cost the rest of the run
        return {"skipped": f"failed: {type(exc).__name__}: {str(exc)[:300]}"}
    return {
        "direct": direct,
        "sidecar": via,
        "ratio": direct["rps"] / via["rps"] if via["rps"] else None,
        "added_p90_ms": via["p90_ms"] - direct["p90_ms"],
        "published_p90_ms": DAPR_PUBLISHED_P90_MS,
    }


def _measure(found: Provider, env: dict[str, str], seconds: float, warmup: float, conns: int) -> tuple[Any, Any]:
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
        for name in ("direct", "sidecar", "sidecar", "direct"):
            port, conns_of = paths[name]
            runs[name].append(load(port, conns_of, seconds / 2, warmup, (201,)))
        return merged(runs["direct"]), merged(runs["sidecar"])
