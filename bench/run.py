"""`make bench`: every benchmark of issue 8 in one run, each bounded, against one embedded PostgreSQL.

Prints the table of figures, writes bench/results/<date>.json (<date>-quick.json with --quick) and the
PNG plots beside it. `--only` runs some benchmarks: http, audit, startup, dapr, events, reminders, sdk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import plots, report  # noqa: E402  (after the sys.path line)
from bench.http_figures import LoadConfig, app_env  # noqa: E402

ALL = ("http", "audit", "startup", "dapr", "events", "reminders", "sdk")
MODES = {
    "full": {
        "seconds": 15.0,
        "warmup": 3.0,
        "connections": 8,
        "ids": 100,
        "list_sizes": "10000,100000,1000000",
        "reminder_sizes": "10000,100000,1000000",
        "repeats": 5,
        "path": 2000,
        "starts": 3,
        "bulk": 100,
        "sdk_rounds": 5,  # bench/sdk.py: rounds of port, SDK, SDK, port blocks
        "sdk_per_block": 40,  # each call timed this many times per block
        "sdk_starts": 3,  # cold starts per function and client
    },
    "quick": {
        "seconds": 3.0,
        "warmup": 1.0,
        "connections": 4,
        "ids": 20,
        "list_sizes": "10000,100000",
        "reminder_sizes": "10000,100000",
        "repeats": 2,
        "path": 300,
        "starts": 1,
        "bulk": 20,
        "sdk_rounds": 1,
        "sdk_per_block": 10,
        "sdk_starts": 1,
    },
}


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--quick", action="store_true", help="short runs and small data: checks the harness, not the figures"
    )
    p.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    p.add_argument("--seconds", type=float, help="measured seconds per load run")
    p.add_argument("--connections", type=int, help="concurrent client connections per load run")
    p.add_argument("--list-sizes", help="tasks of the listing user, e.g. 10000,1000000 (the first is the baseline)")
    p.add_argument("--reminder-sizes", help="tasks for reminder-check, e.g. 10000,1000000")
    p.add_argument("--rate", type=float, help="open-loop req/s of the daprd fixed-rate figures (default 50)")
    p.add_argument("--event-rate", type=float, help="open-loop creates/s of the event-path figure (default 20)")
    p.add_argument("--no-profile", action="store_true", help="do not profile figures that miss their target")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = p.parse_args()
    mode = MODES["quick" if args.quick else "full"]
    for key in ("seconds", "connections", "list_sizes", "reminder_sizes"):
        if getattr(args, key) is None:
            setattr(args, key, mode[key])
    args.mode = mode
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(ALL)
    if unknown:
        p.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(ALL)}")
    return args


def _machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit.stdout.strip() + ("+changes" if dirty else ""),
    }


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split(","))


def run(args: argparse.Namespace, work: Path, admin: str) -> tuple[dict[str, Any], list[report.Figure]]:
    from bench import seed

    m = args.mode
    results: dict[str, Any] = {}
    figures: list[report.Figure] = []
    db_url = seed.migrated_database(admin, "bench_http")
    env = app_env(db_url, work / "http-data")
    seed.signing_key(work / "http-data")
    if "http" in args.only:
        from bench.http_figures import bench_http

        cfg = LoadConfig(args.seconds, m["warmup"], args.connections, m["ids"], _sizes(args.list_sizes))
        results["http"] = bench_http(db_url, work / "http-data", cfg)
        figures += report.http_figures(results["http"])
        from bench.roundtrips import bench_roundtrips

        results["roundtrips"] = bench_roundtrips(db_url, work / "http-data")
    if "audit" in args.only:
        from bench.audit import bench_audit

        results["audit"] = bench_audit(env, args.seconds, m["warmup"], args.connections, m["bulk"])
        figures += report.audit_figures(results["audit"])
    if "startup" in args.only:
        from bench.startup import bench_startup

        results["startup"] = bench_startup(env["DATABASE_URL"], work / "http-data", m["starts"])
        under_load = dict((results.get("http") or {}).get("rss_mb", {}))
        if "audit" in results:
            under_load["audit-writer"] = results["audit"]["rss_mb"]
        figures += report.startup_figures(results["startup"], under_load)
    if "dapr" in args.only:
        from bench.dapr_overhead import FIXED_RATE, bench_dapr

        rate = args.rate or FIXED_RATE
        results["dapr"] = bench_dapr(work, env, args.seconds, m["warmup"], args.connections, rate)
        figures += report.dapr_figures(results["dapr"])
    if "events" in args.only:
        from bench.event_latency import RATE, bench_events

        results["events"] = bench_events(work, env, max(args.seconds, 10.0), args.event_rate or RATE)
        figures += report.event_figures(results["events"])
    if "reminders" in args.only:
        from bench.reminders import bench_checks, bench_path

        checks = bench_checks(admin, work, list(_sizes(args.reminder_sizes)), m["repeats"])
        results["reminders"] = {"check": checks, "path": bench_path(admin, work, m["path"])}
        figures += report.reminder_figures(checks, results["reminders"]["path"])
    if "sdk" in args.only:
        from bench.sdk import bench_sdk
        from bindings.table import FUNCTIONS

        results["sdk"] = bench_sdk(work, m["sdk_rounds"], m["sdk_per_block"], m["sdk_starts"], list(FUNCTIONS))
        figures += report.sdk_figures(results["sdk"])
    if not args.no_profile and "http" in results:
        from bench.profile import profile_misses

        results["profiles"] = profile_misses(figures, db_url, work / "http-data", args.out, args.stamp)
    return results, figures


def draw(results: dict[str, Any], figures: list[report.Figure], out: Path, stamp: str) -> list[Path]:
    folder = out / stamp
    folder.mkdir(parents=True, exist_ok=True)
    drawn = [plots.ratios(figures, folder)]
    h = results.get("http")
    if h:
        names = [n for n in ("ping", "insert", "post", "get", "patch", "complete") if n in h]
        names += [k for k in h if k.startswith("list")]
        drawn.append(plots.latency({n: h[n] for n in names}, folder))
    series: dict[str, list[tuple[int, float]]] = {}
    if h:
        for key, label in (
            ("list", "GET /api/tasks filter+sort, 50 items, p50"),
            ("list_tag", "GET /api/tasks tag filter, p50"),
        ):
            series[label] = [(s, h[f"{key}_{s}"]["p50_ms"]) for s in h["config"]["sizes"]]
    if "reminders" in results:
        checks = results["reminders"]["check"]
        series[f"reminder-check, {checks[0]['due']} due"] = [(c["tasks"], c["median_s"] * 1000) for c in checks]
    if series:
        drawn.append(plots.growth(series, folder))
    if "startup" in results:
        drawn.append(plots.startup(results["startup"], folder))
    return drawn


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main() -> int:
    args = _args()
    args.stamp = datetime.now(UTC).strftime("%Y-%m-%d") + ("-quick" if args.quick else "")
    if set(args.only) != set(ALL):  # a partial run must not overwrite the day's whole one
        args.stamp += "-" + "-".join(args.only)
    from bindings.embedded import postgres

    work = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    os.chmod(work, 0o755)  # the embedded server may run as another user when we are root
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the functions' info lines would bury the table
    machine = {"before": _machine()}
    started = time.perf_counter()
    try:
        results, figures = run(args, work, postgres.database_url(work / "pg-home"))
    finally:
        postgres.stop(work / "pg-home")
        shutil.rmtree(work, ignore_errors=True)
    machine["after"] = _machine()
    args.out.mkdir(parents=True, exist_ok=True)
    drawn = draw(results, figures, args.out, args.stamp)
    doc = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine,
        "figures": [f.row() for f in figures],
        "results": results,
        "plots": [str(p.relative_to(args.out)) for p in drawn],
    }
    path = args.out / f"{args.stamp}.json"
    path.write_text(json.dumps(doc, indent=1, default=str))
    load = machine["before"]["loadavg"]
    print(f"\n{report.table(figures)}\n")
    if "roundtrips" in results:
        from bench.roundtrips import table

        print(f"One request of each route (bench/roundtrips.py):\n{table(results['roundtrips'])}\n")
    print(
        f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {machine['before']['cpus']} CPUs;"
        f" took {doc['seconds']:.0f} s"
    )
    print(f"written {_shown(path)} and {', '.join(_shown(p) for p in drawn)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
