"""Instants are RFC 3339 date-times as `format: date-time` in docs/openapi.json means them.

Times without seconds, or with a space for the "T", were accepted, though the JSON Schema validator that
schemathesis uses (jsonschema_rs, formats on) refuses them as `date-time`s. Python's own isoformat() always
writes both.
"""

from __future__ import annotations

import pytest

VALID = ["2026-03-01T09:00:00+01:00", "2026-03-01t09:00:00z", "2026-03-01T09:00:00.123456Z"]
REFUSED = ["2026-03-01T09:00+01:00", "2026-03-01 09:00:00+01:00", "2026-03-01T0900:00Z", "2026-03-01T09:00:00 Z"]


@pytest.mark.parametrize("value", VALID)
def test_an_rfc_3339_date_time_is_taken(api, token, value):
    resp = api.post("/api/tasks", json={"title": "x", "due_at": value}, headers={"Authorization": token()})
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("value", REFUSED)
def test_anything_else_is_refused_naming_the_field(api, token, value):
    resp = api.post("/api/tasks", json={"title": "x", "due_at": value}, headers={"Authorization": token()})
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    (error,) = resp.get_json()["errors"]
    assert error["field"] == "due_at" and "RFC 3339" in error["message"]


def test_the_query_takes_the_same_syntax(api, token):
    resp = api.get("/api/tasks?due_before=2026-03-01%2009:00:00Z", headers={"Authorization": token()})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["due_before"]
