"""Which TCP ports each function's app and daprd listen on, on one machine: derived from the table, never
listed by hand. dapr.yaml (rendered here) and `make dapr-up` (bindings/devstack) use the same fixed plan."""

from __future__ import annotations

from dataclasses import dataclass

from bindings.table import FUNCTIONS

# `make dapr-up` and dapr.yaml: function i (in table order) gets BASE + i on each of these.
# Away from daprd's defaults (3500/50001/9090) so a `dapr init` sidecar elsewhere on the machine does not clash,
# from Kafka's 9092/9093, and below Linux's ephemeral range (32768-60999): a port in it may be the local end
# of any outgoing connection at the moment a sidecar wants to listen on it (`dapr run -f` then refuses with
# "Port ... is not available", seen with 50101+ for gRPC).
APP_BASE = 8101
HTTP_BASE = 3501
GRPC_BASE = 6101
INTERNAL_GRPC_BASE = 6201
METRICS_BASE = 9101


@dataclass(frozen=True)
class Pair:
    """One replica of a function: its gunicorn app and its own daprd."""

    function: str
    replica: int
    app_port: int
    http_port: int
    grpc_port: int
    internal_grpc_port: int
    metrics_port: int

    @property
    def name(self) -> str:
        return self.function if self.replica == 0 else f"{self.function}-{self.replica}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def fixed_plan(functions: list[str] | None = None) -> list[Pair]:
    """One replica of each function on the fixed ports (table order), as in dapr.yaml and docs/operations.md."""
    names = list(FUNCTIONS)
    chosen = functions or names
    return [
        Pair(n, 0, APP_BASE + i, HTTP_BASE + i, GRPC_BASE + i, INTERNAL_GRPC_BASE + i, METRICS_BASE + i)
        for i, n in enumerate(names)
        if n in chosen
    ]
