"""The embedded state store keeps Dapr state.postgresql v1's semantics, on the real table."""

from __future__ import annotations

import threading

import pytest

from bindings.embedded.state import TableState, key_prefix
from functions.errors import Conflict, Invalid


@pytest.fixture
def state(runtime):
    return runtime.deps["todo-api"].state


def _row(runtime, key):
    with runtime.db.transaction() as tx:
        return tx.one("SELECT key, value, expiredate, xmin::text AS xmin FROM state WHERE key = %s", (key,))


def _expire(runtime, key):
    with runtime.db.transaction() as tx:
        tx.execute("UPDATE state SET expiredate = now() - interval '1 second' WHERE key = %s", (key,))


def test_keys_are_prefixed_as_the_component_says_and_etag_is_xmin(runtime, state):
    state.save("k", {"a": 1})
    row = _row(runtime, "postgres-statestore||k")  # keyPrefix: name, shared by every function
    item = state.get("k")
    assert row["value"] == {"a": 1} and item.value == {"a": 1} and item.etag == row["xmin"]
    assert runtime.deps["todo-api"].state.get("k") == runtime.deps["audit-writer"].state.get("k")


def test_key_prefix_strategies_follow_daprd():
    assert key_prefix(None, "app", "store") == "app||"
    assert key_prefix("AppID", "app", "store") == "app||"
    assert key_prefix("name", "app", "store") == "store||"
    assert key_prefix("none", "app", "store") == ""
    assert key_prefix("Shared", "app", "store") == "shared||"


def test_etag_writes_compare_and_swap(state):
    state.save("k", 1)
    first = state.get("k")
    state.save("k", 2, etag=first.etag)
    second = state.get("k")
    assert second.value == 2 and second.etag != first.etag
    with pytest.raises(Conflict):
        state.save("k", 3, etag=first.etag)
    with pytest.raises(Conflict):
        state.delete("k", etag=first.etag)
    with pytest.raises(Invalid, match="etag"):
        state.save("k", 3, etag="not-a-number")
    state.delete("k", etag=second.etag)
    assert state.get("k") is None
    state.delete("k")  # deleting what is not there is fine without an etag


def test_first_write_creates_once_and_revives_only_an_expired_row(runtime, state):
    state.save("fw", "one", first_write=True)
    with pytest.raises(Conflict, match="already exists"):
        state.save("fw", "two", first_write=True)
    _expire(runtime, "postgres-statestore||fw")
    assert state.get("fw") is None
    state.save("fw", "three", first_write=True)
    assert state.get("fw").value == "three"


def test_racing_first_writes_let_exactly_one_win(state):
    wins, barrier = [], threading.Barrier(8)

    def race(n):
        barrier.wait(timeout=10)
        try:
            state.save("race", n, first_write=True)
            wins.append(n)
        except Conflict:
            pass

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(wins) == 1 and state.get("race").value == wins[0]


def test_ttl_expires_and_minus_one_or_zero_mean_never(runtime, state):
    state.save("t", 1, ttl=60)
    assert _row(runtime, "postgres-statestore||t")["expiredate"] is not None
    _expire(runtime, "postgres-statestore||t")
    assert state.get("t") is None
    with pytest.raises(Conflict):  # an etag write never touches an expired row
        state.save("t", 2, etag=_row(runtime, "postgres-statestore||t")["xmin"])
    for ttl in (-1, 0):
        state.save(f"n{ttl}", 1, ttl=ttl)
        assert _row(runtime, f"postgres-statestore||n{ttl}")["expiredate"] is None
    with pytest.raises(Invalid, match="ttlInSeconds"):
        state.save("bad", 1, ttl=-2)


def test_keys_with_daprs_separator_are_refused(state):
    with pytest.raises(Invalid, match="must not contain"):
        state.save("a||b", 1)
    with pytest.raises(Invalid, match="empty"):
        state.get("")


def test_a_transaction_is_all_or_nothing(state):
    state.save("exists", 0)
    with pytest.raises(Conflict):
        state.transact(
            [
                {"operation": "upsert", "request": {"key": "tx-a", "value": 1}},
                {
                    "operation": "upsert",
                    "request": {"key": "exists", "value": 2, "options": {"concurrency": "first-write"}},
                },
            ]
        )
    assert state.get("tx-a") is None and state.get("exists").value == 0
    state.transact(
        [
            {"operation": "upsert", "request": {"key": "tx-a", "value": 1, "metadata": {"ttlInSeconds": "60"}}},
            {"operation": "delete", "request": {"key": "exists"}},
        ]
    )
    assert state.get("tx-a").value == 1 and state.get("exists") is None


def test_state_writes_do_not_join_the_callers_database_transaction(runtime, state):
    with pytest.raises(RuntimeError), runtime.db.transaction():
        state.save("independent", 1)
        raise RuntimeError("the domain change rolls back")
    assert state.get("independent").value == 1  # as with daprd: a separate store, not our transaction


def test_garbage_collection_removes_only_expired_rows(runtime, state):
    state.save("old", 1, ttl=60)
    state.save("live", 1, ttl=60)
    state.save("forever", 1)
    _expire(runtime, "postgres-statestore||old")
    assert TableState(runtime.db, "").cleanup_expired() == 1
    assert state.get("live") and state.get("forever")


def test_the_table_is_at_daprs_migration_level(runtime):
    with runtime.db.transaction() as tx:
        level = tx.one("SELECT value FROM dapr_metadata WHERE key = 'migrations'")
        identity = tx.one(
            "SELECT is_identity FROM information_schema.columns WHERE table_name = 'state' AND column_name = 'row_id'"
        )
    assert level["value"] == "3" and identity["is_identity"] == "YES"


def test_file_secrets_are_cached_briefly_and_reread(tmp_path):
    import json

    from bindings.embedded.secrets import FileSecrets
    from functions.errors import Transient

    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"jwt-secret": {"signing-key": "one"}}))
    cached, fresh = FileSecrets(path, ttl=3600), FileSecrets(path, ttl=0)
    assert cached.get("jwt-secret") == fresh.get("jwt-secret") == {"signing-key": "one"}
    path.write_text(json.dumps({"jwt-secret": {"signing-key": "two"}}))
    assert cached.get("jwt-secret") == {"signing-key": "one"} and fresh.get("jwt-secret") == {"signing-key": "two"}
    path.write_text('{"jwt-secret": {"signing-key": "half-writ')
    with pytest.raises(Transient) as err:
        fresh.get("jwt-secret")
    assert "half-writ" not in str(err.value) and err.value.__cause__ is None  # no content in the error
