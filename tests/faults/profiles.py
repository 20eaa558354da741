"""The runs: a short one for CI (about 3 minutes in all) and a long one that lasts as long as asked.

Each fault kind comes alone, and then several overlap. Durations are chosen against the system's own
timeouts: a Kafka consumer's session times out after 10 s (components-contrib's `sessionTimeout` default; our
component does not set it), so a pause of 16 s makes its group rebalance; a mail outage of 12 s outlasts
send-reminder's retries; processes come back after 2 s, as an orchestrator restarts a crashed container.
Faults on the mail path are placed around a reminder-check tick: reminders are claimed once a minute (a UTC
minute, `* * * * *`), so between ticks such a fault would meet nothing. So a schedule is laid out once the
run's start, and with it the ticks' offsets, is known.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tests.faults.faults import Fault

MAIL_TRANSIENT_SHARE = 0.3  # of the reminders, whose first mail is refused with 503 or 429 (faults.MailWeather)

Layout = Callable[[float], tuple[float, list[Fault]]]  # the run's start (time.time()) -> (duration, faults)


@dataclass(frozen=True)
class Profile:
    name: str
    rate: float  # requests per second, all users together
    users: int
    settle_s: float  # the bound on waiting for the system to settle afterwards
    layout: Layout


def first_tick(started_at: float, after: float) -> float:
    """The offset of the first reminder-check tick (a UTC minute) at or after offset `after`."""
    return math.ceil((started_at + after) / 60) * 60 - started_at


def _background(duration_s: float) -> list[Fault]:
    """Faults that last the whole run: recorded with the others, applied by the sink (faults.MailWeather)."""
    return [
        Fault(
            "mail-flaky",
            0.0,
            duration_s,
            detail=f"the first mail of {MAIL_TRANSIENT_SHARE:.0%} of the reminders answered 503 or 429",
        ),
        Fault("mail-bounce", 0.0, duration_s, detail="one user's address answered 400 for good"),
    ]


def _singles(t0: float, app_target: str, consumer: str) -> list[Fault]:
    """The infrastructure's and the processes' faults one at a time, 34 s from t0."""
    return [
        Fault("kafka-kill", t0, 6),
        Fault("postgres-restart", t0 + 10, 4),
        Fault("daprd-kill", t0 + 18, 2, consumer),
        Fault("worker-kill", t0 + 24, 0, "todo-api"),
        Fault("app-kill", t0 + 28, 2, app_target),
    ]


def _at_tick(tick: float) -> list[Fault]:
    """Around a reminder tick, 38 s: as the tick's reminders go out, the mail provider is down and one of the two
    mail consumers is paused past its session timeout; once the provider is back, the other consumer crashes
    while the broker and the database go down together."""
    return [
        Fault("mail-outage", tick - 1, 12),
        Fault("pause", tick - 1, 16, "send-reminder-1"),
        Fault("app-kill", tick + 14, 2, "send-reminder"),
        Fault("kafka-kill", tick + 15, 5),
        Fault("postgres-restart", tick + 17, 4),
    ]


def _short_layout(started_at: float) -> tuple[float, list[Fault]]:
    """The singles first when the run's first tick leaves room for them, else after the tick's group."""
    tick = first_tick(started_at, 8.0)
    singles_from = 2.0 if tick >= 38 else tick + 24
    duration = max(tick + 38, singles_from + 36)
    return duration, _background(duration) + _singles(singles_from, "spawn-recurrence", "audit-writer") + _at_tick(tick)


def short() -> Profile:
    """70-106 s of workload: each fault of the infrastructure and the processes alone, and around the run's
    reminder tick a mail outage, a paused and a crashed mail consumer, and the broker and database together."""
    return Profile("short", rate=5.0, users=8, settle_s=200.0, layout=_short_layout)


# The long run rotates the process faults over the functions, so each kind meets several of them.
APP_TARGETS = ["spawn-recurrence", "audit-writer", "todo-api", "reminder-check", "outbox-relay", "dead-letters"]
CONSUMERS = ["audit-writer", "spawn-recurrence", "send-reminder", "dead-letters", "conversations"]
ROUND_MAX_S = 200.0  # the singles (36 s), a tick for the mail outage alone, the next for the group (38 s)


def long(duration_s: float = 20 * 60.0) -> Profile:
    """Rounds, one after the other: the singles; at the next tick a mail outage alone; at the tick after, the
    overlapping group, with the API's sidecar and a reminder-check replica's down too a few seconds later."""

    def layout(started_at: float) -> tuple[float, list[Fault]]:
        faults = _background(duration_s)
        t, i = 2.0, 0
        while t + ROUND_MAX_S <= duration_s:
            faults += _singles(t, APP_TARGETS[i % len(APP_TARGETS)], CONSUMERS[i % len(CONSUMERS)])
            alone = first_tick(started_at, t + 37)
            faults.append(Fault("mail-outage", alone - 1, 12))
            group = first_tick(started_at, alone + 13)
            faults += [f for f in _at_tick(group) if f.kind != "mail-outage"]
            faults += [
                Fault("daprd-kill", group + 16, 2, "todo-api"),
                Fault("pause", group + 18, 14, "reminder-check-1"),
            ]
            t, i = group + 38, i + 1
        return duration_s, faults

    return Profile("long", rate=5.0, users=8, settle_s=300.0, layout=layout)
