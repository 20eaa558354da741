"""Annotated field types shared by the models: RFC 3339 instants, IANA zones, tags."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints


def _rfc3339_text(value: Any) -> Any:
    # pydantic would also take unix numbers; the API promises RFC 3339 strings with an offset.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string with an offset, e.g. 2026-01-31T09:00:00+01:00")
    return value


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
"""A point in time; naive values are refused with 'Input should have timezone info'."""

TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_zone)]

Tag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=50)]
