"""Recurrence rules: RFC 5545 RRULEs and the presets, validated and stored as RRULE text."""

from __future__ import annotations

from datetime import datetime

from functions.domain import rrule_expand
from functions.domain.rrule import RecurrenceError, parse

__all__ = ["PRESETS", "RecurrenceError", "normalize"]

PRESETS = {"daily", "weekdays", "weekly", "monthly", "yearly"}


def normalize(rule: str, anchor: datetime) -> str:
    """Return the canonical RRULE text for a preset or a user RRULE, checked against the local anchor.

    Refused (RecurrenceError, naming the reason): text outside RFC 5545 or our limits, and a rule that
    selects no date after the anchor, whatever COUNT or UNTIL say. The check is bounded by a work budget.
    """
    text = rule.strip()
    if text.lower() in PRESETS:
        return _preset(text.lower(), anchor)
    parsed = parse(text)
    rrule_expand.check(parsed, anchor.date())
    return parsed.text()


def _preset(name: str, anchor: datetime) -> str:
    day = anchor.day
    if name == "daily":
        return "FREQ=DAILY"
    if name == "weekdays":
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    if name == "weekly":
        return "FREQ=WEEKLY"
    if name == "monthly":
        # "the 31st, or the month's last day when it has fewer": both candidates, first one wins.
        return f"FREQ=MONTHLY;BYMONTHDAY={day},-1;BYSETPOS=1" if day > 28 else f"FREQ=MONTHLY;BYMONTHDAY={day}"
    if anchor.month == 2 and day == 29:
        return "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29,-1;BYSETPOS=1"
    return "FREQ=YEARLY"
