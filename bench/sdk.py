"""The Dapr SDK against the hand-written HTTP port, through real daprd: each call's latency, cold start, memory.

`make bench ARGS="--only sdk"`. One Kafka, PostgreSQL and todo-api + daprd pair of bench/dapr_overhead.py's
DevstackProvider serve both parts: bench/sdk_calls.py calls daprd from this process through either client;
bench/sdk_startup.py starts every function under gunicorn against that daprd, once per SIDECAR_CLIENT variant.
What the figures decided is bindings/sidecar_choice.py's SIDECAR_CALLS; docs/performance.md shows the latest run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.dapr_overhead import DevstackProvider, provider
from bench.http_figures import NO_RATE_LIMIT
from bench.sdk_calls import Ports, measure
from bench.sdk_startup import cold_starts, sdk_import_ms

SECRET = "jwt-secret"  # one todo-api's daprd may read (its secret scopes)


def _ports(http_port: int, grpc_port: int, token: str) -> dict[str, Ports]:
    from bindings.dapr_client import SdkConnection, SdkInvoker, SdkPublisher, SdkSecrets, SdkState
    from bindings.sidecar import Sidecar, SidecarInvoker, SidecarPublisher, SidecarSecrets, SidecarState
    from functions.settings import Settings

    s = Settings()
    sidecar = Sidecar(f"http://127.0.0.1:{http_port}", token)
    sdk = SdkConnection("127.0.0.1", grpc_port, http_port, token)
    return {
        "port": Ports(
            SidecarPublisher(sidecar, s.pubsub_name),
            SidecarState(sidecar, s.state_store),
            SidecarSecrets(sidecar, s.secret_store),
            SidecarInvoker(sidecar),
        ),
        "sdk": Ports(
            SdkPublisher(sdk, s.pubsub_name),
            SdkState(sdk, s.state_store),
            SdkSecrets(sdk, s.secret_store),
            SdkInvoker(sdk),
        ),
    }


def bench_sdk(work: Path, rounds: int, per_block: int, starts: int, functions: list[str]) -> dict[str, Any]:
    found = provider(work)
    if isinstance(found, str):
        return {"skipped": found}
    stack = DevstackProvider(work / "devstack-sdk")  # not bench/dapr_overhead.py's folder: each run starts afresh
    out: dict[str, Any] = {"loadavg_before": os.getloadavg(), "sdk_import": sdk_import_ms()}
    with stack.start("todo-api", {"LOG_LEVEL": "WARNING", "MAIL_SINK": "files"}) as pair:
        api_token = pair.headers(True)["dapr-api-token"]
        out["calls"] = measure(
            _ports(pair.dapr_http_port, pair.dapr_grpc_port, api_token), SECRET, "todo-api", rounds, per_block
        )
        out["loadavg_after_calls"] = os.getloadavg()
        env = {
            "DAPR_HTTP_PORT": str(pair.dapr_http_port),
            "DAPR_GRPC_PORT": str(pair.dapr_grpc_port),
            "DAPR_API_TOKEN": api_token,
            "APP_API_TOKEN": pair.headers(False)["dapr-api-token"],
            "LOG_LEVEL": "WARNING",
            "MAIL_SINK": "files",  # send-reminder: no SendGrid key in the bench's secret store
            "RATE_LIMIT_REQUESTS": NO_RATE_LIMIT,
        }
        headers = {**pair.bearer("sdk-bench"), **pair.headers(False)}
        out["startup"] = cold_starts(functions, env, headers, starts)
    out["loadavg_after"] = os.getloadavg()
    out["config"] = {"rounds": rounds, "per_block": per_block, "starts": starts}
    return out
