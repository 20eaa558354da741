"""functions.domain.rrule.parse: RFC 5545 3.3.10's grammar and combinations, our limits, the canonical text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.domain.rrule import MAX_COUNT, MAX_INTERVAL, RecurrenceError, Rule, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FREQ=WEEKLY;BYDAY=TU,TH;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"),
        ("freq=monthly;byday=+1mo,-1fr", "FREQ=MONTHLY;BYDAY=1MO,-1FR"),
        ("FREQ=YEARLY;BYMONTH=02;BYMONTHDAY=+29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
        ("FREQ=WEEKLY;BYDAY=MO,MO,WE", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("RRULE:FREQ=DAILY;UNTIL=20271231T230000Z;", "FREQ=DAILY;UNTIL=20271231T230000Z"),
        ("FREQ=YEARLY;WKST=SU;BYWEEKNO=-1;BYSETPOS=1;BYDAY=SU", "FREQ=YEARLY;BYWEEKNO=-1;BYDAY=SU;BYSETPOS=1;WKST=SU"),
    ],
)
def test_the_canonical_text_orders_parts_and_drops_what_adds_nothing(text, expected):
    assert parse(text).text() == expected
    assert parse(expected).text() == expected  # canonical text is a fixed point


def test_parts_become_fields():
    rule = parse("FREQ=MONTHLY;INTERVAL=3;COUNT=4;BYMONTH=1,7;BYDAY=-1FR,MO;BYSETPOS=-1;WKST=SU")
    assert rule == Rule(
        freq="MONTHLY",
        interval=3,
        count=4,
        by_month=(1, 7),
        by_day=((-1, 4), (0, 0)),
        by_setpos=(-1,),
        wkst=6,
    )
    assert parse("FREQ=DAILY;UNTIL=20270101T083000Z").until == datetime(2027, 1, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # numbers: ASCII digits only, bounded
        ("FREQ=DAILY;INTERVAL=\uff11", "plain ASCII"),  # fullwidth 1, which int() accepts
        ("FREQ=DAILY;COUNT=\u0663", "plain ASCII"),  # Arabic-Indic 3
        ("FREQ=DAILY;INTERVAL=1_0", "invalid RRULE part 'INTERVAL=1_0'"),
        ("FREQ=DAILY;INTERVAL=+2", "INTERVAL must be a whole number"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be a whole number from 1 to 1000"),
        (f"FREQ=DAILY;COUNT={MAX_COUNT + 1}", "COUNT must be a whole number"),
        (f"FREQ=DAILY;INTERVAL={MAX_INTERVAL + 1}", "INTERVAL must be a whole number"),
        ("FREQ=DAILY;COUNT=9223372036854775808", "COUNT must be a whole number"),  # sys.maxsize + 1
        ("FREQ=DAILY;COUNT=" + "9" * 5000, "COUNT must be a whole number"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY value '0' is out of range"),
        ("FREQ=MONTHLY;BYMONTHDAY=1000", "BYMONTHDAY value '1000' is out of range"),
        ("FREQ=YEARLY;BYMONTH=-1", "BYMONTH value '-1' is out of range"),
        ("FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY value '367'"),
        ("FREQ=YEARLY;BYWEEKNO=54", "BYWEEKNO value '54'"),
        ("FREQ=MONTHLY;BYDAY=6MO", "BYDAY ordinal in 6MO is out of range (1-5)"),
        ("FREQ=YEARLY;BYDAY=54MO", "BYDAY ordinal in 54MO is out of range (1-53)"),
        ("FREQ=YEARLY;BYDAY=MON", "BYDAY value 'MON' is not a weekday"),
        ("FREQ=DAILY;WKST=XX", "WKST must be one of"),
        # parts RFC 5545 does not define
        ("FREQ=YEARLY;BYEASTER=0", "BYEASTER is not an RRULE part"),
        ("FREQ=DAILY;X-FOO=1", "X-FOO is not an RRULE part"),
        ("FREQ=DAILY;DTSTART=20260101T000000Z", "DTSTART is not an RRULE part"),
        ("FREQ=DAILY;BYSECOND=0", "BYSECOND is not supported"),
        # RFC 5545 3.3.10's combinations
        ("FREQ=MONTHLY;BYWEEKNO=1", "BYWEEKNO is only valid with FREQ=YEARLY"),
        ("FREQ=DAILY;BYYEARDAY=1", "BYYEARDAY is only valid with FREQ=YEARLY"),
        ("FREQ=WEEKLY;BYMONTHDAY=31", "BYMONTHDAY is not valid with FREQ=WEEKLY"),
        ("FREQ=WEEKLY;BYDAY=1MO", "a BYDAY ordinal such as 1MO needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=DAILY;BYDAY=-1FR", "needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", "cannot be combined with BYWEEKNO"),
        ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BY part"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z", "COUNT and UNTIL must not both be given"),
        # UNTIL: a UTC date-time, as DTSTART is one
        ("FREQ=DAILY;UNTIL=2027", "UNTIL must be a UTC date-time"),
        ("FREQ=DAILY;UNTIL=20270101T000000", "UNTIL must be a UTC date-time"),
        ("FREQ=DAILY;UNTIL=20270230T000000Z", "is not a real date and time"),
        ("FREQ=DAILY;UNTIL=00000101T000000Z", "is not a real date and time"),
        # the text itself
        ("FREQ = DAILY", "invalid RRULE part 'FREQ = DAILY'"),
        ("FREQ=DAILY;BYDAY=MO WE", "invalid RRULE part 'BYDAY=MO WE'"),
        ("FREQ=DAILY\r\nRRULE:FREQ=WEEKLY", "only a single RRULE"),
        ("FREQ=DA\x00ILY", "invalid RRULE part"),
    ],
)
def test_refused_with_the_reason(text, message):
    with pytest.raises(RecurrenceError) as caught:
        parse(text)
    assert message in str(caught.value)
