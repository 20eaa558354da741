"""GET /api/tasks/{id}/occurrences over the app protocol: offsets, COUNT/UNTIL, one-offs, bad input, isolation."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def _create(api, token, body, user="alice"):
    resp = api.post("/api/tasks", json={"title": "x", **body}, headers={"Authorization": token(user)})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _occurrences(api, token, task_id, query="", user="alice"):
    return api.get(f"/api/tasks/{task_id}/occurrences{query}", headers={"Authorization": token(user)})


def test_occurrences_carry_the_zone_offset_across_dst(api, token):
    task = _create(
        api, token, {"due_at": "2026-10-23T09:00:00+02:00", "timezone": "Europe/Berlin", "recurrence": "daily"}
    )
    resp = _occurrences(api, token, task["id"], "?count=4")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "series_id": task["series_id"],
        "timezone": "Europe/Berlin",
        "occurrences": [
            "2026-10-23T09:00:00+02:00",
            "2026-10-24T09:00:00+02:00",
            "2026-10-25T09:00:00+01:00",
            "2026-10-26T09:00:00+01:00",
        ],
        "truncated": False,
    }


def test_count_in_the_rule_ends_the_list(api, token):
    task = _create(
        api,
        token,
        {"due_at": "1997-09-02T09:00:00-04:00", "timezone": "America/New_York", "recurrence": "FREQ=DAILY;COUNT=3"},
    )
    found = _occurrences(api, token, task["id"], "?count=1000").get_json()["occurrences"]
    assert found == ["1997-09-02T09:00:00-04:00", "1997-09-03T09:00:00-04:00", "1997-09-04T09:00:00-04:00"]


def test_monthly_on_the_31st_through_the_api(api, token):
    task = _create(
        api, token, {"due_at": "2026-01-31T09:00:00+01:00", "timezone": "Europe/Berlin", "recurrence": "monthly"}
    )
    found = _occurrences(api, token, task["id"], "?count=4").get_json()["occurrences"]
    assert [d[:10] for d in found] == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]


def test_default_count_is_ten(api, token):
    task = _create(api, token, {"due_at": "2026-01-05T09:00:00Z", "recurrence": "weekly"})
    assert len(_occurrences(api, token, task["id"]).get_json()["occurrences"]) == 10


def test_a_one_off_task_is_a_series_of_one_and_an_undated_one_has_none(api, token):
    dated = _create(api, token, {"due_at": "2026-01-05T08:00:00Z", "timezone": "Europe/Berlin"})
    undated = _create(api, token, {})
    assert _occurrences(api, token, dated["id"], "?count=5").get_json() == {
        "series_id": None,
        "timezone": "Europe/Berlin",
        "occurrences": ["2026-01-05T09:00:00+01:00"],
        "truncated": False,
    }
    assert _occurrences(api, token, undated["id"]).get_json()["occurrences"] == []


@pytest.mark.parametrize("query", ["?count=0", "?count=1001", "?count=ten", "?count=1&count=2"])
def test_a_bad_count_is_refused_naming_it(api, token, query):
    task = _create(api, token, {"due_at": "2026-01-05T09:00:00Z", "recurrence": "daily"})
    resp = _occurrences(api, token, task["id"], query)
    assert resp.status_code in (400, 422) and resp.mimetype == PROBLEM
    assert "count" in resp.get_json()["detail"]


def test_another_users_task_is_not_found(api, token):
    task = _create(api, token, {"due_at": "2026-01-05T09:00:00Z", "recurrence": "daily"})
    assert _occurrences(api, token, task["id"], user="bob").status_code == 404


@pytest.mark.parametrize("rule", ["FREQ=HOURLY", "FREQ=MINUTELY;INTERVAL=30", "FREQ=SECONDLY"])
def test_hourly_or_finer_is_refused_naming_recurrence(api, token, rule):
    resp = api.post(
        "/api/tasks",
        json={"title": "x", "due_at": "2026-01-05T09:00:00Z", "recurrence": rule},
        headers={"Authorization": token()},
    )
    assert resp.status_code == 422 and resp.mimetype == PROBLEM
    assert [e["field"] for e in resp.get_json()["errors"]] == ["recurrence"]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5",
        "FREQ=WEEKLY;INTERVAL=2;BYMONTH=4;BYDAY=MO;BYSETPOS=3",
        "FREQ=MONTHLY;BYMONTH=9;BYMONTHDAY=31",
        "FREQ=DAILY;COUNT=9223372036854775808",
        "FREQ=DAILY;INTERVAL=100000",
        "FREQ=YEARLY;BYEASTER=0",
        "FREQ=WEEKLY;BYMONTHDAY=31",
    ],
)
def test_a_rule_that_never_fires_or_is_out_of_bounds_is_refused_naming_recurrence(api, token, rule):
    body = {"title": "x", "due_at": "2026-03-02T09:00:00Z", "recurrence": rule}
    created = api.post("/api/tasks", json=body, headers={"Authorization": token()})
    assert created.status_code == 422 and created.mimetype == PROBLEM
    assert [e["field"] for e in created.get_json()["errors"]] == ["recurrence"]
    task = _create(api, token, {"due_at": "2026-03-02T09:00:00Z"})
    patched = api.patch(f"/api/tasks/{task['id']}", json={"recurrence": rule}, headers={"Authorization": token()})
    assert patched.status_code == 422 and [e["field"] for e in patched.get_json()["errors"]] == ["recurrence"]


def test_a_sparse_rule_lists_a_thousand_instances(api, token):
    task = _create(api, token, {"due_at": "2028-02-29T09:00:00Z", "recurrence": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29"})
    body = _occurrences(api, token, task["id"], "?count=1000").get_json()
    assert (len(body["occurrences"]), body["truncated"]) == (1000, False)
    assert all(o[4:10] == "-02-29" for o in body["occurrences"])


def test_a_stored_rule_that_can_no_longer_be_evaluated_answers_409_naming_recurrence(api, token, runtime):
    task = _create(api, token, {"due_at": "2026-03-02T09:00:00Z", "recurrence": "daily"})
    with runtime.db.transaction() as tx:  # as stored before the rules were bounded
        tx.execute(
            "UPDATE series SET rrule = 'FREQ=DAILY;COUNT=9223372036854775808' WHERE id = %s", (task["series_id"],)
        )
    resp = _occurrences(api, token, task["id"])
    assert resp.status_code == 409 and resp.mimetype == PROBLEM
    assert [e["field"] for e in resp.get_json()["errors"]] == ["recurrence"]
