"""Annotated field types shared by the models: RFC 3339 instants, IANA zones, tags."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

# RFC 3339's date-time (section 5.6), as `format: date-time` in docs/openapi.json means it: "T" and the seconds
# are required (JSON Schema validators refuse "2026-03-01 09:00+01:00", which was accepted). The offset is
# optional here only so that a naive time gets pydantic's own "should have timezone info".
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$")


def _rfc3339_text(value: Any) -> Any:
    # pydantic would also take unix numbers, even as strings; the API promises RFC 3339 only.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value.strip()):
        raise ValueError("must be an RFC 3339 date-time string with an offset, e.g. 2026-01-31T09:00:00+01:00")
    return value


# Instants stay a day inside datetime's years 1-9999, so that every zone (offsets up to 26 h) can show them.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored as text, if it cannot: NUL, or a lone UTF-16 surrogate."""
    # PostgreSQL text and jsonb cannot hold NUL; a lone surrogate ("\\ud800" in JSON) has no UTF-8 form.
    if "\x00" in value:
        return "must not contain NUL characters"
    if _SURROGATE.search(value):
        return "must not contain lone surrogates (U+D800 to U+DFFF): send valid Unicode"
    return None


def _storable_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # the offset pushes the UTC value out of years 1-9999
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueError("must lie between 0001-01-02T00:00:00Z and 9999-12-30T23:59:59Z")
    return value


@cache
def _iana_zones() -> frozenset[str]:
    # The tzdata package's list of IANA names, not whatever the host's zoneinfo folder holds: that also
    # has "localtime", "posixrules", "posix/..." and "right/..." (leap-second clocks). "Factory" is no place.
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="ascii").split()
    return frozenset(names) - {"Factory"}


def is_zone(name: str) -> bool:
    """True for an IANA zone name (canonical or a backward-compatible link such as US/Eastern)."""
    return name in _iana_zones()


def _known_zone(name: str) -> str:
    if not is_zone(name):
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_in_range)]
"""A point in time between EARLIEST and LATEST; naive values are refused with 'Input should have timezone info'."""

TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_zone)]

Text = Annotated[str, AfterValidator(_storable_text)]


def too_long(limit: int) -> PydanticCustomError:
    """pydantic's own error for a string over its max_length."""
    return PydanticCustomError(
        "string_too_long", "String should have at most {max_length} characters", {"max_length": limit}
    )


TAG_MAX = 50


def _tag_within_limit_as_sent(value: Any) -> Any:
    # The limit holds for the tag as sent (docs/openapi.json says maxLength 50), not only once it is stripped.
    if isinstance(value, str) and len(value) > TAG_MAX:
        raise too_long(TAG_MAX)
    return value


Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=TAG_MAX),
    BeforeValidator(_tag_within_limit_as_sent),
    AfterValidator(_storable_text),
]
