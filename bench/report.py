"""The figures of issue 8 from the raw results: value, baseline, ratio, target and verdict, as a table."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str = "stated"  # ">= 0.5" on the ratio, "<= 1.5" on the ratio, "<= 1.0 s" on the value
    passed: bool | None = None
    note: str = ""
    group: str = ""  # the plot panel: throughput, growth, budget

    def row(self) -> dict[str, Any]:
        return asdict(self)


def _ratio_min(name: str, value: float, base: float, unit: str, target: float, note: str = "") -> Figure:
    ratio = value / base if base else None
    ok = None if ratio is None else ratio >= target
    return Figure(name, value, unit, base, ratio, f">= {target}x", ok, note, "throughput")


def _growth(name: str, big: float, small: float, unit: str, target: float | None, note: str) -> Figure:
    ratio = big / small if small else None
    ok = None if ratio is None or target is None else ratio <= target
    return Figure(name, big, unit, small, ratio, f"<= {target}" if target else "stated", ok, note, "growth")


def _note_errors(*runs: dict[str, Any]) -> str:
    return "; ".join(r["note"] for r in runs if r.get("note"))


def http_figures(h: dict[str, Any]) -> list[Figure]:
    sizes = h["config"]["sizes"]
    small, big = sizes[0], sizes[-1]
    pairs = (
        ("post", "insert", "POST /api/tasks vs bare INSERT", 0.5),
        ("get", "ping", "GET /api/tasks/{id} (warmed) vs /ping", 0.6),
        ("patch", "insert_patch", "PATCH /api/tasks/{id} vs bare INSERT", 0.4),
        ("complete", "insert_complete", "POST /api/tasks/{id}/complete (recurring) vs bare INSERT", 0.4),
    )
    figs = [
        _ratio_min(name, h[key]["rps"], h[base]["rps"], "req/s", target, _note_errors(h[key], h[base]))
        for key, base, name, target in pairs
        if key in h  # results of a run before PATCH and complete were measured
    ]
    for key, label, target in (("list", "filter+sort", 1.5), ("list_tag", "tag filter", None)):
        # p50 of one connection's requests: the median resists the spikes of a shared machine better than 1/req/s
        per_request = {s: h[f"{key}_{s}"]["p50_ms"] for s in sizes}
        figs.append(
            _growth(
                f"GET /api/tasks {label} (50), {big:,} vs {small:,} tasks",
                per_request[big],
                per_request[small],
                "ms p50",
                target,
                _note_errors(h[f"{key}_{small}"], h[f"{key}_{big}"]),
            )
        )
    return figs


def reminder_figures(checks: list[dict[str, Any]], path: dict[str, Any]) -> list[Figure]:
    small, big = checks[0], checks[-1]
    return [
        _growth(
            f"reminder-check, {small['due']:,} due, {big['tasks']:,} vs {small['tasks']:,} tasks",
            big["median_s"] * 1000,
            small["median_s"] * 1000,
            "ms",
            1.5,
            "median of the repeats",
        ),
        Figure(
            "reminder path claim -> publish -> send to sink",
            path["per_second"],
            "reminders/s",
            note=f"{path['reminders']} reminders, one delivery thread",
        ),
    ]


def audit_figures(a: dict[str, Any]) -> list[Figure]:
    figs = [
        Figure(
            "audit-writer, single deliveries",
            a["single"]["events_per_s"],
            "events/s",
            note=f"one worker, {a['connections']} connections " + _note_errors(a["single"]),
        )
    ]
    bulk = a["bulk"]
    if "skipped" in bulk:
        figs.append(Figure("audit-writer, bulk deliveries", None, "events/s", note="skipped: " + bulk["skipped"]))
    else:
        figs.append(
            Figure(
                "audit-writer, bulk deliveries",
                bulk["events_per_s"],
                "events/s",
                a["single"]["events_per_s"],
                bulk["events_per_s"] / a["single"]["events_per_s"],
                note=f"{a['bulk_size']} per delivery " + _note_errors(bulk),
            )
        )
    return figs


def startup_figures(s: dict[str, Any], rss_under_load: dict[str, float]) -> list[Figure]:
    figs = []
    base = s["baseline"]
    for name, f in s["functions"].items():
        cold = f["median_s"]
        figs.append(
            Figure(
                f"cold start {name}",
                cold,
                "s",
                base["median_s"],
                cold / base["median_s"],
                "<= 1.0 s",
                cold <= 1.0,
                "baseline: bare Flask app + pool",
                "budget",
            )
        )
    for name, f in s["functions"].items():
        rss = max(f["rss_mb"], rss_under_load.get(name, 0.0))
        figs.append(
            Figure(
                f"memory per worker {name}",
                rss,
                "MB",
                base["rss_mb"],
                rss / base["rss_mb"],
                "<= 80 MB",
                rss <= 80,
                "VmRSS after warm-up; baseline: bare Flask app",
                "budget",
            )
        )
    for name, f in s["functions"].items():
        imp = f["imports"]
        heavy = ", ".join(f"{h['package']} {h['ms']:.0f}" for h in imp["heavy"][:4])
        wrong = f"; NOT EXPECTED: {', '.join(imp['misplaced'])}" if imp["misplaced"] else ""
        figs.append(
            Figure(
                f"import time {name}",
                imp["ms"],
                "ms",
                note=f"{imp['modules']} modules; ms: {heavy}{wrong}",
                passed=False if wrong else None,
            )
        )
    return figs


def dapr_figures(d: dict[str, Any]) -> list[Figure]:
    name = "daprd overhead on POST /api/tasks (direct vs via sidecar)"
    if "skipped" in d:
        return [Figure(name, None, "x", note="skipped: " + d["skipped"])]
    return [
        Figure(
            name,
            d["ratio"],
            "x",
            note=f"adds {d['added_p90_ms']:.2f} ms p90; Dapr publishes "
            f"~{d['published_p90_ms']} ms p90 per sidecar pair",
        ),
        *_fixed_rate_figures(d.get("fixed_rate"), d["published_p90_ms"]),
    ]


def _fixed_rate_figures(fixed: dict[str, Any] | None, published: float) -> list[Figure]:
    """The added p90 through daprd at a fixed open-loop rate (bench/dapr_overhead.py): target <= 2 ms."""
    if not fixed:
        return []
    from bench.dapr_overhead import TARGET_ADDED_P90_MS

    labels = {"post": "POST /api/tasks", "get": "cache-hit GET /api/tasks/{id}"}
    figs = []
    for route, label in labels.items():
        r = fixed[route]
        direct, via = r["direct"], r["sidecar"]
        note = (
            f"added p50 {r['added_p50_ms']:+.2f}, p99 {r['added_p99_ms']:+.2f} ms;"
            f" p90 {via['p90_ms']:.2f} vs {direct['p90_ms']:.2f} ms direct; published ~{published} ms"
            + "".join(f"; {x['note']}" for x in (direct, via) if x.get("note"))
        )
        added = r["added_p90_ms"]
        figs.append(
            Figure(
                f"daprd adds to {label} at {fixed['rate']:.0f} req/s, p90",
                added,
                "ms",
                direct["p90_ms"],
                None,
                f"<= {TARGET_ADDED_P90_MS:.0f} ms",
                added <= TARGET_ADDED_P90_MS,  # a slipped schedule is in the note, from bench/openloop.py
                note,
            )
        )
    return figs


def event_figures(d: dict[str, Any]) -> list[Figure]:
    """create -> audit record committed on the real runtime (bench/event_latency.py): stated, p50 and p99."""
    name = "event path: create -> audit record committed"
    if "skipped" in d:
        return [Figure(name, None, "ms", note="skipped: " + d["skipped"])]
    note = (
        f"{d['rate']:.0f} creates/s for {d['seconds']:.0f} s, {d['recorded']}/{d['created']} recorded;"
        f" p99 {d['p99_ms']:.0f} ms, max {d['max_ms']:.0f} ms; via the outbox fast path:"
        f" {d['fast_path']}/{d['recorded']}"
    )
    if d.get("note"):
        note += "; " + d["note"]
    return [Figure(name + ", p50", d["p50_ms"], "ms", note=note)]


def sdk_figures(d: dict[str, Any]) -> list[Figure]:
    """The Dapr SDK against the HTTP port (bench/sdk.py): each call, then cold start and memory per function."""
    if "skipped" in d:
        return [Figure("Dapr SDK vs HTTP port", None, "x", note="skipped: " + d["skipped"])]
    from bindings.sidecar_choice import SIDECAR_CALLS

    figs = []
    for call, c in d["calls"].items():
        port, sdk = c["port"], c["sdk"]
        note = (
            f"p90 {sdk['p90_ms']:.2f}/{port['p90_ms']:.2f}, p99 {sdk['p99_ms']:.2f}/{port['p99_ms']:.2f} ms,"
            f" CPU {sdk['cpu_us']:.0f}/{port['cpu_us']:.0f} us (SDK/port); cheaper: {c['cheaper']}"
        )
        # The check is the table's: does bindings/sidecar_choice.py put this call where this run found it cheaper?
        chosen = SIDECAR_CALLS[call]
        agrees = chosen == ("sdk" if c["cheaper"] == "sdk" else "http")
        figs.append(
            Figure(
                f"{call}: SDK vs port",
                sdk["p50_ms"],
                "ms p50",
                port["p50_ms"],
                c["sdk_over_port_p50"],
                f"table: {chosen}",
                agrees,
                note,
            )
        )
    imported = d["sdk_import"]["median_ms"]
    figs.append(Figure("import dapr.clients (fresh interpreter)", imported, "ms", note="median of 5", group="sdk"))
    for name, variants in d["startup"].items():
        http = variants["http"]
        for variant in [v for v in ("sdk", "measured") if v in variants]:
            v = variants[variant]
            first = ""
            if v["first_call_ms"]:
                first = f"; first call {v['first_call_ms']:.0f}/{http['first_call_ms']:.0f} ms"
            figs.append(
                Figure(
                    f"cold start {name} beside daprd, {variant} vs http",
                    v["median_s"],
                    "s",
                    http["median_s"],
                    v["median_s"] / http["median_s"],
                    "<= 1.0 s",
                    v["median_s"] <= 1.0,
                    f"median of {len(v['cold_start_s'])}{first}",
                    "sdk",
                )
            )
            figs.append(
                Figure(
                    f"memory per worker {name} beside daprd, {variant} vs http",
                    v["rss_mb"],
                    "MB",
                    http["rss_mb"],
                    v["rss_mb"] / http["rss_mb"],
                    "<= 80 MB",
                    v["rss_mb"] <= 80,
                    "VmRSS after warm-up",
                    "sdk",
                )
            )
    return figs


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}"


def table(figures: list[Figure]) -> str:
    head = f"{'figure':<64} {'value':>9} {'unit':<11} {'baseline':>9} {'ratio':>7} {'target':<10} {'result':<6} note"
    lines = [head, "-" * len(head)]
    for f in figures:
        verdict = {True: "PASS", False: "MISS", None: "-"}[f.passed]
        lines.append(
            f"{f.name[:64]:<64} {_fmt(f.value):>9} {f.unit:<11} {_fmt(f.baseline):>9} {_fmt(f.ratio):>7} "
            f"{f.target:<10} {verdict:<6} {f.note}"
        )
    return "\n".join(lines)
