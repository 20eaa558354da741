"""A parsed RRULE expanded into dates, period by period, under a work budget (RFC 5545 3.3.10).

Why not dateutil.rrule: its loop checks UNTIL and COUNT only on dates it yields, so a rule whose
periods select nothing (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) walks every day up to year 9999 (3 s
of CPU), and it departs from the RFC twice: BYDAY=MO,1FR selects nothing (the RFC: Mondays and the
first Friday), and WEEKLY with BYSETPOS cuts the first week at DTSTART. Here:
- the selected days of a period are computed once per calendar type (`rrule_periods`), so an
  empty period costs one step;
- DAILY rules are walked a month at a time (or a lattice day at a time when INTERVAL is large);
- every step is charged to a `Budget`; running out raises `WorkLimitReached`, never loops;
- `check` decides "never fires" exactly from the Gregorian 400-year cycle where the budget allows.
The tests keep dateutil as an oracle where it follows the RFC.
"""

from __future__ import annotations

from calendar import isleap
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from functools import partial
from math import gcd, lcm

from functions.domain.rrule import RecurrenceError, Rule
from functions.domain.rrule_periods import month_key, month_set, weekday, year_set

LAST_DAY = date(9999, 12, 30)  # leaves every zone's offset room below year 10000
WORK_LIMIT = 20_000  # budget units of one evaluation: about 20 ms of CPU at worst (see docs/recurrence.md)
# Periods per 400-year Gregorian cycle, after which the calendar repeats exactly.
_CYCLE = {"DAILY": 146_097, "WEEKLY": 20_871, "MONTHLY": 4_800, "YEARLY": 400}
_LARGE_STEP = 28  # from here a DAILY walk visits its lattice days rather than every month


class WorkLimitReached(RecurrenceError):
    """The budget ran out before the walk ended; `reached` is the last date it got to."""

    def __init__(self, reached: date) -> None:
        super().__init__(f"the rule could not be evaluated within its work limit (reached {reached})")
        self.reached = reached


class Budget:
    """Work units: one per period visited and one per day examined. Deterministic, so tests can count it."""

    def __init__(self, limit: int = WORK_LIMIT) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, units: int, at: int) -> None:
        self.spent += units
        if self.spent > self.limit:
            raise WorkLimitReached(date.fromordinal(at))


def with_defaults(rule: Rule, anchor: date) -> Rule:
    """RFC 5545: parts a rule leaves out are taken from DTSTART (yearly on its day, weekly on its weekday ...)."""
    if rule.freq == "YEARLY" and not (rule.by_weekno or rule.by_yearday or rule.by_monthday or rule.by_day):
        return replace(rule, by_month=rule.by_month or (anchor.month,), by_monthday=(anchor.day,))
    if rule.freq == "MONTHLY" and not (rule.by_monthday or rule.by_day):
        return replace(rule, by_monthday=(anchor.day,))
    if rule.freq == "WEEKLY" and not rule.by_day:
        return replace(rule, by_day=((0, anchor.weekday()),))
    return rule


def dates(
    rule: Rule, anchor: date, budget: Budget, *, start: date | None = None, last: date = LAST_DAY
) -> Iterator[date]:
    """The dates the rule selects after the anchor's date, ascending, up to `last` (COUNT is the caller's).

    With `start`, the walk begins at the period that holds `start` instead of the anchor's: the
    lattice of INTERVAL is kept, the periods before are skipped. Only right without COUNT.
    """
    full = with_defaults(rule, anchor)
    walk = {"YEARLY": _yearly, "MONTHLY": _monthly, "WEEKLY": _weekly, "DAILY": _daily}[rule.freq]
    first = anchor.toordinal()
    for day in walk(full, first, max(first, (start or anchor).toordinal()), min(last, LAST_DAY).toordinal(), budget):
        if day > first:
            yield date.fromordinal(day)


