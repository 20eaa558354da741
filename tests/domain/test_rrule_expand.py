"""functions.domain.rrule_expand: rules that never fire are refused, sparse ones are cheap, and the work is counted.

Expected dates come from outside the code under test: Python's Gregorian calendar (calendar.isleap,
date.weekday, date.isocalendar, which is ISO 8601's week numbering) and RFC 5545's text.
"""

from __future__ import annotations

from calendar import isleap
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from functions.domain import occurrences
from functions.domain.recurrence import normalize
from functions.domain.rrule import RecurrenceError, parse
from functions.domain.rrule_expand import WORK_LIMIT, Budget, check

UTC_ZONE = "UTC"


def at(y, m, d, zone=UTC_ZONE):
    return datetime(y, m, d, 9, 0, tzinfo=ZoneInfo(zone))


NEVER = [
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", at(2026, 3, 2)),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5", at(2026, 3, 2)),
    ("FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31", at(2026, 3, 2)),
    ("FREQ=DAILY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=30", at(2026, 3, 2)),
    ("FREQ=DAILY;BYDAY=MO;BYSETPOS=2", at(2026, 3, 2)),
    ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", at(2026, 3, 2)),  # every 7th day is a Monday
    ("FREQ=DAILY;INTERVAL=14;BYDAY=TU,WE;UNTIL=20300101T000000Z", at(2026, 3, 2)),
    ("FREQ=WEEKLY;BYMONTH=2;BYSETPOS=2", at(2026, 3, 2)),  # one day a week at most
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-30", at(2026, 3, 2)),
    ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", at(2026, 3, 2)),
    ("FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31;COUNT=3", at(2026, 3, 2)),
    ("FREQ=MONTHLY;INTERVAL=12;BYMONTH=5", at(2026, 3, 2)),  # always March
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", at(2026, 3, 2)),
    ("FREQ=YEARLY;BYMONTH=1;BYYEARDAY=366", at(2026, 3, 2)),
    ("FREQ=YEARLY;BYMONTH=6;BYWEEKNO=53", at(2026, 3, 2)),
    ("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", at(2027, 1, 10)),  # 2027 + 4k is never a leap year
]


@pytest.mark.parametrize(("rule", "anchor"), NEVER)
def test_a_rule_that_never_fires_is_refused_exactly_and_cheaply(rule, anchor):
    budget = Budget()
    with pytest.raises(RecurrenceError) as caught:
        check(parse(rule), anchor.date(), budget)
    assert "selects no date" in str(caught.value) or "lands on" in str(caught.value)
    assert budget.spent <= WORK_LIMIT


@pytest.mark.parametrize(
    ("rule", "months", "day", "weekday"),
    [
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29", [2], 29, None),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", [2], 29, 0),
        ("FREQ=MONTHLY;BYMONTH=2;BYDAY=5MO", [2], 29, 0),  # a fifth Monday in February is a Monday the 29th
        ("FREQ=DAILY;BYMONTHDAY=13;BYDAY=FR", range(1, 13), 13, 4),
    ],
)
def test_sparse_rules_list_a_thousand_instances_or_up_to_year_9999_within_the_budget(rule, months, day, weekday):
    anchor = at(2026, 3, 2)
    normalize(rule, anchor)
    budget = Budget()
    found = occurrences.listing(rule, anchor, UTC_ZONE, 1000, budget)
    assert found.complete
    assert budget.spent <= WORK_LIMIT
    expected = [
        date(y, m, day)
        for y in range(2026, 10000)
        for m in months
        if (m != 2 or day <= 28 or isleap(y)) and date(y, m, day) > anchor.date()
        if weekday is None or date(y, m, day).weekday() == weekday
    ]
    assert [t.date() for t in found.instants[1:]] == expected[:999]


def test_feb_29_daily_lists_every_leap_year():
    found = occurrences.first("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29", at(2026, 3, 2), UTC_ZONE, 1000)
    leap_years = [y for y in range(2027, 10000) if isleap(y)][:999]
    assert [t.date() for t in found[1:]] == [date(y, 2, 29) for y in leap_years]


