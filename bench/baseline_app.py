"""The baseline: a bare Flask app under the functions' gunicorn settings, on the same PostgreSQL.

`GET /ping` is the floor of any HTTP route; `POST /insert` parses a JSON body and runs one pooled
psycopg INSERT, the floor of any write. Pool size and autocommit match functions/store/db.py.
"""

from __future__ import annotations

import json
import os
import uuid

from flask import Flask, Response, request
from psycopg_pool import ConnectionPool

TABLE = """CREATE TABLE IF NOT EXISTS bench_insert (
    id uuid PRIMARY KEY, title text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"""


def create_app() -> Flask:
    pool = ConnectionPool(
        os.environ["DATABASE_URL"], min_size=1, max_size=10, kwargs={"autocommit": True}, name="baseline", open=False
    )
    pool.open(wait=True, timeout=30)
    with pool.connection() as conn:
        conn.execute(TABLE)
    app = Flask("bench.baseline")

    @app.get("/healthz")
    def healthz() -> Response:
        with pool.connection() as conn:
            conn.execute("SELECT 1")
        return Response('{"status":"ok"}', 200, mimetype="application/json")

    @app.get("/ping")
    def ping() -> Response:
        return Response('{"pong":true}', 200, mimetype="application/json")

    @app.post("/insert")
    def insert() -> Response:
        body = json.loads(request.get_data())
        row_id = uuid.uuid4()
        with pool.connection() as conn:
            conn.execute("INSERT INTO bench_insert (id, title) VALUES (%s, %s)", (row_id, body["title"]))
        return Response(json.dumps({"id": str(row_id)}), 201, mimetype="application/json")

    return app
