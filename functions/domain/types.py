"""Annotated field types shared by the models: RFC 3339 instants, IANA zones, tags."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints

# The offset is optional here only so that a naive time gets pydantic's own "should have timezone info".
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?$")


def _rfc3339_text(value: Any) -> Any:
    # pydantic would also take unix numbers, even as strings; the API promises RFC 3339 only.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value.strip()):
        raise ValueError("must be an RFC 3339 date-time string with an offset, e.g. 2026-01-31T09:00:00+01:00")
    return value


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps it a 422 instead of a failed write.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def is_zone(name: str) -> bool:
    """True for a known IANA zone name."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
        return False
    return True


def _known_zone(name: str) -> str:
    if not is_zone(name):
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
"""A point in time; naive values are refused with 'Input should have timezone info'."""

TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_zone)]

Text = Annotated[str, AfterValidator(_no_nul)]

Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=50), AfterValidator(_no_nul)
]
