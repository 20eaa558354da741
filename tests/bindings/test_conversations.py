"""The `conversations` function over HTTP: create, append, read; races, caps, TTL and isolation."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from werkzeug.test import Client

from bindings.app import create_app
from functions import conversations


@pytest.fixture
def chat(runtime):
    return runtime.apps["conversations"].test_client()


def _start(chat, token, user="alice"):
    resp = chat.post("/api/conversations", headers={"Authorization": token(user)})
    assert resp.status_code == 201
    return resp.get_json()["conversation_id"]


def _say(chat, token, cid, content, role="user", user="alice"):
    return chat.post(
        f"/api/conversations/{cid}/messages",
        json={"role": role, "content": content},
        headers={"Authorization": token(user)},
    )


def test_create_append_and_read_in_order(chat, token):
    cid = _start(chat, token)
    for role, content in (("system", "be brief"), ("user", "hello"), ("assistant", "hi"), ("tool", "{}")):
        resp = _say(chat, token, cid, content, role)
        assert resp.status_code == 201 and resp.get_json()["content"] == content
    got = chat.get(f"/api/conversations/{cid}", headers={"Authorization": token()}).get_json()
    assert got["conversation_id"] == cid and got["trimmed"] == 0
    assert [(m["seq"], m["role"], m["content"]) for m in got["messages"]] == [
        (1, "system", "be brief"),
        (2, "user", "hello"),
        (3, "assistant", "hi"),
        (4, "tool", "{}"),
    ]


def test_the_embedded_runtime_routes_conversations_like_an_ingress(runtime, token):
    client = Client(runtime.wsgi())
    resp = client.post("/api/conversations", headers={"Authorization": token()})
    assert resp.status_code == 201
    cid = resp.get_json()["conversation_id"]
    via_dapr_path = client.get(
        f"/v1.0/invoke/conversations/method/api/conversations/{cid}", headers={"Authorization": token()}
    )
    assert via_dapr_path.status_code == 200 and via_dapr_path.get_json()["messages"] == []
    assert client.get("/api/tasks", headers={"Authorization": token()}).status_code == 200  # still todo-api


def test_another_users_conversation_is_not_found(chat, token):
    cid = _start(chat, token, "alice")
    assert chat.get(f"/api/conversations/{cid}", headers={"Authorization": token("bob")}).status_code == 404
    assert _say(chat, token, cid, "let me in", user="bob").status_code == 404
    assert _say(chat, token, cid, "mine", user="alice").status_code == 201


def test_bad_input_names_the_field(chat, token):
    cid = _start(chat, token)
    cases = [
        ({"role": "robot", "content": "x"}, "role"),
        ({"role": "user", "content": ""}, "content"),
        ({"role": "user"}, "content"),
        ({"role": "user", "content": "x" * 8001}, "content"),
        ({"role": "user", "content": "x", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        resp = chat.post(f"/api/conversations/{cid}/messages", json=body, headers={"Authorization": token()})
        assert resp.status_code == 422, body
        assert field in {e["field"] for e in resp.get_json()["errors"]}, resp.get_json()
    bad_id = chat.get("/api/conversations/not-a-uuid", headers={"Authorization": token()})
    assert bad_id.status_code == 422 and bad_id.get_json()["errors"][0]["field"] == "id"
    assert chat.post("/api/conversations").status_code == 401
    got = chat.get(f"/api/conversations/{cid}", headers={"Authorization": token()}).get_json()
    assert got["messages"] == []  # nothing half-written


def test_the_oldest_messages_are_trimmed_at_the_cap(runtime, token):
    deps = runtime.deps["conversations"]
    small = dataclasses.replace(deps, settings=deps.settings.model_copy(update={"conversation_max_messages": 3}))
    chat = create_app("conversations", small, app_token="").test_client()
    cid = _start(chat, token)
    for n in range(1, 6):
        assert _say(chat, token, cid, f"m{n}").status_code == 201
    got = chat.get(f"/api/conversations/{cid}", headers={"Authorization": token()}).get_json()
    assert [m["content"] for m in got["messages"]] == ["m3", "m4", "m5"] and got["trimmed"] == 2
    assert [m["seq"] for m in got["messages"]] == [3, 4, 5]


def _expiry(runtime, user, cid):
    with runtime.db.transaction() as tx:
        return tx.one(
            "SELECT expiredate - now() AS left FROM state WHERE key = %s",
            ("postgres-statestore||" + conversations.key(user, cid),),
        )["left"]


def test_ttl_is_seven_days_and_every_write_renews_it(runtime, chat, token):
    from uuid import UUID

    cid = _start(chat, token)
    assert 6.99 < _expiry(runtime, "alice", UUID(cid)).total_seconds() / 86400 <= 7
    with runtime.db.transaction() as tx:
        tx.execute("UPDATE state SET expiredate = now() + interval '1 hour' WHERE key LIKE '%%conversation:%%'")
    _say(chat, token, cid, "still here")
    assert _expiry(runtime, "alice", UUID(cid)).total_seconds() / 86400 > 6.99
    with runtime.db.transaction() as tx:
        tx.execute("UPDATE state SET expiredate = now() - interval '1 second' WHERE key LIKE '%%conversation:%%'")
    assert chat.get(f"/api/conversations/{cid}", headers={"Authorization": token()}).status_code == 404


def test_racing_appends_lose_no_message(runtime, token):
    """Bounded: 4 writers x 8 appends on one conversation, each through its own client."""
    chat = runtime.apps["conversations"].test_client()
    cid = _start(chat, token)
    barrier, failures = threading.Barrier(4), []

    def writer(w):
        client = runtime.apps["conversations"].test_client()
        barrier.wait(timeout=10)
        for n in range(8):
            resp = _say(client, token, cid, f"w{w}-{n}")
            if resp.status_code != 201:
                failures.append(resp.get_json())

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    messages = chat.get(f"/api/conversations/{cid}", headers={"Authorization": token()}).get_json()["messages"]
    assert sorted(m["content"] for m in messages) == sorted(f"w{w}-{n}" for w in range(4) for n in range(8))
    assert [m["seq"] for m in messages] == list(range(1, 33))
    for w in range(4):  # each writer's messages in the order it sent them
        assert [m["content"] for m in messages if m["content"].startswith(f"w{w}-")] == [f"w{w}-{n}" for n in range(8)]
