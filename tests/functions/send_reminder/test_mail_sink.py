"""Where reminder mail goes: SendGrid beside daprd (a missing key is an error someone sees), files only by choice."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from bindings.embedded_runtime import Runtime
from bindings.observability import metrics
from tests.support import reminders as rs
from tests.support.sendgrid_sink import running


def _mail_count(result: str) -> float:
    value = metrics().registry.get_sample_value("todo_mail_total", {"function": "send-reminder", "result": result})
    return value or 0.0


def _build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, sink: str, key_for: str | None):
    monkeypatch.setenv("MAIL_SINK", sink)
    return rs.build(tmp_path / "data", key_for, monkeypatch, database_url)


def test_without_a_key_beside_daprd_a_send_is_deferred_logged_counted_and_no_file_is_written(
    database_url, tmp_path, monkeypatch, caplog
):
    runtime = _build(tmp_path, monkeypatch, database_url, "sendgrid", key_for=None)
    try:
        task = rs.due_task(runtime)
        rs.check(runtime)
        before = _mail_count("unconfigured")
        with caplog.at_level(logging.ERROR, logger="functions.send-reminder"):
            # Deferred (acknowledged, claimed again later), not retried through Kafka into the dead-letter topic.
            assert rs.deliver(runtime, rs.due_events(runtime)[0], attempts=1) == "SUCCESS"
        assert _mail_count("unconfigured") == before + 1
        (record,) = [r for r in caplog.records if r.getMessage() == "reminder mail not sent"]
        assert "no SendGrid key" in record.reason and record.reminder_id == str(task.reminders[0].id)
        assert not (tmp_path / "data" / "mail").exists()
        (row,) = rs.query(runtime, "select state from reminders")
        assert row["state"] == "claimed", "kept for the retry once the key exists"

        health = runtime.apps["send-reminder"].test_client().get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["status"] == "not ready" and "sendgrid-secret" in health.get_json()["reason"]
        # Only send-reminder depends on the key: the others stay ready.
        assert runtime.apps["todo-api"].test_client().get("/healthz").status_code == 200
    finally:
        runtime.close()


def test_with_a_key_beside_daprd_send_reminder_is_ready(database_url, tmp_path, monkeypatch):
    with running() as sink:
        runtime = _build(tmp_path, monkeypatch, database_url, "sendgrid", key_for=sink.url)
        try:
            health = runtime.apps["send-reminder"].test_client().get("/healthz")
            assert (health.status_code, health.get_json()) == (200, {"status": "ok"})
        finally:
            runtime.close()


def test_files_are_chosen_by_the_setting_even_when_a_key_is_configured(database_url, tmp_path, monkeypatch):
    with running() as sink:
        runtime = _build(tmp_path, monkeypatch, database_url, "files", key_for=sink.url)
        try:
            task = rs.due_task(runtime)
            rs.check(runtime)
            assert rs.deliver(runtime, rs.due_events(runtime)[0]) == "SUCCESS"
            assert [f.name for f in (tmp_path / "data" / "mail").glob("*.eml")] == [f"{task.reminders[0].id}.eml"]
            assert sink.accepted() == {}
        finally:
            runtime.close()


def test_an_unknown_mail_sink_is_refused_at_start(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MAIL_SINK", "carrier-pigeon")
    with pytest.raises(ValidationError, match="mail_sink"):
        Runtime.build(tmp_path / "data")
