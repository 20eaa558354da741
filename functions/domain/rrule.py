"""RFC 5545 RRULE text <-> `Rule`: the grammar of section 3.3.10, its value ranges, and our limits.

Only what can be evaluated at a bounded cost is accepted: FREQ from DAILY to YEARLY, ASCII
digits only, `INTERVAL` and `COUNT` up to `MAX_INTERVAL` and `MAX_COUNT`, and no part that
RFC 5545 does not define (dateutil's BYEASTER, X- names). The per-FREQ restrictions of the RFC
(BYWEEKNO only with YEARLY, no BYMONTHDAY with WEEKLY, ...) are enforced: outside them the RFC
gives no meaning, and each library invents its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal

Freq = Literal["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
FREQS: tuple[Freq, ...] = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = 1000
MAX_COUNT = 1000

_TOO_FINE = {"HOURLY", "MINUTELY", "SECONDLY"}
# The due time of each occurrence comes from the anchor; these would add several per day.
_TIME_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
_NUMBER = re.compile(r"[+-]?[0-9]{1,3}")  # [0-9], not \d: \d also matches other scripts' digits
_WEEKDAY_NUM = re.compile(r"([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"[0-9]{8}T[0-9]{6}Z")
# name -> (lowest absolute value, highest, negatives allowed)
_LISTS = {
    "BYMONTH": (1, 12, False),
    "BYWEEKNO": (1, 53, True),
    "BYYEARDAY": (1, 366, True),
    "BYMONTHDAY": (1, 31, True),
    "BYSETPOS": (1, 366, True),
}
# The canonical order of the parts, and the Rule field of each.
_ORDER = {
    "FREQ": "freq",
    "INTERVAL": "interval",
    "COUNT": "count",
    "UNTIL": "until",
    "BYMONTH": "by_month",
    "BYWEEKNO": "by_weekno",
    "BYYEARDAY": "by_yearday",
    "BYMONTHDAY": "by_monthday",
    "BYDAY": "by_day",
    "BYSETPOS": "by_setpos",
    "WKST": "wkst",
}


class RecurrenceError(ValueError):
    """A rule that cannot be stored; the message names the reason."""


@dataclass(frozen=True)
class Rule:
    """A parsed RRULE. Empty tuples and None mean "not given"; the expansion applies RFC 5545's defaults."""

    freq: Freq
    interval: int | None = None
    count: int | None = None
    until: datetime | None = None  # aware, UTC
    by_month: tuple[int, ...] = ()
    by_weekno: tuple[int, ...] = ()
    by_yearday: tuple[int, ...] = ()
    by_monthday: tuple[int, ...] = ()
    by_day: tuple[tuple[int, int], ...] = ()  # (ordinal, 0 for none; weekday, 0 = Monday)
    by_setpos: tuple[int, ...] = ()
    wkst: int | None = None

    @property
    def step(self) -> int:
        return self.interval or 1

    @property
    def week_start(self) -> int:
        return 0 if self.wkst is None else self.wkst

    def text(self) -> str:
        """The canonical RRULE text: parts in a fixed order, values without signs or zeros that add nothing."""
        out = []
        for name, attr in _ORDER.items():
            value = getattr(self, attr)
            if value is None or value == ():
                continue
            out.append(f"{name}={_render(attr, value)}")
        return ";".join(out)


def parse(text: str) -> Rule:
    """Parse and check an RRULE (with or without the `RRULE:` prefix); RecurrenceError names what is wrong."""
    if not text.isascii():
        raise RecurrenceError("an RRULE is plain ASCII text, e.g. FREQ=WEEKLY;BYDAY=MO,WE")
    text = text.strip()
    if "\n" in text or "\r" in text:
        raise RecurrenceError("only a single RRULE is supported, on one line")
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    parts = _parts(text)
    freq = parts.pop("FREQ", None)
    if freq is None:
        raise RecurrenceError("RRULE needs FREQ, e.g. FREQ=WEEKLY;BYDAY=MO,WE")
    if freq in _TOO_FINE:
        raise RecurrenceError(f"FREQ={freq} is finer than the smallest supported step, DAILY")
    if freq not in FREQS:
        raise RecurrenceError(f"FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY, not {freq!r}")
    values: dict[str, object] = {"freq": freq}
    for name, raw in parts.items():
        attr = _field(name)  # first: an unknown part is named before its value is read
        values[attr] = _value(name, raw, freq)
    rule = Rule(**values)  # type: ignore[arg-type]
    _check_combination(rule)
    return rule


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in filter(None, text.upper().split(";")):
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Z-]+", name) or not re.fullmatch(r"[A-Z0-9+,-]+", value):
            raise RecurrenceError(f"invalid RRULE part {item!r}: expected NAME=VALUE, e.g. BYDAY=MO,WE")
        if name in parts:
            raise RecurrenceError(f"RRULE part {name} is given twice")
        parts[name] = value
    return parts


