"""Recurrence rules: RFC 5545 RRULEs and the presets, validated and stored as RRULE text."""

from __future__ import annotations

from datetime import datetime

from dateutil.rrule import rrule, rrulestr

PRESETS = {"daily", "weekdays", "weekly", "monthly", "yearly"}
_TOO_FINE = {"HOURLY", "MINUTELY", "SECONDLY"}
# The due time of each occurrence comes from the anchor; these would add several per day.
_REFUSED_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART"}


class RecurrenceError(ValueError):
    """A rule that cannot be stored; the message names the reason."""


def normalize(rule: str, anchor: datetime) -> str:
    """Return the RRULE text for a preset or a user RRULE, checked against the local anchor."""
    text = rule.strip()
    if text.lower() in PRESETS:
        return _preset(text.lower(), anchor)
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    parts = _parts(text)
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("RRULE needs FREQ, e.g. FREQ=WEEKLY;BYDAY=MO,WE")
    if freq in _TOO_FINE:
        raise RecurrenceError(f"FREQ={freq} is finer than the smallest supported step, DAILY")
    refused = sorted(_REFUSED_PARTS & parts.keys())
    if refused:
        raise RecurrenceError(f"{refused[0]} is not supported: the time of day comes from due_at")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("COUNT and UNTIL must not both be given (RFC 5545 3.3.10)")
    _check_ranges(parts)
    canonical = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        parsed = rrulestr(canonical, dtstart=anchor)
        if not isinstance(parsed, rrule):
            raise RecurrenceError("only a single RRULE is supported")
        # A rule that names no real date (BYMONTHDAY=30;BYMONTH=2) is refused, not stored to never fire.
        if parsed.after(anchor, inc=True) is None and "UNTIL" not in parts and "COUNT" not in parts:
            raise RecurrenceError("the rule yields no occurrence")
    except (ValueError, TypeError, IndexError) as exc:
        raise RecurrenceError(f"invalid RRULE: {exc}") from exc
    return canonical


def _ints(parts: dict[str, str], name: str) -> list[int]:
    try:
        return [int(v) for v in parts[name].split(",")] if name in parts else []
    except ValueError as exc:
        raise RecurrenceError(f"{name} must be integers") from exc


def _check_ranges(parts: dict[str, str]) -> None:
    """RFC 5545 3.3.10's value ranges; dateutil accepts some out-of-range values and then loops or fails."""
    for name, low in (("INTERVAL", 1), ("COUNT", 1)):
        if any(v < low for v in _ints(parts, name)):
            raise RecurrenceError(f"{name} must be at least {low}")
    limits = {"BYMONTHDAY": 31, "BYMONTH": 12, "BYYEARDAY": 366, "BYWEEKNO": 53, "BYSETPOS": 366}
    for name, top in limits.items():
        for v in _ints(parts, name):
            if v == 0 or abs(v) > top or (name == "BYMONTH" and v < 0):
                raise RecurrenceError(f"{name} value {v} is out of range")
    top = 5 if parts.get("FREQ") == "MONTHLY" else 53
    for day in filter(None, parts.get("BYDAY", "").split(",")):
        ordinal = day[:-2]
        if ordinal not in ("", "+", "-") and (not ordinal.lstrip("+-").isdigit() or not 1 <= abs(int(ordinal)) <= top):
            raise RecurrenceError(f"BYDAY ordinal in {day} is out of range (1-{top})")


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in filter(None, text.upper().split(";")):
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise RecurrenceError(f"invalid RRULE part {item!r}: expected NAME=VALUE")
        if name in parts:
            raise RecurrenceError(f"RRULE part {name} is given twice")
        parts[name] = value
    return parts


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
