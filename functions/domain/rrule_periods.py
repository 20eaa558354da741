"""The selected days of one period of an RRULE, computed from the period's calendar type alone.

A month is known by its number, length and the weekday of its 1st; a year by its leap-ness, the
weekday of Jan 1st and, for week numbers, its neighbours' leap-ness. So `rrule_expand` computes
each kind once per walk, and a period that selects nothing costs one lookup.
"""

from __future__ import annotations

from calendar import isleap

from functions.domain.rrule import Rule

MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_key(year: int, month: int, day1: int) -> tuple[int, int, int]:
    return month, MONTH_DAYS[month] + (month == 2 and isleap(year)), weekday(day1)


def month_set(rule: Rule, month: int, length: int, weekday1: int) -> tuple[int, ...]:
    """The days (1-based) of a month that BYMONTH, BYMONTHDAY and BYDAY (ordinals within the month) select."""
    if rule.by_month and month not in rule.by_month:
        return ()
    out = []
    for day in range(1, length + 1):
        if rule.by_monthday and day not in rule.by_monthday and day - length - 1 not in rule.by_monthday:
            continue
        nth, nth_last = (day - 1) // 7 + 1, -((length - day) // 7 + 1)
        if rule.by_day and not _weekday_selected(rule, (weekday1 + day - 1) % 7, nth, nth_last):
            continue
        out.append(day)
    return tuple(out)


def year_set(rule: Rule, leap_before: bool, leap: bool, leap_after: bool, weekday1: int) -> tuple[int, ...]:
    """The days (offsets from Jan 1st) of a year that every BY part selects; BYDAY ordinals count within
    the month when BYMONTH is given, else within the year (RFC 5545 3.3.10, note 2 of the table)."""
    length = 366 if leap else 365
    weeks = _WeekNumbers(rule.week_start, leap_before, leap, leap_after, weekday1) if rule.by_weekno else None
    lengths = [MONTH_DAYS[m] + (m == 2 and leap) for m in range(1, 13)]
    out = []
    offset = 0
    for month, month_length in enumerate(lengths, start=1):
        if rule.by_month and month not in rule.by_month:
            offset += month_length
            continue
        for day in range(1, month_length + 1):
            o = offset + day - 1
            if (
                (rule.by_monthday and day not in rule.by_monthday and day - month_length - 1 not in rule.by_monthday)
                or (rule.by_yearday and o + 1 not in rule.by_yearday and o - length not in rule.by_yearday)
                or (weeks is not None and not weeks.selected(o, rule.by_weekno))
            ):
                continue
            if rule.by_day:
                scope_day, scope_length = (day, month_length) if rule.by_month else (o + 1, length)
                nth, nth_last = (scope_day - 1) // 7 + 1, -((scope_length - scope_day) // 7 + 1)
                if not _weekday_selected(rule, (weekday1 + o) % 7, nth, nth_last):
                    continue
            out.append(o)
        offset += month_length
    return tuple(out)


def _weekday_selected(rule: Rule, weekday: int, nth: int, nth_last: int) -> bool:
    """BYDAY is a list: a day is selected when any entry names it (MO: every Monday; 2MO, -1MO: that one)."""
    return any(d == weekday and n in (0, nth, nth_last) for n, d in rule.by_day)


class _WeekNumbers:
    """RFC 5545 week numbers: weeks start on WKST, and week 1 is the first with at least four days of the year.

    Days before week 1 belong to the last week of the year before, days from the next year's week 1 on
    to that week; a negative BYWEEKNO counts back from the last week of the year the day's week is in.
    """

    def __init__(self, wkst: int, leap_before: bool, leap: bool, leap_after: bool, weekday1: int) -> None:
        self.wkst = wkst
        length = 366 if leap else 365
        self.week1 = self._week1(weekday1)
        self.next_week1 = length + self._week1((weekday1 + length) % 7)
        self.weeks = (self.next_week1 - self.week1) // 7
        before = 366 if leap_before else 365
        self.weeks_before = (self.week1 - (self._week1((weekday1 - before) % 7) - before)) // 7
        after = 366 if leap_after else 365
        self.weeks_after = (length + after + self._week1((weekday1 + length + after) % 7) - self.next_week1) // 7

    def _week1(self, weekday1: int) -> int:
        """Where week 1 starts, as an offset from Jan 1st (negative: in December)."""
        lead = (weekday1 - self.wkst) % 7
        return -lead if lead <= 3 else 7 - lead

    def selected(self, offset: int, wanted: tuple[int, ...]) -> bool:
        if offset < self.week1:
            number, count = self.weeks_before, self.weeks_before
        elif offset >= self.next_week1:
            number, count = 1, self.weeks_after
        else:
            number, count = (offset - self.week1) // 7 + 1, self.weeks
        return number in wanted or number - count - 1 in wanted


def weekday(ordinal: int) -> int:
    return (ordinal - 1) % 7  # date(1, 1, 1), ordinal 1, was a Monday
