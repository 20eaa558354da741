"""bindings/sidecar_choice.py: the table covers each sidecar call issue 15 names, and every call reaches the client
the table names for it (two real embedded state stores under different key prefixes stand for the two clients)."""

from __future__ import annotations

import pytest

from bindings.embedded.state import TableState
from bindings.sidecar_choice import SIDECAR_CALLS, ChosenState, sidecar_calls

COVERED = {
    "publish",
    "bulk publish",
    "state get",
    "state save",
    "state save, etag",
    "state save, first-write",
    "state delete",
    "state transaction",
    "secrets get",
    "invoke",
}


def test_the_table_names_a_client_for_each_covered_call():
    assert set(SIDECAR_CALLS) == COVERED
    assert set(SIDECAR_CALLS.values()) <= {"sdk", "http"}


def test_sidecar_client_puts_every_call_on_one_client():
    assert sidecar_calls(None) == SIDECAR_CALLS == sidecar_calls("measured")
    assert set(sidecar_calls("sdk").values()) == {"sdk"} and set(sidecar_calls("http").values()) == {"http"}
    with pytest.raises(RuntimeError, match="SIDECAR_CLIENT='grpc'"):
        sidecar_calls("grpc")


def _keys(db) -> list[str]:
    with db.transaction() as tx:
        return [r["key"] for r in tx.all("SELECT key FROM state ORDER BY key")]


def test_each_state_call_goes_where_its_row_says(db):
    stores = {c: TableState(db, f"{c}||") for c in COVERED if c.startswith("state ")}
    chosen = ChosenState(stores)
    chosen.save("plain", 1)
    chosen.save("fresh", 2, first_write=True, ttl=60)
    stores["state get"].save("plain", "read here")
    stores["state save, etag"].save("with-etag", 0)
    chosen.save("with-etag", 3, etag=stores["state save, etag"].get("with-etag").etag)
    stores["state delete"].save("gone", 0)
    chosen.delete("gone")
    chosen.transact([{"operation": "upsert", "request": {"key": "tx", "value": 4}}])
    assert chosen.get("plain").value == "read here"
    assert _keys(db) == sorted(
        [
            "state get||plain",
            "state save, etag||with-etag",
            "state save, first-write||fresh",
            "state save||plain",
            "state transaction||tx",
        ]
    )


def test_a_transaction_with_concurrency_options_goes_to_the_port_that_can_express_them(db):
    # The SDK's TransactionalStateOperation has no options field (bindings/dapr_client.py refuses them): the rate
    # limiter's first-write slot claim must reach the HTTP port even when every other call is on the SDK.
    stores = {c: TableState(db, f"{c}||") for c in COVERED if c.startswith("state ")}
    http = TableState(db, "http||")
    chosen = ChosenState(stores, with_options=http)
    claim = {"key": "slot", "value": 1, "options": {"concurrency": "first-write"}}
    chosen.transact([{"operation": "upsert", "request": claim}])
    chosen.transact([{"operation": "upsert", "request": {"key": "plain", "value": 2}}])
    assert _keys(db) == ["http||slot", "state transaction||plain"]