def check(rule: Rule, anchor: date, budget: Budget | None = None) -> None:
    """Refuse a rule that selects no date after the anchor, or whose COUNT reaches beyond the budget."""
    budget = budget or Budget()
    full = with_defaults(rule, anchor)
    if not _selects_any_day(full):
        raise RecurrenceError("the rule selects no date: no month or year has a day that all its BY parts select")
    if (
        rule.freq == "DAILY"
        and rule.step % 7 == 0
        and rule.by_day
        and anchor.weekday() not in {d for _, d in rule.by_day}
    ):
        raise RecurrenceError(f"INTERVAL={rule.step} days always lands on due_at's weekday, which BYDAY leaves out")
    # The occurrences repeat after lcm(INTERVAL, cycle) periods; one more period covers the anchor's own.
    periods = lcm(rule.step, _CYCLE[rule.freq]) + 1
    span = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}[rule.freq] * periods
    last = date.fromordinal(min(anchor.toordinal() + span, LAST_DAY.toordinal()))
    try:
        if next(dates(rule, anchor, budget, last=last), None) is None:
            raise RecurrenceError("the rule selects no date after due_at: INTERVAL never lands on a day it selects")
    except WorkLimitReached as exc:
        raise RecurrenceError(f"the rule fires too rarely to be evaluated: no date found up to {exc.reached}") from exc
    if rule.count is not None:
        try:
            for _ in zip(range(rule.count - 1), dates(rule, anchor, budget), strict=False):
                pass
        except WorkLimitReached as exc:
            raise RecurrenceError(
                f"COUNT={rule.count} reaches too far to be evaluated (stopped at {exc.reached}); use UNTIL"
            ) from exc


# --- the walks: each yields day ordinals in ascending order ---------------------------------------


def _yearly(rule: Rule, anchor: int, start: int, last: int, budget: Budget) -> Iterator[int]:
    year0 = date.fromordinal(anchor).year
    year = year0 + (date.fromordinal(start).year - year0) // rule.step * rule.step
    sets = _Cache(partial(year_set, rule), cost=366)
    while year <= LAST_DAY.year:
        jan1 = date(year, 1, 1).toordinal()
        if jan1 > last:
            return
        budget.spend(1, jan1)
        key = (isleap(year - 1), isleap(year), isleap(year + 1), weekday(jan1))
        yield from _picked(rule, [jan1 + offset for offset in sets.get(key, budget, jan1)], budget, jan1)
        year += rule.step


def _monthly(rule: Rule, anchor: int, start: int, last: int, budget: Budget) -> Iterator[int]:
    first, began = date.fromordinal(anchor), date.fromordinal(start)
    index0 = first.year * 12 + first.month - 1
    index = index0 + (began.year * 12 + began.month - 1 - index0) // rule.step * rule.step
    sets = _Cache(partial(month_set, rule), cost=31)
    # The lattice's months of the year repeat every 12 / gcd(INTERVAL, 12) steps: visit only BYMONTH's.
    cycle = 12 // gcd(rule.step, 12)
    wanted = [j for j in range(cycle) if not rule.by_month or (index + j * rule.step) % 12 + 1 in rule.by_month]
    if not wanted:  # INTERVAL never lands on a month BYMONTH selects
        return
    while True:
        for j in wanted:
            year, month = divmod(index + j * rule.step, 12)
            if year > LAST_DAY.year:
                return
            day1 = date(year, month + 1, 1).toordinal()
            if day1 > last:
                return
            budget.spend(1, day1)
            days = sets.get(month_key(year, month + 1, day1), budget, day1)
            yield from _picked(rule, [day1 + d - 1 for d in days], budget, day1)
        index += cycle * rule.step


def _weekly(rule: Rule, anchor: int, start: int, last: int, budget: Budget) -> Iterator[int]:
    stride = 7 * rule.step
    week0 = anchor - (weekday(anchor) - rule.week_start) % 7
    week = week0 + (start - week0) // stride * stride
    weekdays = {d for _, d in rule.by_day}
    offsets = [j for j in range(7) if (rule.week_start + j) % 7 in weekdays]
    while week <= last:
        budget.spend(1, week)
        days = [week + j for j in offsets if week + j <= LAST_DAY.toordinal()]
        if rule.by_month:
            budget.spend(2 * len(days), week)
            days = [d for d in days if date.fromordinal(d).month in rule.by_month]
            if not days:
                budget.spend(3, week)
                week = _next_week_in(rule.by_month, week, week0, stride)
                continue
        yield from _picked(rule, days, budget, week)
        week += stride


