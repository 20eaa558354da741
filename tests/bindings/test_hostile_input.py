"""Careless and hostile input, class by class: each is a 400, 401 or 422 problem naming what is wrong, never a 500."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from bindings import auth

PROBLEM = "application/problem+json"


def _send(client, method, path, raw: bytes | str, token):
    data = raw.encode() if isinstance(raw, str) else raw
    return client.open(
        path, method=method, data=data, content_type="application/json", headers={"Authorization": token()}
    )


def _fields(resp) -> list[str]:
    return [e["field"] for e in resp.get_json().get("errors", [])]


def _count(runtime, table) -> int:
    with runtime.db.transaction() as tx:
        return tx.one(f"SELECT count(*) AS n FROM {table}")["n"]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"title": "x", "tags": ' + "[" * 100 + "]" * 100 + "}", "nests deeper than 64"),
        ('{"title": "x", "description": ' + "[" * 20_000 + "]" * 20_000 + "}", "nests deeper than 64"),
        ('{"title": "x", "priority": ' + "7" * 5000 + "}", "5000 digits"),
        ('{"title": "x", "priority": -' + "1" * 25 + "}", "25 digits"),
        ('{"title": "x", "reminders": [{"before": 1e999}]}', "out of range"),
        ('{"title": "x", "priority": NaN}', "NaN is not JSON"),
        ('{"title": "x", "priority": -Infinity}', "-Infinity is not JSON"),
    ],
)
def test_json_the_standard_does_not_allow_or_that_costs_too_much_is_400(api, token, runtime, raw, words):
    resp = _send(api, "POST", "/api/tasks", raw, token)
    assert resp.status_code == 400 and resp.mimetype == PROBLEM
    assert words in resp.get_json()["detail"]
    assert _count(runtime, "tasks") == 0


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/me", '{"timezone": ' + "{" * 3000),
        ("/api/me", '{"email": ' + "9" * 4400 + "}"),
    ],
)
def test_every_json_route_reads_bodies_the_same_way(api, token, path, raw):
    resp = _send(api, "PUT", path, raw, token)
    assert resp.status_code == 400 and resp.mimetype == PROBLEM


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_at": "9999-12-31T23:00:00-05:00"}, "due_at"),  # UTC: year 10000
        ({"due_at": "0001-01-01T00:30:00+01:00"}, "due_at"),  # UTC: year 0
        ({"due_at": "9999-12-31T12:00:00Z"}, "due_at"),  # no zone could show it a day later
        ({"due_at": "2026-01-01T00:00:00Z", "reminders": [{"at": "0001-01-01T00:00:00+14:00"}]}, "reminders.0.at"),
        ({"due_at": "0001-01-05T00:00:00Z", "reminders": [{"before": "P366D"}]}, "reminders.0.before"),
        (
            {"due_at": "0001-03-01T00:00:00Z", "reminders": [{"before": "PT1M"}, {"before": "P60D"}]},
            "reminders.1.before",
        ),
    ],
)
def test_times_outside_years_1_to_9999_in_utc_are_422_naming_the_field(api, token, runtime, body, field):
    resp = api.post("/api/tasks", json={"title": "x", **body}, headers={"Authorization": token()})
    assert resp.status_code == 422 and resp.mimetype == PROBLEM
    assert _fields(resp) == [field]
    assert _count(runtime, "tasks") == 0


def test_moving_due_at_so_far_back_that_a_reminder_leaves_year_1_is_422_naming_due_at(api, token, runtime):
    body = {"title": "x", "due_at": "2026-01-01T00:00:00Z", "reminders": [{"before": "P2D"}]}
    task = api.post("/api/tasks", json=body, headers={"Authorization": token()}).get_json()
    resp = api.patch(
        f"/api/tasks/{task['id']}", json={"due_at": "0001-01-03T00:00:00Z"}, headers={"Authorization": token()}
    )
    assert resp.status_code == 422 and _fields(resp) == ["due_at"]
    read = api.get(f"/api/tasks/{task['id']}", headers={"Authorization": token()}).get_json()
    assert (read["due_at"], read["reminders"][0]["remind_at"]) == ("2026-01-01T00:00:00Z", "2025-12-30T00:00:00Z")


@pytest.mark.parametrize("query", ["?due_before=9999-12-31T23:59:00-10:00", "?due_after=0001-01-01T00:00:00%2B02:00"])
def test_query_times_are_checked_the_same_way(api, token, query):
    resp = api.get(f"/api/tasks{query}", headers={"Authorization": token()})
    assert resp.status_code == 422 and _fields(resp) in (["due_before"], ["due_after"])


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


TASK = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("created_at", _cursor(["created_at", "2026-01-01T00:00:00+00:00", 5])),
        ("created_at", _cursor(["created_at", "2026-01-01T00:00:00+00:00", ["x"]])),
        ("created_at", _cursor(["created_at", 5, TASK])),
        ("created_at", _cursor(["created_at", "2026-01-01T00:00:00", TASK])),  # naive
        ("created_at", _cursor(["created_at", {"y": 2026}, TASK])),
        ("due_at", _cursor([["due_at"], "2026-01-01T00:00:00+00:00", TASK])),
        ("priority", _cursor(["priority", True, TASK])),
        ("priority", _cursor(["priority", "1", TASK])),
        ("priority", _cursor(["priority", 10**30, TASK])),
        ("created_at", _cursor({"created_at": 1, "b": 2, "c": 3})),
        ("created_at", _cursor("abc")),
        ("created_at", _cursor(None)),
        ("created_at", base64.urlsafe_b64encode(b"\xff\xfe[").decode()),
        ("created_at", "\u00e9t\u00e9"),
        ("created_at", _cursor([1, "2026-01-01T00:00:00+00:00", TASK])),
    ],
)
def test_cursors_of_the_wrong_shape_or_types_are_422_naming_cursor(api, token, sort, cursor):
    resp = api.get("/api/tasks", query_string={"sort": sort, "cursor": cursor}, headers={"Authorization": token()})
    assert resp.status_code == 422 and resp.mimetype == PROBLEM
    assert _fields(resp) == ["cursor"]


@pytest.mark.parametrize("content", ["a\u0000b", "lone \ud800 surrogate", "\udfff"])
def test_conversation_messages_refuse_nul_and_lone_surrogates(runtime, token, content):
    chat = runtime.apps["conversations"].test_client()
    cid = chat.post("/api/conversations", headers={"Authorization": token()}).get_json()["conversation_id"]
    raw = json.dumps({"role": "user", "content": content})  # ensure_ascii: "\\u0000", "\\ud800" escapes
    resp = _send(chat, "POST", f"/api/conversations/{cid}/messages", raw, token)
    assert resp.status_code == 422 and _fields(resp) == ["content"]
    read = chat.get(f"/api/conversations/{cid}", headers={"Authorization": token()}).get_json()
    assert read["messages"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "\ud83d"), ("description", "x\udc00"), ("tags", ["ok", "\ud800"]), ("title", "a\u0000")],
)
def test_task_text_refuses_lone_surrogates_as_it_refuses_nul(api, token, runtime, field, value):
    raw = json.dumps({"title": "x", field: value})
    resp = _send(api, "POST", "/api/tasks", raw, token)
    assert resp.status_code == 422 and _fields(resp)[0].split(".")[0] == field
    assert _count(runtime, "tasks") == 0


@pytest.mark.parametrize(
    ("sub", "claims"),
    [
        ("a\u0000b", {}),
        ("\ud800", {}),
        ("alice", {"email": "a\u0000@example.com"}),
        ("alice", {"email": "\udfff@x.io"}),
    ],
)
def test_token_claims_that_cannot_be_stored_are_401(api, runtime, sub, claims):
    deps = runtime.deps["todo-api"]
    token = auth.issue(auth.signing_key(deps.secrets), deps.settings, sub, **claims)
    resp = api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and resp.mimetype == PROBLEM
    assert "token claim" in resp.get_json()["detail"]
    assert _count(runtime, "users") == 0


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "posix/Europe/Berlin", "right/UTC"])
def test_zone_files_on_the_host_that_are_not_iana_zones_are_refused(api, token, zone):
    task = api.post("/api/tasks", json={"title": "x", "timezone": zone}, headers={"Authorization": token()})
    assert task.status_code == 422 and _fields(task) == ["timezone"]
    me = api.put("/api/me", json={"timezone": zone}, headers={"Authorization": token()})
    assert me.status_code == 422 and _fields(me) == ["timezone"]
    # In a token the claim is only a default: it is ignored, not an error.
    profile = api.get("/api/me", headers={"Authorization": token("bob", timezone=zone)}).get_json()
    assert profile["timezone"] == "UTC"


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        ("[]", 400, "must be a JSON object"),
        ('"all"', 400, "must be a JSON object"),
        ("null", 400, "must be a JSON object"),
        ("{bad", 400, "malformed JSON"),
        ("[" * 3000, 400, "nests deeper than 64"),
        ('{"batch": 0}', 422, "batch"),
        ('{"batch": "many"}', 422, "batch"),
        ('{"nonsense": 1}', 422, "nonsense"),
        ('{"max_batches": ' + "9" * 30 + "}", 400, "30 digits"),
    ],
)
def test_invalid_cron_run_options_are_refused_not_replaced_by_defaults(runtime, raw, status, words):
    client = runtime.apps["recurrence-sweep"].test_client()
    resp = client.post("/run", data=raw, content_type="application/json")
    assert resp.status_code == status and resp.mimetype == PROBLEM
    assert words in resp.get_json()["detail"]


def test_an_empty_cron_run_body_means_the_defaults(runtime):
    client = runtime.apps["recurrence-sweep"].test_client()
    assert client.post("/run", data=b"").status_code == 200
    assert client.post("/run", data=b"  \n", content_type="text/plain").status_code == 200