@pytest.mark.parametrize(
    ("rule", "moment"),
    [
        ("FREQ=DAILY", datetime(9000, 6, 1, tzinfo=UTC)),
        ("FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,FR", datetime(8000, 1, 1, tzinfo=UTC)),
        ("FREQ=MONTHLY;BYDAY=-1FR", datetime(9500, 1, 1, tzinfo=UTC)),
        ("FREQ=DAILY;INTERVAL=999;BYMONTHDAY=1,15", datetime(5000, 1, 1, tzinfo=UTC)),
    ],
)
def test_the_next_instance_far_from_the_anchor_costs_a_few_periods(rule, moment):
    anchor = at(1, 1, 5)
    budget = Budget()
    nxt = occurrences.next_after(rule, anchor, UTC_ZONE, moment, budget)
    assert nxt is not None and nxt > moment
    assert budget.spent < 1000  # the walk starts at the moment's period, not at year 1


def test_count_counts_from_the_anchor_and_ends_the_series():
    anchor = at(1, 1, 5)
    budget = Budget()
    assert occurrences.next_after("FREQ=DAILY;COUNT=1000", anchor, UTC_ZONE, at(2026, 1, 1), budget) is None
    assert budget.spent <= WORK_LIMIT
    assert occurrences.next_after("FREQ=DAILY;COUNT=3", anchor, UTC_ZONE, anchor) == at(1, 1, 6)


def test_a_listing_cut_by_the_budget_says_so():
    found = occurrences.listing("FREQ=DAILY", at(2026, 3, 2), UTC_ZONE, 1000, Budget(limit=200))
    assert not found.complete
    assert 1 < len(found.instants) < 1000
    assert [t.date() for t in found.instants] == [
        date(2026, 3, 2) + timedelta(days=i) for i in range(len(found.instants))
    ]


def test_the_last_instances_stop_inside_year_9999_in_every_zone():
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", UTC_ZONE):
        found = occurrences.listing("FREQ=DAILY", datetime(9999, 12, 20, 23, 0, tzinfo=ZoneInfo(zone)), zone, 100)
        assert found.complete
        assert found.instants[-1].astimezone(UTC) <= datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("number", [1, 2, 27, 52, 53, -1, -2])
def test_week_numbers_are_iso_8601_weeks_with_the_default_wkst(number):
    """RFC 5545 numbers weeks as ISO 8601 does when WKST=MO; Python's isocalendar is ISO 8601."""
    anchor = at(1999, 12, 31)
    found = occurrences.first(f"FREQ=YEARLY;BYWEEKNO={number}", anchor, UTC_ZONE, 1000)
    days = [t.date() for t in found[1:] if t.year <= 2030]

    def week_of(d):
        iso_year, week, _ = d.isocalendar()
        last = date(iso_year, 12, 28).isocalendar().week  # Dec 28th is always in the year's last week
        return week if number > 0 else week - last - 1

    expected = [d for d in (date(2000, 1, 1) + timedelta(days=i) for i in range(11_323)) if week_of(d) == number]
    assert days == expected


def test_byday_is_a_list_so_mondays_and_the_first_friday_both_count():
    """RFC 5545 3.3.10: BYDAY=MO,1FR selects every Monday and the first Friday (dateutil selects nothing)."""
    found = occurrences.first("FREQ=MONTHLY;BYDAY=MO,1FR", at(2026, 1, 1), UTC_ZONE, 20)
    days = [t.date() for t in found[1:] if t.month <= 2 and t.year == 2026]
    jan_feb = [date(2026, 1, 2) + timedelta(days=i) for i in range(58)]
    assert days == [d for d in jan_feb if d.weekday() == 0 or (d.weekday() == 4 and d.day <= 7)]


def test_weekly_bysetpos_picks_from_the_whole_week():
    """The set of a WEEKLY period is its whole week (from WKST): the first of MO,WE,FR is that Monday."""
    found = occurrences.first("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=1", at(2026, 1, 7), UTC_ZONE, 3)
    assert [t.date() for t in found] == [date(2026, 1, 7), date(2026, 1, 12), date(2026, 1, 19)]


def test_a_gap_in_a_zone_is_read_with_the_offset_before_it_across_the_walk():
    found = occurrences.first("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", at(2026, 3, 29, "Europe/Berlin"), "Europe/Berlin", 3)
    assert all(t.hour == 9 for t in found)
    late = datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    second = occurrences.first("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", late, "Europe/Berlin", 2)[1]
    assert (second.date(), second.hour, second.minute) == (date(2027, 3, 28), 3, 30)
