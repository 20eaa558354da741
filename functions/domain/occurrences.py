"""The instances of a series: its RRULE expanded from the anchor (DTSTART) in the series' IANA zone.

dateutil iterates naive wall-clock times and attaches the zone with fold=0. Every instance is
therefore resolved through UTC here, which gives RFC 5545's answers: a wall time in a
spring-forward gap is read with the offset before the gap (02:30 becomes 03:30 summer time), and
an ambiguous wall time takes its first instance. Comparisons are made on UTC instants, because
Python compares two datetimes of the same zone by their wall times and ignores fold.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

MAX_COUNT = 1000


def resolve(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall time of the zone as the instant RFC 5545 means, rendered with that instant's offset."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def instances(rule: str, anchor: datetime, zone_name: str) -> Iterator[datetime]:
    """Every instance in order, the anchor first: RFC 5545 says DTSTART always counts as the first.

    A rule that DTSTART does not match (weekly on Monday, anchored on a Tuesday) still starts
    with the anchor, and COUNT counts it, as RFC 5545 3.3.10 says.
    """
    zone = ZoneInfo(zone_name)
    start = anchor.astimezone(zone)
    parsed = rrulestr(rule, dtstart=start)
    assert isinstance(parsed, rrule)  # normalize() stored only single RRULEs
    count = _count(rule)
    begin = start.astimezone(UTC)
    following = (t for t in (resolve(w, zone) for w in parsed) if t.astimezone(UTC) > begin)
    series = _chain(start, following)
    return islice(series, count) if count is not None else series


def first(rule: str | None, anchor: datetime, zone_name: str, n: int) -> list[datetime]:
    """The first n instances; a task without a rule is a series of one."""
    if rule is None:
        return [anchor.astimezone(ZoneInfo(zone_name))]
    return list(islice(instances(rule, anchor, zone_name), n))


def next_after(rule: str, anchor: datetime, zone_name: str, moment: datetime) -> datetime | None:
    """The first instance strictly after `moment`; None when COUNT or UNTIL has ended the series."""
    after = moment.astimezone(UTC)
    for instance in instances(rule, anchor, zone_name):
        if instance.astimezone(UTC) > after:
            return instance
    return None


def _chain(head: datetime, tail: Iterator[datetime]) -> Iterator[datetime]:
    yield head
    yield from tail


def _count(rule: str) -> int | None:
    for part in rule.split(";"):
        name, _, value = part.partition("=")
        if name == "COUNT":
            return int(value)
    return None
