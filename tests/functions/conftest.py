"""Fixtures shared by more than one function's handler tests (the rest are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.support import reminders
from tests.support.handlers import complete, create
from tests.support.recurring import drain, instances, lose_spawn_events, soon
from tests.support.sendgrid_sink import running


@pytest.fixture
def completed_without_spawn(runtime):
    """A recurring task completed whose event spawn-recurrence never saw."""
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    assert lose_spawn_events(runtime) == 1
    drain(runtime)
    assert len(instances(runtime, task.series_id)) == 1
    return task


@pytest.fixture
def sink():
    """A local stand-in for SendGrid's API."""
    with running() as s:
        yield s


@pytest.fixture
def rt(database_url, tmp_path, monkeypatch, sink):
    """The runtime with a SendGrid key that points at `sink`."""
    runtime = reminders.build(tmp_path / "data", sink.url, monkeypatch, database_url)
    yield runtime
    runtime.close()
