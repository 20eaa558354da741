"""A cron function's ad hoc `POST /run` options, as schemathesis found them wanting (tests/contracts).

JSON `true` or `"5"` is no number of batches: pydantic's lax mode took them as 1 and 5, so a typo ran a
different job than asked. And a body over the delivery limit is a 413, not a 500.
"""

from __future__ import annotations

import pytest

CRON_FUNCTIONS = ["outbox-relay", "reminder-check", "recurrence-sweep", "daily-cleanup"]


@pytest.mark.parametrize("name", CRON_FUNCTIONS)
@pytest.mark.parametrize("value", [True, "5", 2.5])
def test_a_batch_count_that_is_no_integer_is_refused_naming_it(runtime, name, value):
    resp = runtime.apps[name].test_client().post("/run", json={"max_batches": value})
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert [e["field"] for e in resp.get_json()["errors"]] == ["max_batches"]


@pytest.mark.parametrize("name", CRON_FUNCTIONS)
def test_an_integer_batch_count_runs(runtime, name):
    resp = runtime.apps[name].test_client().post("/run", json={"max_batches": 1})
    assert resp.status_code == 200, resp.get_data(as_text=True)


def test_a_run_body_over_the_delivery_limit_is_a_413(runtime):
    limit = runtime.settings.max_delivery_bytes
    body = b'{"max_batches": 1, "pad": "' + b"x" * limit + b'"}'
    resp = runtime.apps["daily-cleanup"].test_client().post("/run", data=body, content_type="application/json")
    assert resp.status_code == 413, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