def _field(name: str) -> str:
    if name in _TIME_PARTS:
        raise RecurrenceError(f"{name} is not supported: the time of day comes from due_at")
    if name not in _ORDER:
        raise RecurrenceError(f"{name} is not an RRULE part this API supports (RFC 5545 3.3.10)")
    return _ORDER[name]


def _value(name: str, raw: str, freq: str) -> object:
    if name in ("INTERVAL", "COUNT"):
        top = MAX_INTERVAL if name == "INTERVAL" else MAX_COUNT
        if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= top:
            raise RecurrenceError(f"{name} must be a whole number from 1 to {top}, not {raw!r}")
        return int(raw)
    if name == "UNTIL":
        return _until(raw)
    if name == "WKST":
        if raw not in WEEKDAYS:
            raise RecurrenceError(f"WKST must be one of {', '.join(WEEKDAYS)}, not {raw!r}")
        return WEEKDAYS.index(raw)
    if name == "BYDAY":
        return _unique(_weekday_num(v, freq) for v in raw.split(","))
    low, high, negatives = _LISTS[name]
    out = []
    for v in raw.split(","):
        if not _NUMBER.fullmatch(v) or not low <= abs(int(v)) <= high or (int(v) < 0 and not negatives):
            span = f"{low} to {high}" + (f" or -{high} to -{low}" if negatives else "")
            raise RecurrenceError(f"{name} value {v!r} is out of range: each must be {span}")
        out.append(int(v))
    return _unique(out)


def _until(raw: str) -> datetime:
    if not _UNTIL.fullmatch(raw):
        raise RecurrenceError(f"UNTIL must be a UTC date-time such as 20271231T230000Z, not {raw!r}")
    try:
        return datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise RecurrenceError(f"UNTIL {raw!r} is not a real date and time") from exc


def _weekday_num(value: str, freq: str) -> tuple[int, int]:
    m = _WEEKDAY_NUM.fullmatch(value)
    if m is None:
        raise RecurrenceError(f"BYDAY value {value!r} is not a weekday such as MO, 1FR or -1SU")
    ordinal = int(m.group(1) or 0)
    top = 5 if freq == "MONTHLY" else 53
    if m.group(1) is not None and not 1 <= abs(ordinal) <= top:
        raise RecurrenceError(f"BYDAY ordinal in {value} is out of range (1-{top})")
    return ordinal, WEEKDAYS.index(m.group(2))


def _unique(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


def _check_combination(rule: Rule) -> None:
    """RFC 5545 3.3.10's rules on which parts go together."""
    if rule.count is not None and rule.until is not None:
        raise RecurrenceError("COUNT and UNTIL must not both be given (RFC 5545 3.3.10)")
    if rule.by_weekno and rule.freq != "YEARLY":
        raise RecurrenceError("BYWEEKNO is only valid with FREQ=YEARLY (RFC 5545 3.3.10)")
    if rule.by_yearday and rule.freq != "YEARLY":
        raise RecurrenceError("BYYEARDAY is only valid with FREQ=YEARLY (RFC 5545 3.3.10)")
    if rule.by_monthday and rule.freq == "WEEKLY":
        raise RecurrenceError("BYMONTHDAY is not valid with FREQ=WEEKLY (RFC 5545 3.3.10)")
    if any(n for n, _ in rule.by_day):
        if rule.freq not in ("MONTHLY", "YEARLY"):
            raise RecurrenceError("a BYDAY ordinal such as 1MO needs FREQ=MONTHLY or YEARLY (RFC 5545 3.3.10)")
        if rule.by_weekno:
            raise RecurrenceError("a BYDAY ordinal cannot be combined with BYWEEKNO (RFC 5545 3.3.10)")
    by_parts = {f.name for f in fields(Rule) if f.name.startswith("by_") and f.name != "by_setpos"}
    if rule.by_setpos and not any(getattr(rule, name) for name in by_parts):
        raise RecurrenceError("BYSETPOS needs another BY part to pick from (RFC 5545 3.3.10)")


def _render(attr: str, value: object) -> str:
    if attr == "until":
        assert isinstance(value, datetime)
        return value.strftime("%Y%m%dT%H%M%SZ")
    if attr == "wkst":
        assert isinstance(value, int)
        return WEEKDAYS[value]
    if attr == "by_day":
        return ",".join(f"{n or ''}{WEEKDAYS[d]}" for n, d in value)  # type: ignore[attr-defined]
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)
