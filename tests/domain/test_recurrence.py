"""functions.domain.recurrence.normalize: presets, user RRULEs, and the rules it refuses."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from functions.domain.recurrence import RecurrenceError, normalize

BERLIN = ZoneInfo("Europe/Berlin")


def local(year, month, day, hour=9):
    return datetime(year, month, day, hour, 0, tzinfo=BERLIN)


def first(rule, anchor, n):
    """The first n occurrences of a normalised rule from its anchor."""
    return list(itertools.islice(rrulestr(rule, dtstart=anchor), n))


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("daily", "FREQ=DAILY"),
        ("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("weekly", "FREQ=WEEKLY"),
        ("yearly", "FREQ=YEARLY"),
        (" Daily ", "FREQ=DAILY"),
        ("WEEKLY", "FREQ=WEEKLY"),
    ],
)
def test_presets(preset, expected):
    assert normalize(preset, local(2026, 3, 10)) == expected


@pytest.mark.parametrize("day", [1, 15, 28])
def test_monthly_on_a_day_every_month_has(day):
    assert normalize("monthly", local(2026, 1, day)) == f"FREQ=MONTHLY;BYMONTHDAY={day}"


@pytest.mark.parametrize("day", [29, 30, 31])
def test_monthly_late_in_the_month_falls_back_to_the_last_day(day):
    assert normalize("monthly", local(2026, 1, day)) == f"FREQ=MONTHLY;BYMONTHDAY={day},-1;BYSETPOS=1"


def test_monthly_on_the_31st_does_not_slide_to_the_28th():
    anchor = local(2026, 1, 31)
    dates = [d.date().isoformat() for d in first(normalize("monthly", anchor), anchor, 4)]
    assert dates == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]


def test_monthly_keeps_local_time_across_dst():
    anchor = local(2026, 3, 1)  # CET; the 1st of April is CEST
    occurrences = first(normalize("monthly", anchor), anchor, 2)
    assert [d.hour for d in occurrences] == [9, 9]
    assert [d.utcoffset().total_seconds() / 3600 for d in occurrences] == [1, 2]


def test_monthly_on_the_30th_keeps_the_30th_in_long_months():
    anchor = local(2026, 1, 30)
    dates = [d.day for d in first(normalize("monthly", anchor), anchor, 4)]
    assert dates == [30, 28, 30, 30]


def test_yearly_from_feb_29_uses_feb_28_in_common_years():
    anchor = local(2028, 2, 29)
    rule = normalize("yearly", anchor)
    assert rule == "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29,-1;BYSETPOS=1"
    dates = [d.date().isoformat() for d in first(rule, anchor, 5)]
    assert dates == ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("RRULE:FREQ=DAILY;INTERVAL=2", "FREQ=DAILY;INTERVAL=2"),
        ("rrule:freq=weekly;byday=mo,we", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("FREQ=DAILY;COUNT=5", "FREQ=DAILY;COUNT=5"),
        ("FREQ=DAILY;UNTIL=20270101T000000Z", "FREQ=DAILY;UNTIL=20270101T000000Z"),
        ("  FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24  ", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24"),
    ],
)
def test_valid_rrules_are_kept_in_canonical_form(rule, expected):
    anchor = local(2026, 1, 5)
    normalized = normalize(rule, anchor)
    assert normalized == expected
    assert first(normalized, anchor, 1)  # dateutil accepts what we store


def test_last_friday_of_the_month():
    anchor = local(2026, 1, 30)
    rule = normalize("FREQ=MONTHLY;BYDAY=-1FR", anchor)
    assert [d.date().isoformat() for d in first(rule, anchor, 3)] == ["2026-01-30", "2026-02-27", "2026-03-27"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=HOURLY", "FREQ=HOURLY is finer than"),
        ("FREQ=MINUTELY", "FREQ=MINUTELY is finer than"),
        ("FREQ=SECONDLY", "FREQ=SECONDLY is finer than"),
        ("BYDAY=MO", "RRULE needs FREQ"),
        ("", "RRULE needs FREQ"),
        ("FREQ=DAILY;BYHOUR=9,18", "BYHOUR is not supported"),
        ("FREQ=DAILY;BYMINUTE=30", "BYMINUTE is not supported"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z", "COUNT and UNTIL must not both be given"),
        ("FOO", "invalid RRULE part 'FOO'"),
        ("FREQ=WEEKLY;BYDAY=", "invalid RRULE part 'BYDAY='"),
        ("FREQ=DAILY;FREQ=WEEKLY", "RRULE part FREQ is given twice"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY value 'XX' is not a weekday"),
        ("FREQ=FORTNIGHTLY", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("FREQ=DAILY;INTERVAL=abc", "INTERVAL must be a whole number from 1 to 1000"),
        ("FREQ=DAILY;X-NAME=1", "X-NAME is not an RRULE part"),
        ("FREQ=DAILY;UNTIL=20270101", "UNTIL must be a UTC date-time"),
        ("FREQ=DAILY\nRRULE:FREQ=WEEKLY", "only a single RRULE"),
    ],
)
def test_invalid_rules_raise_recurrence_error_naming_the_reason(rule, message):
    with pytest.raises(RecurrenceError) as caught:
        normalize(rule, local(2026, 1, 5))
    assert message in str(caught.value)


def test_recurrence_error_is_a_value_error():
    # pydantic validators and the API's error mapping rely on this.
    assert issubclass(RecurrenceError, ValueError)


@pytest.mark.parametrize("rule", ["FREQ=DAILY;INTERVAL=0", "FREQ=MONTHLY;BYDAY=99FR", "FREQ=MONTHLY;BYMONTHDAY=32"])
def test_rules_without_a_next_occurrence_are_refused(rule):
    with pytest.raises(RecurrenceError):
        normalize(rule, local(2026, 1, 5))
