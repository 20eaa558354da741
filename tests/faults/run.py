"""One chaos run: start the system, offer the workload while the faults strike, settle, check, measure."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.faults import checker, figures, settle, snapshot, system, workload
from tests.faults.checker import Verdict
from tests.faults.faults import Injector, MailWeather
from tests.faults.faults import dump as dump_faults
from tests.faults.profiles import MAIL_TRANSIENT_SHARE, Profile

FAULT_JOIN_S = 120.0  # a restart is bounded by Stack's own 90 s per stage


@dataclass
class Result:
    profile: str
    run: str
    verdict: Verdict
    unsettled: dict[str, int]
    record: dict[str, Any] = field(default_factory=dict)  # everything measured, for results.json and the plot

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.unsettled and not self.record.get("fault_errors")


def run(profile: Profile, seed: int = 1, keep_logs: bool = False) -> Result:
    run_id = uuid.uuid4().hex[:6]
    phases: dict[str, float] = {}
    began = time.monotonic()
    with system.running(keep_logs=keep_logs) as sut:
        phases["start_s"] = time.monotonic() - began
        weather = MailWeather(MAIL_TRANSIENT_SHARE, workload.BOUNCE_DOMAIN, seed)
        sut.sink.rule = weather
        started_at = time.time()
        duration, faults = profile.layout(started_at)
        plan = workload.plan(run_id, duration, profile.rate, profile.users, seed)
        load = workload.Workload(sut, plan, seed)
        injector = Injector(sut, weather, faults)
        origin, plan.started_at = time.monotonic(), started_at
        plan.reminder_deadline_s = workload.reminder_deadline(plan.started_at, duration)
        injector.start(origin)
        load.run(origin)
        injector.join(FAULT_JOIN_S)
        phases["workload_s"] = time.monotonic() - origin
        settled_in, unsettled = settle.wait(sut, run_id, profile.settle_s)
        phases["settle_s"] = settled_in
        snap = snapshot.take(sut, run_id)
        verdict = checker.check(plan, snap)
        end = time.time() - plan.started_at
        found = figures.paths(plan, snap)
        record = {
            "profile": profile.name,
            "run": run_id,
            "seed": seed,
            "started_at": plan.started_at,
            "duration_s": duration,
            "rate": profile.rate,
            "users": profile.users,
            "reminder_deadline_s": plan.reminder_deadline_s,
            "counts": verdict.counts,
            "lost": verdict.lost,
            "duplicated": verdict.duplicated,
            "violations": verdict.wrong,
            "unsettled": unsettled,
            "workload": workload.summary(plan.requests),
            "faults": dump_faults(faults),
            "fault_errors": [f"{f.label}: {f.error}" for f in faults if f.error],
            "figures": figures.summary(plan, faults, snap),
            "series": figures.series(plan, found, end),
            "requests": workload.dump(plan.requests),
        }
    phases["total_s"] = time.monotonic() - began
    record["phases"] = {k: round(v, 1) for k, v in phases.items()}
    return Result(profile.name, run_id, verdict, unsettled, record)
