"""Faults on a schedule: each is injected at its time, lifted after its duration, and timed.

A fault's `lifted` is when the harness ended it (restarted the process as an orchestrator would, resumed it,
or let the mail provider answer again); `back` is when what it restarted was serving again. Recovery is
measured from `lifted` (tests/faults/figures.py). Each fault runs in its own thread, so they overlap as
scheduled.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from tests.faults.system import System

BOUNCE_STATUS = 400


@dataclass
class Fault:
    kind: str
    at: float  # planned offset from the workload's start, seconds
    duration: float
    target: str | None = None  # a pair name, for the faults of one process
    started: float | None = None
    lifted: float | None = None
    back: float | None = None
    detail: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.target}" if self.target else self.kind


class MailWeather:
    """The sink's answers: during an outage every request is refused (503); recipients at the bounce domain are
    refused for good (400); of the rest, the first attempt of `transient_share` of the reminders is refused for the
    moment (503 or 429, seeded).

    Only first attempts: send-reminder defers a refused mail to the next reminder-check tick, a minute later, so a
    share of every attempt would leave a few reminders refused tick after tick (0.3^4 of them four times) and the
    run's end unbounded. The behaviour under test, a deferral that leads to exactly one mail, is the same."""

    def __init__(self, transient_share: float, bounce_domain: str, seed: int) -> None:
        self.share = transient_share
        self.bounce = "@" + bounce_domain
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.outage = False
        self.tried: set[str] = set()  # reminders the sink has seen a mail for

    def __call__(self, body: dict[str, Any]) -> int:
        if self.outage:
            return 503
        to = body.get("personalizations", [{}])[0].get("to", [{}])[0].get("email", "")
        if to.endswith(self.bounce):
            return BOUNCE_STATUS
        reminder = body.get("headers", {}).get("X-Todo-Reminder", "")
        with self.lock:
            first = reminder not in self.tried
            self.tried.add(reminder)
            if first and self.rng.random() < self.share:
                return 503 if self.rng.random() < 0.5 else 429
        return 202


def _actions(system: System, weather: MailWeather, fault: Fault) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(inject, lift) of a fault."""
    kind, name = fault.kind, fault.target
    pair = system.pairs[name] if name else None
    if kind == "kafka-kill":
        return system.kill_kafka, system.start_kafka
    if kind == "postgres-restart":
        return system.stop_postgres, system.start_postgres
    if kind == "app-kill":
        assert pair
        return (lambda: system.kill(f"{pair.name}.app")), (lambda: system.restart_app(pair))
    if kind == "daprd-kill":
        assert pair
        return (lambda: system.kill(f"{pair.name}.daprd")), (lambda: system.restart_daprd(pair))
    if kind == "worker-kill":
        assert pair
        # gunicorn's master starts a new worker by itself: there is nothing to lift.
        return (lambda: f"worker pid {system.kill_worker(pair)}"), (lambda: None)
    if kind == "pause":
        assert pair
        return (lambda: system.pause(f"{pair.name}.daprd")), (lambda: system.resume(f"{pair.name}.daprd"))
    if kind in ("mail-flaky", "mail-bounce"):
        return (lambda: None), (lambda: None)  # the sink's MailWeather applies them all along
    if kind == "mail-outage":
        return (lambda: setattr(weather, "outage", True)), (lambda: setattr(weather, "outage", False))
    raise ValueError(f"unknown fault kind {kind!r}")


def _resource(fault: Fault) -> str | None:
    """What the fault takes down, for the faults that restart something: two of them on the same thing never
    overlap (a second broker kill while the first restart is under way would kill the new process and fail
    that restart, which no orchestrator does to itself). The later one waits and its `started` says when."""
    if fault.kind in ("kafka-kill", "postgres-restart"):
        return fault.kind
    if fault.kind in ("app-kill", "worker-kill"):
        return f"{fault.target}.app"
    if fault.kind in ("daprd-kill", "pause"):
        return f"{fault.target}.daprd"
    return None


class Injector:
    def __init__(self, system: System, weather: MailWeather, faults: list[Fault]) -> None:
        self.system = system
        self.weather = weather
        self.faults = faults
        self.threads: list[threading.Thread] = []
        self.locks = {r: threading.Lock() for f in faults if (r := _resource(f))}

    def start(self, origin: float) -> None:
        """`origin`: time.monotonic() of the workload's offset 0."""
        for fault in self.faults:
            t = threading.Thread(target=self._run, args=(fault, origin), name=f"fault-{fault.label}", daemon=True)
            t.start()
            self.threads.append(t)

    def join(self, timeout: float) -> list[Fault]:
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        for f, t in zip(self.faults, self.threads, strict=True):
            if t.is_alive() and not f.error:
                f.error = "still running when the run ended"
        return self.faults

    def _run(self, fault: Fault, origin: float) -> None:
        resource = _resource(fault)
        time.sleep(max(0.0, fault.at - (time.monotonic() - origin)))
        if resource is None:
            return self._strike(fault, origin)
        with self.locks[resource]:
            return self._strike(fault, origin)

    def _strike(self, fault: Fault, origin: float) -> None:
        inject, lift = _actions(self.system, self.weather, fault)
        try:
            fault.started = time.monotonic() - origin
            detail = inject()
            fault.detail = str(detail) if detail else None
            time.sleep(max(0.0, fault.started + fault.duration - (time.monotonic() - origin)))
            fault.lifted = time.monotonic() - origin
            lift()
            fault.back = time.monotonic() - origin
        except Exception as exc:
            fault.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"


def dump(faults: list[Fault]) -> list[dict[str, Any]]:
    return [asdict(f) | {"label": f.label} for f in faults]
