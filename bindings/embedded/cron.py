"""Cron in-process: fire each bindings.cron component at its schedule, as daprd's cron binding does."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from flask import Flask

from bindings.schedules import CronComponent
from functions.clock import utc_now

log = logging.getLogger("bindings.embedded.cron")


def go_time(moment: datetime) -> str:
    """Go's time.String() form that daprd sends in readTimeUTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f000 +0000 UTC")


class Scheduler:
    def __init__(self, components: list[tuple[CronComponent, Flask]]) -> None:
        self.entries = [(c, app.test_client()) for c, app in components]

    def run(self, stop: threading.Event) -> None:
        now = utc_now()
        due = {c.name: c.schedule.next_after(now) for c, _ in self.entries}
        while not stop.is_set() and self.entries:
            name = min(due, key=due.__getitem__)
            wait = (due[name] - utc_now()).total_seconds()
            if wait > 0 and stop.wait(min(wait, 1.0)):
                return
            if wait > 1.0:
                continue
            component, client = next(e for e in self.entries if e[0].name == name)
            self.fire(component, client)
            due[name] = component.schedule.next_after(utc_now())

    @staticmethod
    def fire(component: CronComponent, client: object) -> None:
        try:
            resp = client.post(  # type: ignore[attr-defined]
                f"/{component.name}",
                data=b"",
                content_type="application/json",
                headers={"readTimeUTC": go_time(utc_now()), "timeZone": "UTC"},
            )
            if resp.status_code != 200:
                log.warning("cron run failed", extra={"binding": component.name, "status": resp.status_code})
        except Exception:
            log.exception("cron run raised", extra={"binding": component.name})
