"""functions.domain.occurrences: wall-clock times across DST, gaps, folds, month ends, leap years, next_after."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from functions.domain.occurrences import first, next_after
from functions.domain.recurrence import normalize


def local(zone, *parts, fold=0):
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)


def iso(rule, anchor, zone, n):
    return [d.isoformat() for d in first(normalize(rule, anchor), anchor, zone, n)]


@pytest.mark.parametrize(
    ("zone", "anchor", "expected"),
    [
        # Europe/Berlin: summer time from 2026-03-29 02:00, winter time from 2026-10-25 03:00.
        (
            "Europe/Berlin",
            (2026, 3, 28, 9),
            ["2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00"],
        ),
        (
            "Europe/Berlin",
            (2026, 10, 24, 9),
            ["2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00", "2026-10-26T09:00:00+01:00"],
        ),
        # America/New_York: 2026-03-08 and 2026-11-01.
        (
            "America/New_York",
            (2026, 3, 7, 9),
            ["2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"],
        ),
        (
            "America/New_York",
            (2026, 10, 31, 9),
            ["2026-10-31T09:00:00-04:00", "2026-11-01T09:00:00-05:00", "2026-11-02T09:00:00-05:00"],
        ),
        # Australia/Sydney, southern hemisphere: summer time ends 2026-04-05, starts 2026-10-04.
        (
            "Australia/Sydney",
            (2026, 4, 4, 9),
            ["2026-04-04T09:00:00+11:00", "2026-04-05T09:00:00+10:00", "2026-04-06T09:00:00+10:00"],
        ),
        (
            "Australia/Sydney",
            (2026, 10, 3, 9),
            ["2026-10-03T09:00:00+10:00", "2026-10-04T09:00:00+11:00", "2026-10-05T09:00:00+11:00"],
        ),
    ],
)
def test_daily_keeps_the_wall_clock_time_across_dst(zone, anchor, expected):
    assert iso("daily", local(zone, *anchor), zone, 3) == expected


@pytest.mark.parametrize(
    ("zone", "anchor", "gap_day"),
    [
        ("Europe/Berlin", (2026, 3, 28, 2, 30), "2026-03-29T03:30:00+02:00"),
        ("America/New_York", (2026, 3, 7, 2, 30), "2026-03-08T03:30:00-04:00"),
        ("Australia/Sydney", (2026, 10, 3, 2, 30), "2026-10-04T03:30:00+11:00"),
    ],
)
def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap(zone, anchor, gap_day):
    # RFC 5545 3.3.5: read with the offset before the gap. The day after is 02:30 again.
    found = iso("daily", local(zone, *anchor), zone, 3)
    assert found[1] == gap_day
    assert found[2][11:19] == "02:30:00"


@pytest.mark.parametrize(
    ("zone", "anchor", "first_instance", "day_after"),
    [
        ("Europe/Berlin", (2026, 10, 24, 2, 30), "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"),
        ("America/New_York", (2026, 10, 31, 1, 30), "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"),
        ("Australia/Sydney", (2026, 4, 4, 2, 30), "2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"),
    ],
)
def test_an_ambiguous_time_takes_its_first_instance(zone, anchor, first_instance, day_after):
    assert iso("daily", local(zone, *anchor), zone, 3)[1:] == [first_instance, day_after]


def test_an_anchor_on_the_second_instance_of_a_repeated_hour_stays_the_first_occurrence():
    anchor = local("Europe/Berlin", 2026, 10, 25, 2, 30, fold=1)  # 01:30 UTC, the second 02:30
    found = iso("daily", anchor, "Europe/Berlin", 2)
    assert found == ["2026-10-25T02:30:00+01:00", "2026-10-26T02:30:00+01:00"]


def test_weekly_across_both_transitions_in_new_york():
    anchor = local("America/New_York", 2026, 2, 28, 18)
    found = first(normalize("weekly", anchor), anchor, "America/New_York", 40)
    assert {d.strftime("%H:%M %a") for d in found} == {"18:00 Sat"}
    assert {d.utcoffset().total_seconds() / 3600 for d in found} == {-5, -4}


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        ((2026, 1, 31), ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]),
        ((2028, 1, 31), ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30", "2028-05-31", "2028-06-30"]),
        ((2026, 1, 30), ["2026-01-30", "2026-02-28", "2026-03-30", "2026-04-30", "2026-05-30", "2026-06-30"]),
        ((2028, 1, 29), ["2028-01-29", "2028-02-29", "2028-03-29", "2028-04-29", "2028-05-29", "2028-06-29"]),
        ((2027, 1, 29), ["2027-01-29", "2027-02-28", "2027-03-29", "2027-04-29", "2027-05-29", "2027-06-29"]),
    ],
)
def test_monthly_late_in_the_month_takes_the_last_day_of_short_months_without_drift(anchor, expected):
    start = local("Europe/Berlin", *anchor, 9)
    found = first(normalize("monthly", start), start, "Europe/Berlin", 6)
    assert [d.date().isoformat() for d in found] == expected
    assert {d.hour for d in found} == {9}


def test_yearly_on_february_29_uses_february_28_outside_leap_years_and_returns():
    start = local("UTC", 2024, 2, 29, 8)
    found = first(normalize("yearly", start), start, "UTC", 5)
    assert [d.date().isoformat() for d in found] == [
        "2024-02-29",
        "2025-02-28",
        "2026-02-28",
        "2027-02-28",
        "2028-02-29",
    ]


def test_leap_day_only_rule_skips_common_years():
    start = local("UTC", 2024, 2, 29, 8)
    found = first(normalize("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", start), start, "UTC", 3)
    assert [d.year for d in found] == [2024, 2028, 2032]


def test_negative_bymonthday_and_bysetpos():
    start = local("Europe/Berlin", 2026, 1, 30, 9)
    last_weekday = first(normalize("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", start), start, "Europe/Berlin", 4)
    assert [d.date().isoformat() for d in last_weekday] == ["2026-01-30", "2026-02-27", "2026-03-31", "2026-04-30"]
    second_last_day = first(normalize("FREQ=MONTHLY;BYMONTHDAY=-2", start), start, "Europe/Berlin", 3)
    assert [d.date().isoformat() for d in second_last_day] == ["2026-01-30", "2026-02-27", "2026-03-30"]


def test_count_includes_an_anchor_the_rule_does_not_match():
    start = local("UTC", 2026, 3, 3, 9)  # a Tuesday; the rule names Mondays
    found = first(normalize("FREQ=WEEKLY;BYDAY=MO;COUNT=3", start), start, "UTC", 10)
    assert [d.date().isoformat() for d in found] == ["2026-03-03", "2026-03-09", "2026-03-16"]


def test_a_task_without_a_rule_is_a_series_of_one():
    due = datetime(2026, 3, 3, 8, tzinfo=UTC)
    assert [d.isoformat() for d in first(None, due, "Europe/Berlin", 5)] == ["2026-03-03T09:00:00+01:00"]


class TestNextAfter:
    anchor = local("Europe/Berlin", 2026, 3, 2, 9)
    rule = "FREQ=DAILY"

    def test_is_strictly_after(self):
        assert next_after(self.rule, self.anchor, "Europe/Berlin", self.anchor) == local("Europe/Berlin", 2026, 3, 3, 9)

    def test_skips_missed_instances_instead_of_piling_them_up(self):
        late = datetime(2026, 3, 10, 12, tzinfo=UTC)
        assert next_after(self.rule, self.anchor, "Europe/Berlin", late) == local("Europe/Berlin", 2026, 3, 11, 9)

    def test_none_once_count_has_ended_the_series(self):
        rule = "FREQ=DAILY;COUNT=3"
        third = local("Europe/Berlin", 2026, 3, 4, 9)
        assert next_after(rule, self.anchor, "Europe/Berlin", third - (third - self.anchor) / 2) == third
        assert next_after(rule, self.anchor, "Europe/Berlin", third) is None

    def test_none_once_until_has_passed(self):
        rule = "FREQ=DAILY;UNTIL=20260304T080000Z"
        assert next_after(rule, self.anchor, "Europe/Berlin", local("Europe/Berlin", 2026, 3, 4, 9)) is None

    def test_compares_instants_not_wall_times_in_the_repeated_hour(self):
        anchor = local("Europe/Berlin", 2026, 10, 24, 2, 30)
        first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        second_0230 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
        found = next_after("FREQ=DAILY", anchor, "Europe/Berlin", first_0230)
        assert found is not None and found.date().isoformat() == "2026-10-26"
        assert next_after("FREQ=DAILY", anchor, "Europe/Berlin", second_0230) == found
