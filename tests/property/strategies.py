"""Hypothesis strategies shared by the property tests: JSON-like values as a careless or hostile client sends them."""

from __future__ import annotations

from datetime import datetime

from hypothesis import strategies as st

# Text with what breaks storage: NUL, lone surrogates, other controls, and plain words.
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(["a", "\x00", "\ud800", "\udfff", "\u200b", " ", "é", "😀"]), max_size=12),
    st.sampled_from(["", " ", "Europe/Berlin", "localtime", "right/UTC", "2026-01-01T00:00:00Z", "PT15M"]),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
    st.sampled_from(
        [
            "9999-12-31T23:00:00-05:00",
            "0001-01-01T00:30:00+01:00",
            "2026-02-30T00:00:00Z",
            "2026-01-01T00:00:00",
            "P9999999999D",
            "P366D",
            "-PT1S",
            "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
            "daily",
            "urgent",
        ]
    ),
)

json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(hostile_text, children, max_size=4)),
    max_leaves=12,
)


def objects_for(fields: list[str]) -> st.SearchStrategy[dict]:
    """Dicts keyed mostly by the model's own field names, so validation goes past the first key."""
    keys = st.one_of(st.sampled_from(fields), hostile_text)
    return st.dictionaries(keys, json_values, max_size=len(fields) + 1)


def _offset_times() -> st.SearchStrategy[str]:
    offsets = st.sampled_from(["Z", "+00:00", "+14:00", "-12:00", "+05:30", "-23:59"])
    moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
    return st.tuples(moments, offsets).map(lambda t: t[0].isoformat(timespec="seconds") + t[1])


_durations = st.one_of(
    st.sampled_from(["PT15M", "P1D", "P366D", "P367D", "PT0S", "-PT1M", "P1Y", "PT1.5S", "P9999999999D"]),
    st.integers(-(10**12), 10**12),
)
# Plausible values per field, valid and hostile mixed, so that validation runs past the first check.
FIELD_VALUES: dict[str, st.SearchStrategy] = {
    "title": hostile_text,
    "description": st.one_of(st.none(), hostile_text),
    "priority": st.sampled_from(["low", "medium", "high", "urgent", "asap", None, 1]),
    "tags": st.lists(hostile_text, max_size=22),
    "due_at": st.one_of(st.none(), _offset_times(), scalars),
    "timezone": st.sampled_from(["UTC", "Europe/Berlin", "US/Eastern", "localtime", "right/UTC", "Factory", None]),
    "recurrence": st.sampled_from([None, "daily", "monthly", "FREQ=WEEKLY;BYDAY=MO", "FREQ=DAILY;COUNT=99999999", "x"]),
    "reminders": st.lists(
        st.one_of(
            st.fixed_dictionaries({"before": _durations}),
            st.fixed_dictionaries({"at": _offset_times()}),
            st.fixed_dictionaries({"before": _durations, "at": _offset_times()}),
            json_values,
        ),
        max_size=11,
    ),
    "role": st.sampled_from(["user", "assistant", "system", "tool", "admin", None]),
    "content": hostile_text,
    "email": st.one_of(st.sampled_from(["a@example.com", "not-an-email", None]), hostile_text),
    "before": _durations,
    "at": _offset_times(),
}


def bodies_for(fields: list[str], required: tuple[str, ...] = ()) -> st.SearchStrategy[dict]:
    """Bodies with the required fields (from plain text) and any subset of the others, from plausible values."""
    plain = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30)
    return st.fixed_dictionaries(
        {f: plain for f in required},
        optional={f: FIELD_VALUES.get(f, json_values) for f in fields if f != "id" and f not in required},
    )
