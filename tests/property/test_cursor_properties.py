"""Cursor decoding under Hypothesis: any string is either a cursor of ours, with values of the right types,
or a 422 naming `cursor`; and every cursor the API issues decodes to what it was made from."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import get_args
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from functions.domain.tasks import SortKey
from functions.errors import Invalid
from functions.store.tasks import decode_cursor, encode_cursor
from tests.property.strategies import json_values

SORTS = list(get_args(SortKey))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


three_parts = st.tuples(st.sampled_from([*SORTS, "x"]) | json_values, json_values, st.uuids().map(str) | json_values)
cursors = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60).map(_b64),
    json_values.map(lambda v: _b64(json.dumps(v).encode())),
    three_parts.map(lambda t: _b64(json.dumps(list(t)).encode())),
)


@given(cursor=cursors, sort=st.sampled_from(SORTS))
def test_any_cursor_decodes_to_the_sorts_types_or_is_invalid_naming_cursor(cursor, sort):
    try:
        value, last_id = decode_cursor(cursor, sort)
    except Invalid as exc:
        assert exc.field == "cursor" and exc.status == 422
        return
    assert isinstance(last_id, UUID)
    if sort.lstrip("-") == "priority":
        assert type(value) is int and 0 <= value <= 3
    else:
        assert isinstance(value, datetime) and value.tzinfo is not None


@given(
    sort=st.sampled_from(SORTS),
    moment=st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.just(UTC)),
    rank=st.integers(0, 3),
    last_id=st.uuids(),
)
def test_every_cursor_the_api_issues_decodes_to_what_it_was_made_from(sort, moment, rank, last_id):
    value = rank if sort.lstrip("-") == "priority" else moment
    assert decode_cursor(encode_cursor(sort, value, last_id), sort) == (value, last_id)
