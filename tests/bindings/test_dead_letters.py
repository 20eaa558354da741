"""dead-letters through the embedded broker: recorded with topic, reason and the original event; replayed
with the same id; and the operator's CLI."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bindings import cli
from bindings.embedded.broker import Deliverer
from bindings.embedded.resiliency import RetryPolicy

EVENT = json.loads((Path(__file__).resolve().parents[1] / "events" / "audit-recorded.json").read_text())
CE = "application/cloudevents+json"


def _rows(runtime, sql: str, params=()) -> list[dict]:
    with runtime.db.transaction() as tx:
        return tx.all(sql, params)


@pytest.fixture
def drain(runtime):
    deliverer = Deliverer(runtime.broker, runtime.apps, RetryPolicy(max_retries=2, delay=0))

    def run(rounds: int = 20) -> None:
        for _ in range(rounds):
            if not deliverer.deliver_due():
                return

    return run


def _letters(runtime) -> list[dict]:
    return _rows(runtime, "SELECT * FROM dead_letters ORDER BY received_at, id")


def test_a_dropped_event_is_recorded_with_its_topic_reason_and_original(runtime, drain):
    poison = {**EVENT, "id": "poison-1", "data": {**EVENT["data"], "actor_type": "robot"}}
    runtime.broker.publish("audit-logs", [poison])
    drain()
    [letter] = _letters(runtime)
    assert (letter["topic"], letter["original_topic"], letter["event_id"]) == (
        "audit-logs-dlq",
        "audit-logs",
        "poison-1",
    )
    assert letter["event"] == poison  # verbatim, without the broker's reason attribute
    assert letter["reason"].startswith("audit-writer: subscriber answered DROP: invalid payload: actor_type")
    assert (letter["times"], letter["replayed_at"]) == (1, None)


def test_a_redelivered_dead_letter_is_recorded_once(runtime):
    client = runtime.apps["dead-letters"].test_client()
    for _ in range(3):
        resp = client.post("/events/task-events-dlq", data=json.dumps(EVENT), content_type=CE)
        assert resp.get_json() == {"status": "SUCCESS"}
    [letter] = _letters(runtime)
    assert (letter["times"], letter["reason"]) == (1, None)  # daprd says nothing about why


def test_every_dead_letter_topic_has_a_route(runtime):
    client = runtime.apps["dead-letters"].test_client()
    subs = client.get("/dapr/subscribe").get_json()
    for sub in subs:
        resp = client.post(sub["routes"]["default"], data=json.dumps({**EVENT, "id": sub["topic"]}), content_type=CE)
        assert resp.get_json()["status"] == "SUCCESS"
    assert {r["topic"] for r in _letters(runtime)} == {s["topic"] for s in subs}


def test_a_message_that_is_not_a_cloudevent_is_dropped_with_its_reason(runtime):
    client = runtime.apps["dead-letters"].test_client()
    resp = client.post("/events/audit-logs-dlq", data=b'{"hello": 1}', content_type=CE)
    assert resp.get_json()["status"] == "DROP" and "not a CloudEvent" in resp.get_json()["reason"]


def test_replay_sends_the_same_event_back_and_it_succeeds_once_the_fault_is_gone(runtime, drain):
    with runtime.db.transaction() as tx:
        tx.execute("ALTER TABLE audit_log RENAME TO audit_log_away")
    runtime.broker.publish("audit-logs", [EVENT])
    drain()  # three attempts, then the dead-letter topic
    with runtime.db.transaction() as tx:
        tx.execute("ALTER TABLE audit_log_away RENAME TO audit_log")
    [letter] = _letters(runtime)
    assert "RETRY" in letter["reason"]
    dl = runtime.apps["dead-letters"].test_client()
    replayed = dl.post(f"/dead-letters/{letter['id']}/replay")
    assert replayed.status_code == 200 and replayed.get_json()["replays"] == 1
    drain()
    assert _rows(runtime, "SELECT id::text AS id FROM audit_log") == [{"id": EVENT["id"]}]
    sent = _rows(runtime, "SELECT event FROM pubsub_messages WHERE topic = 'audit-logs' ORDER BY id")
    assert [m["event"]["id"] for m in sent] == [EVENT["id"], EVENT["id"]]
    assert "topic" not in sent[1]["event"] and "deadletterreason" not in sent[1]["event"]
    [after] = _letters(runtime)
    assert after["replayed_at"] is not None and after["times"] == 1


def test_a_replay_that_fails_again_reopens_its_record(runtime, drain):
    poison = {**EVENT, "id": "poison-2", "data": {"actor_type": "robot"}}
    runtime.broker.publish("audit-logs", [poison])
    drain()
    [letter] = _letters(runtime)
    runtime.apps["dead-letters"].test_client().post(f"/dead-letters/{letter['id']}/replay")
    drain()
    [again] = _letters(runtime)
    assert (again["id"], again["times"], again["replays"], again["replayed_at"]) == (letter["id"], 2, 1, None)


def test_replay_of_an_unknown_id_is_404_and_a_malformed_one_422(runtime):
    dl = runtime.apps["dead-letters"].test_client()
    assert dl.post(f"/dead-letters/{uuid.uuid4()}/replay").status_code == 404
    resp = dl.post("/dead-letters/nope/replay")
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "id"


def test_cli_list_show_and_replay(runtime, drain, capsys, tmp_path):
    poison = {**EVENT, "id": "poison-3", "data": {"actor_type": "robot"}}
    runtime.broker.publish("audit-logs", [poison])
    drain()
    data_dir = ["--data-dir", str(tmp_path / "data")]
    assert cli.main(["dead-letters", "list", *data_dir]) == 0
    line = capsys.readouterr().out.strip()
    letter_id = line.split()[0]
    assert "audit-logs-dlq" in line and "event=poison-3" in line and "subscriber answered DROP" in line
    assert cli.main(["dead-letters", "show", letter_id, *data_dir]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["event"] == poison
    assert cli.main(["dead-letters", "replay", letter_id, *data_dir]) == 0
    assert capsys.readouterr().out.strip() == f"replayed {letter_id}: event poison-3 sent back to audit-logs"
    assert cli.main(["dead-letters", "list", *data_dir]) == 0
    assert capsys.readouterr().out.strip() == "no dead letters"
    assert cli.main(["dead-letters", "list", "--all", *data_dir]) == 0
    assert "replayed x1" in capsys.readouterr().out
    assert cli.main(["dead-letters", "replay", str(uuid.uuid4()), *data_dir]) == 1
    assert "not found" in capsys.readouterr().err
