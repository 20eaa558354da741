"""Cron schedules read from the bindings.cron components in dapr/components, in Dapr's syntax."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

_EVERY = re.compile(r"^@every\s+(\d+)\s*(ms|s|m|h)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
RESOURCES = Path(__file__).resolve().parent.parent / "dapr" / "components"
_GAP_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)  # before both of a year's DST changes


@dataclass(frozen=True)
class Schedule:
    """One bindings.cron schedule: 5 fields, 6 with leading seconds, @every, macros, CRON_TZ= prefix."""

    text: str

    def _split(self) -> tuple[str, ZoneInfo]:
        expr = self.text.strip()
        zone = ZoneInfo("UTC")
        if expr.startswith(("CRON_TZ=", "TZ=")):
            prefix, _, expr = expr.partition(" ")
            zone = ZoneInfo(prefix.split("=", 1)[1])
        return _MACROS.get(expr.strip(), expr.strip()), zone

    @property
    def interval(self) -> timedelta | None:
        m = _EVERY.match(self._split()[0])
        return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)]) if m else None

    def _croniter(self, start: datetime) -> Any:
        from croniter import croniter  # only cron functions and the embedded runtime need it

        expr, zone = self._split()
        fields = expr.split()
        if len(fields) == 6:  # Dapr puts seconds first; croniter wants them last
            fields = fields[1:] + fields[:1]
        return croniter(" ".join(fields), start.astimezone(zone))

    def tick_of(self, fired_at: datetime) -> datetime:
        """The scheduled instant a firing belongs to: the same for every replica's sidecar."""
        every = self.interval
        if every is not None:
            step = every.total_seconds()
            return datetime.fromtimestamp((fired_at.timestamp() // step) * step, UTC)
        # A firing lands a few ms after its instant; the tolerance absorbs a late sidecar clock.
        it = self._croniter(fired_at + timedelta(seconds=1))
        return it.get_prev(datetime).astimezone(UTC)

    def longest_gap(self, ticks: int = 400) -> timedelta:
        """The longest wait between consecutive ticks, over `ticks` ticks from a fixed instant (so that every
        rendering agrees): weekends of a weekday schedule and a DST change's 25-hour day included."""
        every = self.interval
        if every is not None:
            return every
        it = self._croniter(_GAP_ANCHOR)
        times = [it.get_next(datetime) for _ in range(ticks + 1)]
        return max(b - a for a, b in itertools.pairwise(times))

    def next_after(self, moment: datetime) -> datetime:
        every = self.interval
        if every is not None:
            return self.tick_of(moment) + every
        return self._croniter(moment).get_next(datetime).astimezone(UTC)


@dataclass(frozen=True)
class CronComponent:
    name: str
    schedule: Schedule
    scopes: tuple[str, ...]


def load_components(folder: Path = RESOURCES) -> dict[str, dict[str, Any]]:
    """Every Component document in the folder, by name."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("kind") == "Component":
                found[doc["metadata"]["name"]] = doc
    return found


def cron_components(folder: Path = RESOURCES) -> dict[str, CronComponent]:
    crons: dict[str, CronComponent] = {}
    for name, doc in load_components(folder).items():
        if doc["spec"]["type"] != "bindings.cron":
            continue
        meta = {m["name"]: m["value"] for m in doc["spec"].get("metadata", [])}
        crons[name] = CronComponent(name, Schedule(meta["schedule"]), tuple(doc.get("scopes", ())))
    return crons