def _next_week_in(months: tuple[int, ...], week: int, week0: int, stride: int) -> int:
    """The next lattice week that can reach a day of a selected month: a stretch without one is skipped."""
    d = date.fromordinal(min(week + 7, LAST_DAY.toordinal()))
    ahead = min((m - d.month) % 12 for m in months)
    if ahead:
        years, month = divmod(d.month - 1 + ahead, 12)
        d = min(date(min(d.year + years, LAST_DAY.year), month + 1, 1), LAST_DAY)
    target = d.toordinal() - 6  # a week starting up to six days before still reaches it
    return max(week + stride, week0 + (target - week0) // stride * stride)


def _daily(rule: Rule, anchor: int, start: int, last: int, budget: Budget) -> Iterator[int]:
    # A DAILY period is one day: BYSETPOS keeps it with 1 or -1 and drops it with anything else.
    if rule.by_setpos and not {1, -1} & set(rule.by_setpos):
        return
    sets = _Cache(partial(month_set, rule), cost=31)
    if rule.step >= _LARGE_STEP:
        day = anchor + -(-(start - anchor) // rule.step) * rule.step
        while day <= last:
            budget.spend(1, day)
            d = date.fromordinal(day)
            if d.day in sets.get(month_key(d.year, d.month, day - d.day + 1), budget, day):
                yield day
            day += rule.step
        return
    began = date.fromordinal(start)
    year, month = began.year, began.month
    while year <= LAST_DAY.year:
        if not rule.by_month or month in rule.by_month:
            day1 = date(year, month, 1).toordinal()
            if day1 > last:
                return
            budget.spend(1, day1)
            days = sets.get(month_key(year, month, day1), budget, day1)
            budget.spend(len(days), day1)
            for d in days:
                day = day1 + d - 1
                if day >= start and (day - anchor) % rule.step == 0 and day <= last:
                    yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


class _Cache:
    """The sets of one walk, each computed once and charged to the budget by the days it examines."""

    def __init__(self, compute: Callable[..., tuple[int, ...]], cost: int) -> None:
        self.compute = compute
        self.cost = cost
        self.found: dict[tuple[object, ...], tuple[int, ...]] = {}

    def get(self, key: tuple[object, ...], budget: Budget, at: int) -> tuple[int, ...]:
        if key not in self.found:
            budget.spend(self.cost, at)
            self.found[key] = self.compute(*key)
        return self.found[key]


def _picked(rule: Rule, days: list[int], budget: Budget, at: int) -> list[int]:
    """BYSETPOS: the n-th (or n-th from last) of the period's selected days."""
    budget.spend(len(days), at)
    if not rule.by_setpos:
        return days
    n = len(days)
    return sorted({days[p - 1 if p > 0 else n + p] for p in rule.by_setpos if -n <= p <= n and p})


def _selects_any_day(rule: Rule) -> bool:
    """Whether any period of the calendar, whatever the lattice, has a selected day after BYSETPOS.

    A fixed cost, whatever the rule: at most 28 kinds of year or 84 kinds of month are examined.
    """
    unlimited = Budget(limit=10**9)
    if rule.freq == "WEEKLY":
        # Some weeks lie inside a selected month, with every weekday of BYDAY: at most len(BYDAY) days.
        size = len(rule.by_day)
        return not rule.by_setpos or any(-size <= p <= size for p in rule.by_setpos)
    if rule.freq == "YEARLY":
        keys = {
            (isleap(y - 1), isleap(y), isleap(y + 1), weekday(date(y, 1, 1).toordinal())) for y in range(2001, 2401)
        }
        return any(_picked(rule, list(year_set(rule, *key)), unlimited, 1) for key in keys)
    months = {month_key(y, m, date(y, m, 1).toordinal()) for y in range(2001, 2029) for m in range(1, 13)}
    if rule.freq == "DAILY":
        return _daily_setpos_keeps(rule) and any(month_set(rule, *key) for key in months)
    return any(_picked(rule, list(month_set(rule, *key)), unlimited, 1) for key in months)


def _daily_setpos_keeps(rule: Rule) -> bool:
    return not rule.by_setpos or bool({1, -1} & set(rule.by_setpos))
