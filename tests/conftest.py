"""Shared fixtures: one embedded PostgreSQL per session, a fresh database per test (from a migrated template)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bindings import auth
from bindings.embedded_runtime import Runtime
from functions.store.db import Database
from functions.store.schema import migrate

TEMPLATE = "todo_template"


def _with_db(url: str, name: str) -> str:
    head, _, query = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """The session's server; DATABASE_URL points the suite at another one instead."""
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        yield explicit
        return
    from bindings.embedded import postgres

    folder = Path(tempfile.mkdtemp(prefix="todo-test-"))
    os.chmod(folder, 0o755)
    previous = os.environ.pop("DATABASE_URL", None)
    try:
        url = postgres.database_url(folder)
        yield url
    finally:
        postgres.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
        if previous is not None:
            os.environ["DATABASE_URL"] = previous


@pytest.fixture(scope="session")
def template_url(pg_admin_url: str) -> str:
    import psycopg

    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    db = Database(_with_db(pg_admin_url, TEMPLATE)).open()
    migrate(db)
    db.close()
    return _with_db(pg_admin_url, TEMPLATE)


@pytest.fixture
def database_url(pg_admin_url: str, template_url: str) -> Iterator[str]:
    """A database of this test's own, already migrated."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield _with_db(pg_admin_url, name)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url, max_size=5).open()
    yield database
    database.close()


@pytest.fixture
def runtime(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """Every function wired as `python -m bindings run` wires them, without the HTTP server or threads."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    rt = Runtime.build(tmp_path / "data", pool_size=5)
    yield rt
    rt.close()


@pytest.fixture
def token(runtime: Runtime):
    """token(user, **claims) -> 'Bearer ...' signed with this runtime's secret."""
    deps = runtime.deps["todo-api"]
    key = auth.signing_key(deps.secrets)

    def make(user: str = "alice", **claims: str) -> str:
        return "Bearer " + auth.issue(key, deps.settings, user, **claims)

    return make


@pytest.fixture
def api(runtime: Runtime):
    return runtime.apps["todo-api"].test_client()


def _undeclared_secret_reads() -> list[str]:
    """(function, secret) pairs asked for during this run that the function's declaration does not name.

    Recorded by each function's scoped secrets (`todo_secret_reads_total`, bindings/scoped_secrets.py),
    whatever they answered; the expectation is the declaration in bindings/table.py.
    """
    from bindings.observability import metrics
    from bindings.table import FUNCTIONS

    found = []
    # This counter only: collecting the whole registry would also run the scrape-time gauges' database reads.
    for metric in metrics().secret_reads.collect():
        for sample in metric.samples:
            function, secret = sample.labels["function"], sample.labels["secret"]
            counted = sample.name.endswith("_total") and sample.value and function in FUNCTIONS
            if counted and secret not in FUNCTIONS[function].secrets:
                found.append(f"{function} read {secret!r} {int(sample.value)} time(s) without declaring it")
    return sorted(set(found))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    undeclared = _undeclared_secret_reads()
    if undeclared:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("\nundeclared secret reads (declare them in bindings/table.py):", red=True)
            for line in undeclared:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
