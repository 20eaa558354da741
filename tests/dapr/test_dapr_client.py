"""Both sidecar clients through real daprd: the hand-written HTTP port (bindings/sidecar.py) and the Dapr SDK's
DaprClient (bindings/dapr_client.py) give the same answers and raise the same functions/errors.py classes for the
same conditions, whichever of them bindings/sidecar_choice.py's SIDECAR_CALLS puts a call on.

Each expectation is written here from Dapr's documented behaviour (etag mismatch is a conflict, first-write refuses
a live key, scopes refuse a secret), not read from either client.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest

from bindings.dapr_client import SdkConnection, SdkInvoker, SdkPublisher, SdkSecrets, SdkState
from bindings.devstack import procs
from bindings.manifests.port_plan import Pair
from bindings.sidecar import Sidecar, SidecarInvoker, SidecarPublisher, SidecarSecrets, SidecarState
from bindings.triggers import PUBSUB
from functions.errors import Conflict, Invalid, Transient
from tests.dapr.harness import RealDapr, eventually

pytestmark = pytest.mark.dapr
STORE = "postgres-statestore"
SECRETS = "local-secret-store"
CLIENTS = ("port", "sdk")
EVENT = json.loads((Path(__file__).resolve().parents[1] / "events" / "audit-recorded.json").read_text())


def _sdk(real_dapr: RealDapr, pair: Pair) -> SdkConnection:
    return SdkConnection("127.0.0.1", pair.grpc_port, pair.http_port, real_dapr.tokens["DAPR_API_TOKEN"], timeout=15)


def _ports(real_dapr: RealDapr, client: str) -> dict[str, Any]:
    pair = real_dapr.pairs("todo-api")[0]
    if client == "port":
        sidecar = real_dapr.sidecar_of(pair)
        return {
            "state": SidecarState(sidecar, STORE),
            "secrets": SidecarSecrets(sidecar, SECRETS),
            "publisher": SidecarPublisher(sidecar, PUBSUB),
            "invoker": SidecarInvoker(sidecar),
        }
    conn = _sdk(real_dapr, pair)
    return {
        "state": SdkState(conn, STORE),
        "secrets": SdkSecrets(conn, SECRETS),
        "publisher": SdkPublisher(conn, PUBSUB),
        "invoker": SdkInvoker(conn),
    }


@pytest.mark.parametrize("client", CLIENTS)
def test_state_etags_first_write_and_their_errors(real_dapr: RealDapr, client: str):
    state = _ports(real_dapr, client)["state"]
    key = f"client-{client}-{uuid.uuid4().hex[:8]}"
    assert state.get(key) is None

    state.save(key, {"n": 1}, first_write=True)
    first = state.get(key)
    assert first is not None and first.value == {"n": 1} and first.etag
    with pytest.raises(Conflict) as refused:
        state.save(key, {"n": 99}, first_write=True)  # a live key: first-write refuses
    assert refused.value.field == "key"
    state.save(key, {"n": 2}, etag=first.etag)
    with pytest.raises(Conflict) as stale:
        state.save(key, {"n": 3}, etag=first.etag)
    assert stale.value.field == "etag"
    with pytest.raises(Invalid):
        state.save(key, {"n": 4}, etag="not-an-etag")  # state.postgresql's etags are numbers
    second = state.get(key)
    assert second is not None and second.value == {"n": 2} and second.etag != first.etag
    with pytest.raises(Conflict):
        state.delete(key, etag=first.etag)
    state.delete(key, etag=second.etag)
    assert state.get(key) is None


@pytest.mark.parametrize("client", CLIENTS)
def test_values_are_stored_alike_so_either_client_reads_the_others(real_dapr: RealDapr, client: str):
    mine, other = _ports(real_dapr, client)["state"], _ports(real_dapr, "sdk" if client == "port" else "port")["state"]
    key = f"shared-{client}-{uuid.uuid4().hex[:8]}"
    value = {"count": 3, "name": "ünïcode", "items": [1, None, True]}
    mine.save(key, value)
    read = other.get(key)
    assert read is not None and read.value == value
    mine.save(key, value, etag=read.etag)  # the other client's etag is good for this one
    stored = real_dapr.rows("SELECT value::text FROM state WHERE key = %s", (f"{STORE}||{key}",))
    assert [json.loads(v) for (v,) in stored] == [value]  # JSON, not base64 bytes


@pytest.mark.parametrize("client", CLIENTS)
def test_state_ttl_and_transactions(real_dapr: RealDapr, client: str):
    state = _ports(real_dapr, client)["state"]
    run = f"tx-{client}-{uuid.uuid4().hex[:8]}"
    keep, drop = f"{run}-keep", f"{run}-drop"
    state.save(drop, "to delete")
    ttl = {"ttlInSeconds": "60"}
    state.transact(
        [
            {"operation": "upsert", "request": {"key": keep, "value": {"v": 1}, "metadata": ttl}},
            {"operation": "delete", "request": {"key": drop}},
        ]
    )
    kept = state.get(keep)
    assert kept is not None and kept.value == {"v": 1} and state.get(drop) is None
    expires = real_dapr.rows("SELECT expiredate IS NOT NULL FROM state WHERE key = %s", (f"{STORE}||{keep}",))
    assert expires == [(True,)]

    state.save(keep, {"v": 2}, etag=kept.etag)
    stale = [{"operation": "upsert", "request": {"key": keep, "value": {"v": 3}, "etag": kept.etag}}]
    with pytest.raises(Transient):  # daprd reports a failed transaction, not which operation conflicted
        state.transact(stale)
    after = state.get(keep)
    assert after is not None and after.value == {"v": 2}  # nothing of the refused transaction was applied

    short = f"{run}-short"
    state.save(short, "short-lived", first_write=True, ttl=1)
    eventually(lambda: state.get(short) is None, timeout_s=15, what="a 1 s TTL expiring")
    state.save(short, "again", first_write=True)  # an expired key is free for a first write again


@pytest.mark.parametrize("client", CLIENTS)
def test_secrets_scopes_and_absence(real_dapr: RealDapr, client: str):
    on_disk = json.loads((real_dapr.stack.data_dir / "secrets.json").read_text())
    secrets = _ports(real_dapr, client)["secrets"]
    assert secrets.get("jwt-secret") == on_disk["jwt-secret"]
    for name in ("sendgrid-secret", "no-such-secret"):  # outside todo-api's scopes: daprd refuses
        with pytest.raises(Transient, match="secret scopes"):
            secrets.get(name)


def test_a_secret_in_scope_but_absent_from_the_store_is_empty_on_both_clients(real_dapr: RealDapr):
    if "sendgrid-secret" in json.loads((real_dapr.stack.data_dir / "secrets.json").read_text()):
        pytest.skip("SENDGRID_API_KEY is set: the store holds sendgrid-secret")
    # send-reminder's scopes allow sendgrid-secret; files for its mail, so that it is ready without one.
    with real_dapr.configured("send-reminder", env={"MAIL_SINK": "files"}) as (pair,):
        sidecar = real_dapr.sidecar_of(pair)
        assert SidecarSecrets(sidecar, SECRETS).get("sendgrid-secret") == {}
        assert SdkSecrets(_sdk(real_dapr, pair), SECRETS).get("sendgrid-secret") == {}


@pytest.mark.parametrize("client", CLIENTS)
def test_publish_keeps_our_cloudevent_and_bulk_reports_no_failure(real_dapr: RealDapr, client: str):
    publisher = _ports(real_dapr, client)["publisher"]
    one = {**EVENT, "id": str(uuid.uuid4())}
    bulk = [{**EVENT, "id": str(uuid.uuid4())} for _ in range(3)]
    assert publisher.publish("audit-logs", [one]) == []
    assert publisher.publish("audit-logs", bulk) == []
    wanted = {e["id"] for e in [one, *bulk]}

    def arrived() -> list[dict[str, Any]]:
        return [m for m in real_dapr.kafka_messages("audit-logs", 500, timeout_s=10) if m.get("id") in wanted]

    on_kafka = eventually(lambda: (found := arrived()) and len(found) >= len(wanted) and found, what="our 4 events")
    for message in on_kafka:
        # Our envelope, kept as sent (application/cloudevents+json): our id, type and source, no second envelope.
        assert message["type"] == EVENT["type"] and message["source"] == EVENT["source"]
        assert message["data"] == EVENT["data"]


@pytest.mark.parametrize("client", CLIENTS)
def test_invoke_answers_alike(real_dapr: RealDapr, client: str):
    invoker = _ports(real_dapr, client)["invoker"]
    answer = invoker.invoke("todo-api", "healthz", verb="GET")
    assert isinstance(answer, dict) and answer.get("status") == "ok", answer
    with pytest.raises(Transient):
        invoker.invoke("no-such-app", "healthz", verb="GET")


def test_an_unreachable_sidecar_is_transient_on_both_clients():
    closed = procs.free_port()
    with pytest.raises(Transient):
        SidecarState(Sidecar(f"http://127.0.0.1:{closed}", None, timeout=1), STORE).get("k")
    with pytest.raises(Transient):
        SdkState(SdkConnection("127.0.0.1", procs.free_port(), closed, None, timeout=1), STORE).get("k")


def test_a_forked_child_makes_its_own_client(real_dapr: RealDapr):
    conn = _sdk(real_dapr, real_dapr.pairs("todo-api")[0])
    state = SdkState(conn, STORE)
    key = f"fork-{uuid.uuid4().hex[:8]}"
    state.save(key, "parent")
    parent_client = conn.client()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a gunicorn worker would, should the app have been made before the fork
        code = 1
        signal.alarm(30)  # a child stuck in gRPC ends, and with it the parent's read
        try:
            os.close(read)
            child_client = conn.client()
            state.save(key, "child")
            os.write(write, json.dumps({"same": child_client is parent_client, "pid": os.getpid()}).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            report = json.loads(pipe.read() or "{}")
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and report == {"same": False, "pid": pid}
    assert conn.client() is parent_client  # the parent keeps its own
    after = state.get(key)
    assert after is not None and after.value == "child"


def test_gunicorn_workers_make_their_client_after_the_fork(real_dapr: RealDapr):
    # todo-api beside its own daprd with every call on the SDK: its worker reads the database secret through it
    # at start-up, so a client is made there; the log line says in which process, and whose child it is.
    with real_dapr.extra_pair("todo-api", env={"SIDECAR_CLIENT": "sdk"}) as pair:
        master = int((real_dapr.stack.pid_dir / f"{pair.name}.app.pid").read_text().split()[0])
        connected = [line for line in real_dapr.app_log(pair) if line.get("message") == "dapr sdk client connected"]
        assert connected, "no SDK client made in the worker"
        assert all(line["pid"] != master and line["ppid"] == master for line in connected), (master, connected)
