"""Each sidecar call through real daprd: the hand-written HTTP port (bindings/sidecar.py) against the Dapr SDK's
DaprClient (bindings/dapr_client.py), one call at a time, from this process.

Both clients run in one pass, in rounds of four blocks (port, SDK, SDK, port), so that a drift in the machine's load
falls on both alike. Every block times every call `per_block` times. Work a call needs first (a fresh key, the etag
to send) is done outside the timed part. Secrets are timed uncached (the wiring caches them for a minute).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import percentile
from bindings.sidecar_choice import SIDECAR_CALLS
from functions.protocols import Invoker, Publisher, Secrets, StateStore

EVENT = json.loads((Path(__file__).resolve().parents[1] / "tests" / "events" / "audit-recorded.json").read_text())
TOPIC = "audit-logs"  # nothing consumes it in the benchmark's stack: the figures are the producer's
BULK = 10
CLIENTS = ("port", "sdk")
Prepare = Callable[[], Callable[[], object]]  # untimed set-up, returning the timed call


@dataclass
class Ports:
    publisher: Publisher
    state: StateStore
    secrets: Secrets
    invoker: Invoker


def _event() -> dict[str, Any]:
    return {**EVENT, "id": str(uuid.uuid4())}


def calls(p: Ports, secret: str, app_id: str) -> dict[str, Prepare]:
    """The covered calls, named as bindings/sidecar_choice.py names them. What each sends: "bulk publish" BULK
    events, "state save, first-write" with a 60 s TTL, "state delete" with an etag, "state transaction" two upserts
    with a TTL, "invoke" todo-api's GET /healthz."""
    run = uuid.uuid4().hex[:8]
    hot = f"bench-hot-{run}"
    p.state.save(hot, {"n": 0})

    def fresh_key() -> str:
        return f"bench-{run}-{uuid.uuid4().hex[:12]}"

    def save_with_etag() -> Callable[[], object]:
        item = p.state.get(hot)
        assert item is not None
        return lambda: p.state.save(hot, {"n": 1}, etag=item.etag)

    def delete_with_etag() -> Callable[[], object]:
        key = fresh_key()
        p.state.save(key, {"n": 1})
        item = p.state.get(key)
        assert item is not None
        return lambda: p.state.delete(key, etag=item.etag)

    def first_write() -> Callable[[], object]:
        key = fresh_key()
        return lambda: p.state.save(key, {"n": 1}, first_write=True, ttl=60)

    def transaction() -> Callable[[], object]:
        ttl = {"ttlInSeconds": "60"}
        ops = [{"operation": "upsert", "request": {"key": fresh_key(), "value": i, "metadata": ttl}} for i in range(2)]
        return lambda: p.state.transact(ops)

    timed = {
        "publish": lambda: lambda: p.publisher.publish(TOPIC, [_event()]),
        "bulk publish": lambda: lambda: p.publisher.publish(TOPIC, [_event() for _ in range(BULK)]),
        "state get": lambda: lambda: p.state.get(hot),
        "state save": lambda: lambda: p.state.save(hot, {"n": 2}),
        "state save, etag": save_with_etag,
        "state save, first-write": first_write,
        "state delete": delete_with_etag,
        "state transaction": transaction,
        "secrets get": lambda: lambda: p.secrets.get(secret),
        "invoke": lambda: lambda: p.invoker.invoke(app_id, "healthz", verb="GET"),
    }
    assert timed.keys() == SIDECAR_CALLS.keys(), "every call the wiring chooses a client for, and no other"
    return timed


def _time(prepare: Prepare) -> tuple[float, float]:
    """Wall and CPU (this process, every thread: gRPC's own too) seconds of one call."""
    call = prepare()
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(ports: dict[str, Ports], secret: str, app_id: str, rounds: int, per_block: int) -> dict[str, Any]:
    """`ports`: "port" and "sdk". Returns per call and client: p50/p90/p99 ms, CPU µs per call, samples."""
    by_client = {name: calls(p, secret, app_id) for name, p in ports.items()}
    for table in by_client.values():  # connect, warm the pools and daprd's paths: not part of any figure
        for prepare in table.values():
            for _ in range(3):
                _time(prepare)
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for client in ("port", "sdk", "sdk", "port"):
            for call, prepare in by_client[client].items():
                for _ in range(per_block):
                    w, c = _time(prepare)
                    wall.setdefault((call, client), []).append(w * 1000)
                    cpu.setdefault((call, client), []).append(c * 1e6)
    out: dict[str, Any] = {}
    for (call, client), samples in wall.items():
        ordered = sorted(samples)
        out.setdefault(call, {})[client] = {
            "p50_ms": percentile(ordered, 0.5),
            "p90_ms": percentile(ordered, 0.9),
            "p99_ms": percentile(ordered, 0.99),
            "cpu_us": statistics.mean(cpu[(call, client)]),
            "samples": len(samples),
        }
    for figures in out.values():
        port, sdk = figures["port"], figures["sdk"]
        figures["sdk_over_port_p50"] = sdk["p50_ms"] / port["p50_ms"]
        # Not dearer in latency nor in CPU: the SDK, as issue 15 asks unless it costs more; else the port.
        figures["cheaper"] = "sdk" if sdk["p50_ms"] <= port["p50_ms"] and sdk["cpu_us"] <= port["cpu_us"] else "port"
    return out
