"""PNG plots of a run: ratios against targets, latency distributions, growth with data, start-up budgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report import Figure

COLORS = {True: "#2e7d32", False: "#c62828", None: "#607d8b"}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def ratios(figures: list[Figure], out: Path) -> Path:
    """One bar per targeted figure; the tick on each bar is its target."""
    plt = _plt()
    panels = [
        ("throughput", "req/s vs baseline (higher is better)", lambda f: f.ratio),
        ("growth", "cost at large vs small data (lower is better)", lambda f: f.ratio),
        ("budget", "share of the budget: cold start / 1 s, RSS / 80 MB", lambda f: f.value / _budget(f)),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(17, 6), gridspec_kw={"width_ratios": [1, 1, 1.6]})
    for ax, (group, title, value) in zip(axes, panels, strict=True):
        shown = [f for f in figures if f.group == group and f.ratio is not None and f.target != "stated"]
        names = [f.name.replace(" vs ", "\nvs ") for f in shown]
        values = [value(f) for f in shown]
        ax.barh(names, values, color=[COLORS[f.passed] for f in shown])
        for i, f in enumerate(shown):
            target = 1.0 if group == "budget" else float(f.target.split()[1].rstrip("x"))
            ax.plot([target, target], [i - 0.4, i + 0.4], color="black", linewidth=2)
            ax.text(values[i], i, f" {values[i]:.2f}", va="center", fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle("Figures against their targets (black tick = target; green met, red missed)")
    fig.tight_layout()
    return _save(fig, plt, out / "ratios.png")


def _budget(f: Figure) -> float:
    return 1.0 if f.unit == "s" else 80.0


def latency(runs: dict[str, dict[str, Any]], out: Path) -> Path:
    """Cumulative distribution of request latency for each load run."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 6))
    for name, run in runs.items():
        sample = run.get("sample_ms") or []
        if not sample:
            continue
        ys = [(i + 1) / len(sample) for i in range(len(sample))]
        conns = run["connections"]
        ax.plot(sample, ys, label=f"{name}, {conns} conn. (p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("latency, ms (log)")
    ax.set_ylabel("share of requests at or below")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Latency distributions (each line: one load run, all its connections)")
    fig.tight_layout()
    return _save(fig, plt, out / "latency.png")


def growth(series: dict[str, list[tuple[int, float]]], out: Path) -> Path:
    """Cost per operation against the number of tasks, one panel per data-dependent operation."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(series), figsize=(5.5 * len(series), 5), squeeze=False)
    for ax, (name, points) in zip(axes[0], series.items(), strict=True):
        xs, ys = zip(*sorted(points), strict=True)
        ax.plot(xs, ys, marker="o")
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("tasks (log)")
        ax.set_ylabel("ms per operation (list: p50 of one connection)")
        ax.set_ylim(0, max(ys) * 1.3)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_title(name, fontsize=10)
    fig.suptitle("Growth with data: a flat line means the cost follows the page or batch, not the table")
    fig.tight_layout()
    return _save(fig, plt, out / "growth.png")


def startup(s: dict[str, Any], out: Path) -> Path:
    """Per function: the whole cold start beside the import time of its module graph."""
    plt = _plt()
    names = list(s["functions"])
    fig, (a, b) = plt.subplots(1, 2, figsize=(14, 5))
    cold = [s["functions"][n]["median_s"] * 1000 for n in names]
    imports = [s["functions"][n]["imports"]["ms"] for n in names]
    xs = range(len(names))
    a.bar([x - 0.2 for x in xs], cold, width=0.4, label="cold start: process start -> first 200 on /healthz")
    a.bar([x + 0.2 for x in xs], imports, width=0.4, label="import time of the module graph (-X importtime adds some)")
    a.set_xticks(list(xs), names)
    a.axhline(1000, color="#c62828", linestyle="--", label="target 1,000 ms")
    a.axhline(s["baseline"]["median_s"] * 1000, color="#2e7d32", linestyle=":", label="bare Flask app + pool")
    a.set_ylabel("ms")
    a.legend(fontsize=8)
    a.tick_params(axis="x", rotation=30)
    rss = [s["functions"][n]["rss_mb"] for n in names]
    b.bar(names, rss, color="#455a64")
    b.axhline(80, color="#c62828", linestyle="--", label="target 80 MB")
    b.axhline(s["baseline"]["rss_mb"], color="#2e7d32", linestyle=":", label="bare Flask app + pool")
    b.set_ylabel("VmRSS of the worker, MB")
    b.legend(fontsize=8)
    b.tick_params(axis="x", rotation=30)
    fig.suptitle("Start-up and memory per function (one gunicorn worker each)")
    fig.tight_layout()
    return _save(fig, plt, out / "startup.png")


def _save(fig: Any, plt: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
