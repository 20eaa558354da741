"""Three ways to count a rate-limit decision in the state store, timed and checked for the exact bound.

- `read + compare-and-swap`: read the window's counter, write count + 1 under the read etag (two calls;
  what bindings/rate_limit.py did before issue 13);
- `slot claim (save)`: claim slot n of the window with a first-write save (one call; what it does now);
- `slot claim (transaction)`: the same claim as a one-operation state transaction (one call).

Each is timed over sequential decisions (ms per decision), then 100 simultaneous decisions with a limit of
60 must admit exactly 60. Against the embedded state table and, where bindings/devstack can start one,
a real daprd with its state.postgresql store (the same Provider as bench/dapr_overhead.py).

    .venv/bin/python bench/rate_limit_strategies.py [--decisions 300] [--no-dapr]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from functions.errors import Conflict  # noqa: E402

TTL = 120
Strategy = Callable[[Any, str, int, Any], bool]  # (state, counter key, limit, slot hints) -> admitted


def read_and_swap(state: Any, counter: str, limit: int, _hints: Any) -> bool:
    for _ in range(40):
        item = state.get(counter)
        count = int(item.value.get("count", 0)) if item else 0
        if count >= limit:
            return False
        try:
            if item is None:
                state.save(counter, {"count": count + 1}, first_write=True, ttl=TTL)
            else:
                state.save(counter, {"count": count + 1}, etag=item.etag, ttl=TTL)
            return True
        except Conflict:
            continue
    return False


def _claim(save: Callable[[str], None], counter: str, limit: int, hints: Any) -> bool:
    slot, jump = hints.take(counter), 1
    for _ in range(40):
        if slot >= limit:
            return False
        try:
            save(f"{counter}:{slot}")
            return True
        except Exception:  # a conflict (the sidecar's transaction error is not told apart): as the limiter does
            slot, jump = hints.taken(counter, slot, jump, limit), jump * 2
    return False


def slot_save(state: Any, counter: str, limit: int, hints: Any) -> bool:
    return _claim(lambda key: state.save(key, {"at": 1}, first_write=True, ttl=TTL), counter, limit, hints)


def slot_transaction(state: Any, counter: str, limit: int, hints: Any) -> bool:
    def save(key: str) -> None:
        request = {"key": key, "value": {"at": 1}, "options": {"concurrency": "first-write"}}
        state.transact([{"operation": "upsert", "request": {**request, "metadata": {"ttlInSeconds": str(TTL)}}}])

    return _claim(save, counter, limit, hints)


STRATEGIES: dict[str, Strategy] = {
    "read + compare-and-swap (2 calls)": read_and_swap,
    "slot claim, save first-write (1 call)": slot_save,
    "slot claim, transaction (1 call)": slot_transaction,
}
_runs = itertools.count()


def measure(state: Any, decisions: int, rounds: int = 5) -> dict[str, dict[str, float]]:
    """Timed in turns (each strategy `decisions / rounds` at a time, `rounds` times), so that a change in the
    machine's load hits all three alike; then the burst."""
    from bindings.rate_limit import SlotHints

    times: dict[str, list[float]] = {name: [] for name in STRATEGIES}
    counters = {name: (f"ratelimit:bench-{next(_runs)}-{time.time_ns()}:0", SlotHints()) for name in STRATEGIES}
    for _ in range(rounds):
        for name, decide in STRATEGIES.items():
            counter, hints = counters[name]
            for _ in range(decisions // rounds):
                started = time.perf_counter()
                assert decide(state, counter, 10**9, hints)
                times[name].append((time.perf_counter() - started) * 1000)
    found = {}
    for name, decide in STRATEGIES.items():
        admitted = _burst(state, decide, f"ratelimit:burst-{next(_runs)}-{time.time_ns()}:0")
        mean, p50 = statistics.fmean(times[name]), statistics.median(times[name])
        found[name] = {"mean_ms": mean, "p50_ms": p50, "admitted": admitted}
        print(
            f"  {name:<40} {mean:6.2f} ms/decision (p50 {p50:.2f}); 100 at once with limit 60 admitted {admitted}",
            flush=True,
        )
    return found


def _burst(state: Any, decide: Strategy, counter: str) -> int:
    from bindings.rate_limit import SlotHints

    hints, barrier, admitted, lock = SlotHints(), threading.Barrier(100), [], threading.Lock()

    def one() -> None:
        barrier.wait(timeout=30)
        ok = decide(state, counter, 60, hints)
        with lock:
            admitted.append(ok)

    threads = [threading.Thread(target=one) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return sum(admitted)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--decisions", type=int, default=300)
    p.add_argument("--no-dapr", action="store_true")
    args = p.parse_args()
    from bench import seed
    from bindings.embedded import postgres
    from bindings.embedded.state import TableState
    from functions.store.db import Database

    work = Path(tempfile.mkdtemp(prefix="todo-ratelimit-"))
    os.chmod(work, 0o755)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    try:
        url = seed.migrated_database(postgres.database_url(work / "pg-home"), "bench_ratelimit")
        db = Database(url, max_size=16).open()
        print("embedded state table:", flush=True)
        measure(TableState(db, "todo-api||"), args.decisions)
        db.close()
        if not args.no_dapr:
            _through_daprd(work, args.decisions)
    finally:
        postgres.stop(work / "pg-home")
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    return 0


def _through_daprd(work: Path, decisions: int) -> None:
    from bench.dapr_overhead import provider
    from bindings.sidecar import Sidecar, SidecarState

    found = provider(work)
    if isinstance(found, str):
        print(f"real daprd: skipped ({found})")
        return
    with found.start("todo-api", {"LOG_LEVEL": "WARNING"}) as pair:
        token = pair.headers(True)["dapr-api-token"]
        state = SidecarState(Sidecar(f"http://127.0.0.1:{pair.dapr_http_port}", token), "postgres-statestore")
        print("real daprd (state.postgresql):", flush=True)
        measure(state, decisions)


if __name__ == "__main__":
    raise SystemExit(main())
