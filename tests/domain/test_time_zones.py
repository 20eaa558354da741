"""The IANA zones come with the app (the tzdata wheel in requirements.txt), so that a slim image without
/usr/share/zoneinfo still resolves a user's zone the same way."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

import tzdata


def test_the_zones_the_domain_resolves_ship_in_the_tzdata_package():
    assert tzdata.IANA_VERSION
    for name in ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"):
        with resources.files("tzdata").joinpath("zoneinfo", *name.split("/")).open("rb") as f:
            shipped = ZoneInfo.from_file(f, key=name)
        # Known offsets: Berlin is UTC+2 in July (CEST), New York UTC-4 (EDT), Kolkata UTC+5:30 all year.
        instant = datetime(2026, 7, 1, 12, 0)
        expected = {"Europe/Berlin": 2 * 3600, "America/New_York": -4 * 3600, "Asia/Kolkata": 19800, "UTC": 0}[name]
        offset = instant.replace(tzinfo=shipped).utcoffset()
        assert offset is not None and offset.total_seconds() == expected, name
        assert instant.replace(tzinfo=ZoneInfo(name)).utcoffset() == offset, name
