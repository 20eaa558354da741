"""The Dapr SDK's gRPC errors as functions/errors.py classes, exactly as bindings/sidecar.py maps daprd's HTTP answers.

daprd answers the same condition with an HTTP status on one API and a gRPC status code on the other (checked on
daprd 1.18.1 with state.postgresql v1 and secretstores.local.file; tests/dapr/test_dapr_client.py holds each):

- a save or delete with a stale etag: HTTP 409, gRPC ABORTED -> Conflict;
- a first-write save on a live key: HTTP 500 ERR_STATE_SAVE "no item was updated", gRPC INTERNAL "failed saving
  state ...: no item was updated" -> Conflict;
- a save with a malformed etag: HTTP 400, gRPC INVALID_ARGUMENT -> Invalid;
- a transaction with a stale etag: HTTP 500 ERR_STATE_TRANSACTION, gRPC INTERNAL -> Transient;
- a secret outside the sidecar's scopes: HTTP 403, gRPC PERMISSION_DENIED -> Transient;
- a secret in scope but absent from the store: HTTP 500 ERR_SECRET_GET "not found", gRPC INTERNAL "failed getting
  secret ...: not found" -> no error, {};
- daprd unreachable, or no answer in time: a connection error, gRPC UNAVAILABLE or DEADLINE_EXCEEDED -> Transient.

Codes are compared by name, so that this module needs no grpc import (see bindings/dapr_client.py on import cost).
"""

from __future__ import annotations

from typing import Protocol

from functions.errors import Conflict, FunctionError, Invalid, Transient


class RpcFailure(Protocol):
    """What grpc.RpcError (and the SDK's DaprGrpcError) offer: a status code and its message."""

    def code(self) -> object: ...

    def details(self) -> str | None: ...


def code_of(err: RpcFailure) -> str:
    return str(getattr(err.code(), "name", err.code()))


def describe(err: RpcFailure, what: str) -> str:
    return f"{what} failed: gRPC {code_of(err)} {(err.details() or '')[:300]}"


def state_write_error(err: RpcFailure, what: str, *, saving: bool) -> FunctionError:
    """A save, or a transaction (`saving=False`): the port's `SidecarState._post`."""
    code = code_of(err)
    if code == "ABORTED":
        return Conflict("state changed since it was read (etag mismatch)", field="etag")
    if saving and first_write_refused(err):
        return Conflict("state key already exists (first-write)", field="key")
    if code == "INVALID_ARGUMENT":
        return Invalid(f"state store refused the request: {(err.details() or '')[:300]}")
    return Transient(describe(err, what))


def first_write_refused(err: RpcFailure) -> bool:
    """state.postgresql's answer to a first-write save (no etag) on a live key: its upsert's WHERE only lets an
    expired row be replaced, and with no etag to blame daprd reports a failed save, not an etag mismatch."""
    message = err.details() or ""
    return code_of(err) == "INTERNAL" and message.startswith("failed saving state") and "no item was updated" in message


def state_delete_error(err: RpcFailure, key: str) -> FunctionError:
    """The port's `SidecarState.delete`: a stale etag is a Conflict, anything else Transient."""
    if code_of(err) == "ABORTED":
        return Conflict(f"state key {key!r} changed since it was read", field="etag")
    return Transient(describe(err, "state delete"))


def secret_not_found(err: RpcFailure) -> bool:
    """daprd's answer for a secret its scopes allow but the store lacks (local.file and kubernetes alike): read as
    "no such secret", as the embedded file store does."""
    message = err.details() or ""
    return code_of(err) == "INTERNAL" and message.startswith("failed getting secret") and "not found" in message


def secret_error(err: RpcFailure, store: str, name: str) -> Transient:
    if code_of(err) == "PERMISSION_DENIED":
        # The function's Configuration scopes the store to its declared secrets (bindings/table.py).
        return Transient(f"secret store {store!r} refused {name!r}: not in this sidecar's secret scopes")
    return Transient(f"secret store {store!r} answered gRPC {code_of(err)} for {name!r}")
