"""The instances of a series: its RRULE expanded from the anchor (DTSTART) in the series' IANA zone.

The dates come from `rrule_expand` as wall-clock days; each gets the anchor's time of day and is
resolved through UTC here, which gives RFC 5545's answers: a wall time in a spring-forward gap is
read with the offset before the gap (02:30 becomes 03:30 summer time), and an ambiguous wall time
takes its first instance. Comparisons are made on UTC instants, because Python compares two
datetimes of the same zone by their wall times and ignores fold.

Every evaluation has a work budget (`rrule_expand.WORK_LIMIT`): a listing that runs out of it
stops early and says so; a next-instance search raises `WorkLimitReached`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import chain, islice
from typing import NamedTuple
from zoneinfo import ZoneInfo

from functions.domain import rrule_expand
from functions.domain.rrule import MAX_COUNT, Rule, parse
from functions.domain.rrule_expand import Budget, WorkLimitReached
from functions.domain.types import LATEST

__all__ = ["MAX_COUNT", "Listing", "WorkLimitReached", "first", "instances", "listing", "next_after", "resolve"]


class Listing(NamedTuple):
    instants: list[datetime]
    complete: bool  # False: the work budget ended the list before n instances, COUNT, UNTIL or year 9999 did


def resolve(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall time of the zone as the instant RFC 5545 means, rendered with that instant's offset."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def instances(
    rule: str, anchor: datetime, zone_name: str, *, budget: Budget | None = None, start: date | None = None
) -> Iterator[datetime]:
    """Every instance in order, the anchor first: RFC 5545 says DTSTART always counts as the first.

    A rule that DTSTART does not match (weekly on Monday, anchored on a Tuesday) still starts
    with the anchor, and COUNT counts it, as RFC 5545 3.3.10 says. `start` skips the walk ahead
    to the period holding that local date (ignored with COUNT, which must count from the anchor).
    """
    parsed = parse(rule)
    zone = ZoneInfo(zone_name)
    local = anchor.astimezone(zone)
    following = _following(parsed, local, zone, budget or Budget(), None if parsed.count else start)
    series = chain([local], following)
    return islice(series, parsed.count) if parsed.count is not None else series


def listing(rule: str | None, anchor: datetime, zone_name: str, n: int, budget: Budget | None = None) -> Listing:
    """The first n instances; a task without a rule is a series of one."""
    if rule is None:
        return Listing([anchor.astimezone(ZoneInfo(zone_name))], True)
    found: list[datetime] = []
    try:
        found.extend(islice(instances(rule, anchor, zone_name, budget=budget), n))
    except WorkLimitReached:
        return Listing(found, False)
    return Listing(found, True)


def first(rule: str | None, anchor: datetime, zone_name: str, n: int) -> list[datetime]:
    return listing(rule, anchor, zone_name, n).instants


def next_after(
    rule: str, anchor: datetime, zone_name: str, moment: datetime, budget: Budget | None = None
) -> datetime | None:
    """The first instance strictly after `moment`; None when COUNT, UNTIL or year 9999 has ended the series.

    Raises WorkLimitReached when the rule's next date lies beyond what one evaluation may examine.
    """
    after = moment.astimezone(UTC)
    # A day earlier than the moment's local date: the walk may begin at any period up to it.
    skip_to = (moment.astimezone(ZoneInfo(zone_name)) - timedelta(days=1)).date()
    for instance in instances(rule, anchor, zone_name, budget=budget, start=skip_to):
        if instance.astimezone(UTC) > after:
            return instance
    return None


def _following(rule: Rule, local: datetime, zone: ZoneInfo, budget: Budget, start: date | None) -> Iterator[datetime]:
    begin = local.astimezone(UTC)
    last = rrule_expand.LAST_DAY
    if rule.until is not None and rule.until.date() < last:
        last = rule.until.date() + timedelta(days=1)  # a day's margin for the zone's offset
    wall = local.replace(tzinfo=None)
    for day in rrule_expand.dates(rule, local.date(), budget, start=start, last=last):
        instant = resolve(datetime.combine(day, wall.time()), zone)
        utc = instant.astimezone(UTC)
        if utc <= begin:
            continue
        if (rule.until is not None and utc > rule.until) or utc > LATEST:
            return
        yield instant
