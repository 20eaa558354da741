"""functions.domain.reminders.remind_at: when a reminder fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.domain.reminders import ReminderSpec, remind_at

DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_before_is_relative_to_due():
    assert remind_at(ReminderSpec(before="PT15M"), DUE) == DUE - timedelta(minutes=15)
    assert remind_at(ReminderSpec(before="P1D"), DUE) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)


def test_before_zero_fires_at_due():
    assert remind_at(ReminderSpec(before="PT0S"), DUE) == DUE


def test_at_is_kept_whatever_the_due_time():
    at = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
    assert remind_at(ReminderSpec(at=at), DUE) == at
    assert remind_at(ReminderSpec(at=at), None) == at


def test_before_without_due_never_fires():
    assert remind_at(ReminderSpec(before="PT15M"), None) is None


def test_offset_of_at_is_the_same_instant():
    spec = ReminderSpec(at="2026-03-01T10:00:00+01:00")
    assert remind_at(spec, None) == DUE
