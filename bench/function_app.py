"""One function under gunicorn without daprd: its adapters are the embedded runtime's.

`gunicorn 'bench.function_app:create_app("todo-api")'` with DATABASE_URL and BENCH_DATA_DIR set.
Publishing goes to the embedded durable broker (PostgreSQL tables, as a Kafka produce would be a
network write), state to the PostgreSQL state table, secrets to `<BENCH_DATA_DIR>/secrets.json`.
Nothing delivers the published events: the benchmark measures the producer's side only.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask


def create_app(function: str) -> Flask:
    from bindings.embedded_runtime import Runtime

    if not os.environ.get("DATABASE_URL"):
        raise RuntimeError("bench.function_app needs DATABASE_URL (it never starts a PostgreSQL of its own)")
    runtime = Runtime.build(Path(os.environ["BENCH_DATA_DIR"]), functions=[function])
    return runtime.apps[function]
