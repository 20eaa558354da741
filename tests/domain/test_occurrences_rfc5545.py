"""RFC 5545 section 3.8.5.3's RRULE examples as vectors, as far as the supported parts go.

Every example there is local to America/New_York at 09:00 unless its DTSTART says otherwise. Left
out: the HOURLY/MINUTELY and BYHOUR/BYMINUTE examples (refused: the time of day comes from due_at,
see test_recurrence.py) and EXDATE (not supported; the Friday-the-13th example below shows what
the series is without it).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from functions.domain.occurrences import first
from functions.domain.recurrence import normalize

NY = "America/New_York"


def _run(dtstart: str, rule: str, n: int) -> list[str]:
    anchor = datetime.strptime(dtstart, "%Y%m%d").replace(hour=9, tzinfo=ZoneInfo(NY))
    stored = normalize(rule, anchor)  # what the API would accept and store
    found = first(stored, anchor, NY, n)
    assert all((d.hour, d.minute) == (9, 0) for d in found), "09:00 local holds across DST"
    return [d.strftime("%Y%m%d") for d in found]


def _days(year_month: str, *days: int) -> list[str]:
    return [f"{year_month}{d:02d}" for d in days]


VECTORS = [
    ("daily, 10 occurrences", "19970902", "FREQ=DAILY;COUNT=10", 50, _days("199709", *range(2, 12))),
    (
        "every 10 days, 5 occurrences",
        "19970902",
        "FREQ=DAILY;INTERVAL=10;COUNT=5",
        50,
        [*_days("199709", 2, 12, 22), *_days("199710", 2, 12)],
    ),
    ("every other day", "19970902", "FREQ=DAILY;INTERVAL=2", 4, _days("199709", 2, 4, 6, 8)),
    (
        "weekly, 10 occurrences",
        "19970902",
        "FREQ=WEEKLY;COUNT=10",
        50,
        [*_days("199709", 2, 9, 16, 23, 30), *_days("199710", 7, 14, 21, 28), "19971104"],
    ),
    (
        "every other week, forever",
        "19970902",
        "FREQ=WEEKLY;INTERVAL=2;WKST=SU",
        13,
        [
            *_days("199709", 2, 16, 30),
            *_days("199710", 14, 28),
            *_days("199711", 11, 25),
            *_days("199712", 9, 23),
            *_days("199801", 6, 20),
            *_days("199802", 3, 17),
        ],
    ),
    (
        "weekly on Tuesday and Thursday for five weeks (UNTIL)",
        "19970902",
        "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
        50,
        [*_days("199709", 2, 4, 9, 11, 16, 18, 23, 25, 30), "19971002"],
    ),
    (
        "weekly on Tuesday and Thursday for five weeks (COUNT)",
        "19970902",
        "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH",
        50,
        [*_days("199709", 2, 4, 9, 11, 16, 18, 23, 25, 30), "19971002"],
    ),
    (
        "every other week on Monday, Wednesday and Friday until December 24",
        "19970901",
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
        50,
        [
            *_days("199709", 1, 3, 5, 15, 17, 19, 29),
            *_days("199710", 1, 3, 13, 15, 17, 27, 29, 31),
            *_days("199711", 10, 12, 14, 24, 26, 28),
            *_days("199712", 8, 10, 12, 22),
        ],
    ),
    (
        "every other week on Tuesday and Thursday, 8 occurrences",
        "19970902",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH",
        50,
        [*_days("199709", 2, 4, 16, 18, 30), *_days("199710", 2, 14, 16)],
    ),
    (
        "monthly on the first Friday, 10 occurrences",
        "19970905",
        "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        50,
        [
            "19970905",
            "19971003",
            "19971107",
            "19971205",
            "19980102",
            "19980206",
            "19980306",
            "19980403",
            "19980501",
            "19980605",
        ],
    ),
    (
        "monthly on the first Friday until December 24",
        "19970905",
        "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR",
        50,
        ["19970905", "19971003", "19971107", "19971205"],
    ),
    (
        "every other month on the first and last Sunday, 10 occurrences",
        "19970907",
        "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
        50,
        [
            "19970907",
            "19970928",
            "19971102",
            "19971130",
            "19980104",
            "19980125",
            "19980301",
            "19980329",
            "19980503",
            "19980531",
        ],
    ),
    (
        "monthly on the second-to-last Monday for 6 months",
        "19970922",
        "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
        50,
        ["19970922", "19971020", "19971117", "19971222", "19980119", "19980216"],
    ),
    (
        "monthly on the third-to-the-last day of the month",
        "19970928",
        "FREQ=MONTHLY;BYMONTHDAY=-3",
        6,
        ["19970928", "19971029", "19971128", "19971229", "19980129", "19980226"],
    ),
    (
        "monthly on the 2nd and 15th, 10 occurrences",
        "19970902",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
        50,
        [f"{ym}{d:02d}" for ym in ("199709", "199710", "199711", "199712", "199801") for d in (2, 15)],
    ),
    (
        "monthly on the first and last day, 10 occurrences",
        "19970930",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
        50,
        [
            "19970930",
            "19971001",
            "19971031",
            "19971101",
            "19971130",
            "19971201",
            "19971231",
            "19980101",
            "19980131",
            "19980201",
        ],
    ),
    (
        "every 18 months on the 10th to the 15th, 10 occurrences",
        "19970910",
        "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
        50,
        [*_days("199709", 10, 11, 12, 13, 14, 15), *_days("199903", 10, 11, 12, 13)],
    ),
    (
        "every Tuesday, every other month",
        "19970902",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
        14,
        [
            *_days("199709", 2, 9, 16, 23, 30),
            *_days("199711", 4, 11, 18, 25),
            *_days("199801", 6, 13, 20, 27),
            "19980303",
        ],
    ),
    (
        "yearly in June and July, 10 occurrences",
        "19970610",
        "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
        50,
        [f"{y}{m}10" for y in range(1997, 2002) for m in ("06", "07")],
    ),
    (
        "every other year on January, February and March, 10 occurrences",
        "19970310",
        "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3",
        50,
        ["19970310", *[f"{y}{m}10" for y in (1999, 2001, 2003) for m in ("01", "02", "03")]],
    ),
    (
        "every third year on the 1st, 100th and 200th day, 10 occurrences",
        "19970101",
        "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
        50,
        [
            "19970101",
            "19970410",
            "19970719",
            "20000101",
            "20000409",
            "20000718",
            "20030101",
            "20030410",
            "20030719",
            "20060101",
        ],
    ),
    ("every 20th Monday of the year", "19970519", "FREQ=YEARLY;BYDAY=20MO", 3, ["19970519", "19980518", "19990517"]),
    (
        "Monday of week number 20",
        "19970512",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        3,
        ["19970512", "19980511", "19990517"],
    ),
    (
        "every Thursday in March",
        "19970313",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=TH",
        11,
        [*_days("199703", 13, 20, 27), *_days("199803", 5, 12, 19, 26), *_days("199903", 4, 11, 18, 25)],
    ),
    (
        "every Thursday, but only during June, July and August",
        "19970605",
        "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8",
        14,
        [
            *_days("199706", 5, 12, 19, 26),
            *_days("199707", 3, 10, 17, 24, 31),
            *_days("199708", 7, 14, 21, 28),
            "19980604",
        ],
    ),
    (
        "the first Saturday that follows the first Sunday of the month",
        "19970913",
        "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
        10,
        [
            "19970913",
            "19971011",
            "19971108",
            "19971213",
            "19980110",
            "19980207",
            "19980307",
            "19980411",
            "19980509",
            "19980613",
        ],
    ),
    (
        "US presidential election day",
        "19961105",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
        3,
        ["19961105", "20001107", "20041102"],
    ),
    (
        "the third instance of Tuesday, Wednesday or Thursday, for the next 3 months",
        "19970904",
        "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
        50,
        ["19970904", "19971007", "19971106"],
    ),
    (
        "the second-to-last weekday of the month",
        "19970929",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
        7,
        ["19970929", "19971030", "19971127", "19971230", "19980129", "19980226", "19980330"],
    ),
    (
        "WKST=MO changes which days fall in an every-other week",
        "19970805",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
        50,
        _days("199708", 5, 10, 19, 24),
    ),
    (
        "WKST=SU",
        "19970805",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
        50,
        _days("199708", 5, 17, 19, 31),
    ),
    (
        "an invalid date (February 30th) is ignored",
        "20070115",
        "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
        50,
        ["20070115", "20070130", "20070215", "20070315", "20070330"],
    ),
]


@pytest.mark.parametrize(("name", "dtstart", "rule", "n", "expected"), VECTORS, ids=[v[0] for v in VECTORS])
def test_rfc5545_example(name, dtstart, rule, n, expected):
    assert _run(dtstart, rule, n) == expected


def test_daily_until_december_24_crosses_the_end_of_summer_time():
    found = _run("19970902", "FREQ=DAILY;UNTIL=19971224T000000Z", 500)
    assert (len(found), found[0], found[-1]) == (113, "19970902", "19971223")


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
        "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1",
    ],
)
def test_every_day_in_january_for_3_years(rule):
    found = _run("19980101", rule, 500)
    assert found == [f"{y}01{d:02d}" for y in (1998, 1999, 2000) for d in range(1, 32)]


def test_weekly_until_december_24():
    found = _run("19970902", "FREQ=WEEKLY;UNTIL=19971224T000000Z", 50)
    assert (len(found), found[-1]) == (17, "19971223")


def test_friday_the_13th_without_exdate_keeps_dtstart_as_the_first_instance():
    # RFC 5545 removes the unsynchronised DTSTART with EXDATE; without it DTSTART is the first instance.
    found = _run("19970902", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", 6)
    assert found == ["19970902", "19980213", "19980313", "19981113", "19990813", "20001013"]
