"""The run's plot: throughput and lag per second, the faults shaded (matplotlib: `make chaos` only)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

COLOURS = {
    "kafka-kill": "tab:red",
    "postgres-restart": "tab:purple",
    "app-kill": "tab:orange",
    "worker-kill": "tab:brown",
    "daprd-kill": "tab:pink",
    "pause": "tab:olive",
    "mail-outage": "tab:cyan",
}


def draw(record: dict[str, Any], target: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = {k: [math.nan if v is None else v for v in values] for k, values in record["series"].items()}
    t = list(range(len(s["acks"])))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.6), sharex=True, dpi=80)
    top.plot(t, s["acks"], label="requests acknowledged/s", lw=1)
    top.plot(t, s["failures"], label="requests failed/s (5xx, timeout)", lw=1, color="tab:red")
    top.plot(t, s["deliveries"], label="events delivered/s", lw=1, color="tab:green")
    top.plot(t, s["mails"], label="mails accepted/s", lw=1, color="tab:gray")
    top.set_ylabel("per second")
    bottom.plot(t, s["event_lag"], ".", ms=3, label="event delivery lag (max in second)", color="tab:green")
    bottom.plot(t, s["reminder_lag"], "o", ms=2, label="reminder lag after due time", color="tab:gray")
    bottom.set_ylabel("seconds")
    bottom.set_xlabel(f"seconds into the run ({record['profile']} profile, {record['duration_s']:.0f} s of workload)")
    seen: set[str] = set()
    for f in record["faults"]:
        if f["kind"] not in COLOURS or f["started"] is None:
            continue
        end = f["back"] or f["lifted"] or f["started"] + max(f["duration"], 1)
        label = f["kind"] if f["kind"] not in seen else None
        seen.add(f["kind"])
        for ax in (top, bottom):
            ax.axvspan(f["started"], max(end, f["started"] + 1), color=COLOURS[f["kind"]], alpha=0.18, label=label)
            label = None
    top.legend(fontsize=7, ncol=3, loc="upper right")
    bottom.legend(fontsize=7, ncol=2, loc="upper right")
    fig.suptitle(
        f"lost {len(record['lost'])}, duplicated {len(record['duplicated'])}: "
        f"{record['counts']['acknowledged']} requests acknowledged, {record['counts']['mails_accepted']} mails",
        fontsize=10,
    )
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target)
    plt.close(fig)
    return target
