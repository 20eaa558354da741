"""The reminder e-mail: subject, plain text and HTML, with the due time in the reader's own zone."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

MAX_DESCRIPTION = 2000  # a reminder is a nudge, not a copy of the task


class ReminderMail(BaseModel):
    model_config = ConfigDict(frozen=True)

    to: str
    subject: str
    text: str
    html: str
    reminder_id: str


def local_time(instant: datetime, zone: str) -> str:
    """'Sun 29 Mar 2026, 03:45 CEST': the wall-clock time and the abbreviation a reader recognises."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def _one_line(text: str) -> str:
    # Mail headers are one line; a title with a line break must not inject a header.
    return " ".join(text.split())


def render(
    *,
    to: str,
    reminder_id: str,
    title: str,
    description: str | None,
    due_at: datetime | None,
    remind_at: datetime,
    zone: str,
) -> ReminderMail:
    title_line = _one_line(title)
    if due_at is not None:
        when = f"{local_time(due_at, zone)} ({zone})"
        subject = f"Reminder: {title_line} (due {local_time(due_at, zone)})"
    else:
        when = "no due date"
        subject = f"Reminder: {title_line}"
    note = (description or "").strip()
    if len(note) > MAX_DESCRIPTION:
        note = note[:MAX_DESCRIPTION] + "…"
    asked = f"{local_time(remind_at, zone)} ({zone})"
    text = f"This is your reminder for:\n\n    {title_line}\n\nDue: {when}\n"
    if note:
        text += f"\n{note}\n"
    text += f"\nYou asked to be reminded at {asked}.\n"
    body = (
        "<!doctype html><html><body>"
        "<p>This is your reminder for:</p>"
        f"<h2>{html.escape(title_line)}</h2>"
        f"<p><strong>Due:</strong> {html.escape(when)}</p>"
        + (f'<p style="white-space: pre-wrap">{html.escape(note)}</p>' if note else "")
        + f"<p><small>You asked to be reminded at {html.escape(asked)}.</small></p>"
        "</body></html>"
    )
    return ReminderMail(to=to, subject=subject, text=text, html=body, reminder_id=reminder_id)
