"""Bad input at the HTTP edge: each answer is problem+json naming the field or the reason, and nothing is stored."""

from __future__ import annotations

import jwt
import pytest

PROBLEM = "application/problem+json"


def _post(api, token, body, **kw):
    return api.post("/api/tasks", json=body, headers={"Authorization": token()}, **kw)


def _count_tasks(runtime) -> int:
    with runtime.db.transaction() as tx:
        return tx.one("SELECT count(*) AS n FROM tasks")["n"]


def _fields(resp) -> list[str]:
    return [e["field"] for e in resp.get_json().get("errors", [])]


def test_malformed_json_is_400(api, token, runtime):
    resp = api.post(
        "/api/tasks", data=b'{"title": ', content_type="application/json", headers={"Authorization": token()}
    )
    assert resp.status_code == 400 and resp.mimetype == PROBLEM
    assert "malformed JSON" in resp.get_json()["detail"]
    assert _count_tasks(runtime) == 0


def test_body_must_be_an_object(api, token):
    resp = api.post("/api/tasks", json=["title"], headers={"Authorization": token()})
    assert resp.status_code == 400 and "JSON object" in resp.get_json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"title": "x", "due_at": "2026-12-01T09:00:00"}, "due_at", "timezone"),
        ({"title": "x", "due_at": 1764576000}, "due_at", "RFC 3339"),
        ({"title": "x", "timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
        ({"title": ""}, "title", "at least 1"),
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"title": "x", "priority": "asap"}, "priority", "low"),
        ({"title": "x", "tags": ["a"] * 21}, "tags", "at most 20"),
        ({"title": "x", "tags": ["y" * 51]}, "tags.0", "at most 50"),
        ({"title": "x", "unknown": 1}, "unknown", "Extra inputs"),
        ({"title": "x", "reminders": [{"before": "PT15M"}]}, "body", "needs due_at"),
        (
            {
                "title": "x",
                "reminders": [{"before": "PT15M", "at": "2026-01-01T00:00:00Z"}],
                "due_at": "2026-12-01T09:00:00Z",
            },
            "reminders.0",
            "exactly one",
        ),
    ],
)
def test_invalid_fields_are_422_naming_the_field(api, token, runtime, body, field, words):
    resp = _post(api, token, body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == PROBLEM
    assert field in _fields(resp)
    assert words in resp.get_json()["detail"]
    assert _count_tasks(runtime) == 0


@pytest.mark.parametrize("rule", ["FREQ=MINUTELY", "FREQ=FORTNIGHTLY", "BYDAY=MO", "FREQ=WEEKLY;BYDAY=XX", "nonsense"])
def test_invalid_recurrence_is_422(api, token, runtime, rule):
    resp = _post(api, token, {"title": "x", "due_at": "2026-12-01T09:00:00+01:00", "recurrence": rule})
    assert resp.status_code == 422, resp.get_json()
    assert "recurrence" in _fields(resp)
    assert _count_tasks(runtime) == 0


def test_oversize_body_is_413(api, token, runtime):
    resp = _post(api, token, {"title": "x", "description": "d" * (70 * 1024)})
    assert resp.status_code == 413 and resp.mimetype == PROBLEM
    assert _count_tasks(runtime) == 0


def test_wrong_content_type_is_415(api, token):
    resp = api.post(
        "/api/tasks",
        data="title=x",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": token()},
    )
    assert resp.status_code == 415 and resp.mimetype == PROBLEM


@pytest.mark.parametrize(
    "header",
    [None, "Basic YWxpY2U6eA==", "Bearer", "Bearer not.a.jwt"],
)
def test_missing_or_malformed_token_is_401(api, header):
    headers = {"Authorization": header} if header else {}
    resp = api.get("/api/tasks", headers=headers)
    assert resp.status_code == 401 and resp.mimetype == PROBLEM
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_forged_and_expired_tokens_are_401(api, runtime):
    settings = runtime.deps["todo-api"].settings
    claims = {
        "sub": "alice",
        "iat": 1_700_000_000,
        "exp": 4_000_000_000,
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
    }
    forged = jwt.encode(claims, "not-the-secret-not-the-secret-not-the-secret", algorithm="HS256")
    resp = api.get("/api/tasks", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401 and "Signature" in resp.get_json()["detail"]
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert api.get("/api/tasks", headers={"Authorization": f"Bearer {unsigned}"}).status_code == 401


def test_expired_token_is_401(api, runtime):
    from datetime import timedelta

    from bindings import auth

    deps = runtime.deps["todo-api"]
    key = auth.signing_key(deps.secrets)
    old = auth.issue(key, deps.settings, "alice", ttl=timedelta(seconds=-120))
    resp = api.get("/api/tasks", headers={"Authorization": f"Bearer {old}"})
    assert resp.status_code == 401 and "expired" in resp.get_json()["detail"]


def test_a_reserved_subject_cannot_read_the_system_audit_trail(api, token):
    resp = api.get("/api/audit", headers={"Authorization": token("@system")})
    assert resp.status_code == 401 and "'@'" in resp.get_json()["detail"]


def test_another_users_task_is_404_everywhere(api, token):
    task = _post(api, token, {"title": "alice's"}).get_json()
    bob = {"Authorization": token("bob")}
    url = f"/api/tasks/{task['id']}"
    assert api.get(url, headers=bob).status_code == 404
    assert api.patch(url, json={"title": "mine"}, headers=bob).status_code == 404
    assert api.post(url + "/complete", headers=bob).status_code == 404
    assert api.delete(url, headers=bob).status_code == 404
    assert api.get("/api/tasks", headers=bob).get_json()["items"] == []
    assert api.get(url, headers={"Authorization": token()}).get_json()["title"] == "alice's"


def test_malformed_id_and_query_are_422(api, token):
    auth_header = {"Authorization": token()}
    assert api.get("/api/tasks/not-a-uuid", headers=auth_header).status_code == 422
    resp = api.get("/api/tasks?limit=500", headers=auth_header)
    assert resp.status_code == 422 and "limit" in _fields(resp)
    resp = api.get("/api/tasks?sort=title", headers=auth_header)
    assert resp.status_code == 422 and "sort" in _fields(resp)
    resp = api.get("/api/tasks?cursor=garbage", headers=auth_header)
    assert resp.status_code == 422 and "cursor" in _fields(resp)


def test_path_id_in_body_is_refused(api, token):
    task = _post(api, token, {"title": "x"}).get_json()
    resp = api.patch(
        f"/api/tasks/{task['id']}", json={"id": task["id"], "title": "y"}, headers={"Authorization": token()}
    )
    assert resp.status_code == 400 and "id" in resp.get_json()["detail"]


def test_unknown_route_and_method_are_problems(api, token):
    assert api.get("/api/nothing").mimetype == PROBLEM
    resp = api.put("/api/tasks", json={}, headers={"Authorization": token()})
    assert resp.status_code == 405 and resp.mimetype == PROBLEM
