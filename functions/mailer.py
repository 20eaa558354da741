"""Send a reminder mail through SendGrid, or to `<data dir>/mail/*.eml` where the `mail_sink` setting says so.

Beside daprd the sink is SendGrid and a missing key is an error someone sees: the send is RETRYed with an
error log line and a `todo_mail_total{result="unconfigured"}` count, and `readiness` makes /healthz answer
503 with the reason, so daprd holds deliveries back. Files are for the embedded runtime and tests only.
"""

from __future__ import annotations

import os
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from functions.deps import Deps
from functions.domain.reminder_mail import ReminderMail
from functions.errors import Transient
from functions.secret_catalogue import SENDGRID
from functions.secret_catalogue import SENDGRID_API_KEY as API_KEY
from functions.secret_catalogue import SENDGRID_FROM as FROM_EMAIL

UNCONFIGURED = (
    f"no SendGrid key: secret {SENDGRID!r} has no {API_KEY!r}"
    " (create it, or set MAIL_SINK=files to write .eml files instead)"
)


class MailRejected(Exception):
    """The provider refused this message for good (e.g. a bad address): retrying cannot help."""


def send(mail: ReminderMail, deps: Deps) -> str:
    """Deliver; return the provider's message id or the file written. Raise Transient or MailRejected."""
    creds = deps.secrets.get(SENDGRID)
    sender = creds.get(FROM_EMAIL) or deps.settings.mail_from_default
    key = creds.get(API_KEY)
    sink = deps.settings.mail_sink
    if sink == "files" or (sink == "auto" and not key):
        written = _to_file(mail, sender, deps)
        deps.meter.count("mail", result="file")
        return written
    if not key:
        deps.meter.count("mail", result="unconfigured")
        deps.log.error("reminder mail not sent", extra={"reminder_id": mail.reminder_id, "reason": UNCONFIGURED})
        raise Transient(UNCONFIGURED)
    try:
        message_id = _to_sendgrid(mail, sender, key, deps)
    except MailRejected:
        deps.meter.count("mail", result="rejected")
        raise
    except Transient:
        deps.meter.count("mail", result="transient")
        raise
    deps.meter.count("mail", result="sent")
    return message_id


def readiness(deps: Deps) -> str | None:
    """send-reminder's readiness: why it cannot mail yet, or None. Read through the secret store's cache."""
    if deps.settings.mail_sink != "sendgrid":
        return None
    try:
        key = deps.secrets.get(SENDGRID).get(API_KEY)
    except Transient as exc:
        return f"secret store unavailable: {exc}"
    return None if key else UNCONFIGURED


def _to_sendgrid(mail: ReminderMail, sender: str, key: str, deps: Deps) -> str:
    # Imported here: only send-reminder pays for the SendGrid client.
    from python_http_client import exceptions
    from sendgrid import SendGridAPIClient
    from sendgrid.helpers.mail import Mail

    message = Mail(
        from_email=sender,
        to_emails=mail.to,
        subject=mail.subject,
        plain_text_content=mail.text,
        html_content=mail.html,
    )
    body: dict[str, Any] = message.get()
    body["headers"] = {"X-Todo-Reminder": mail.reminder_id}  # lets support trace a mail to its reminder
    client = SendGridAPIClient(api_key=key, host=deps.settings.sendgrid_host)
    try:
        resp = client.client.mail.send.post(request_body=body, timeout=deps.settings.mail_timeout_seconds)
    except exceptions.HTTPError as exc:
        raise _classify(exc.status_code, _reason(exc)) from None
    except OSError as exc:  # URLError, timeouts and refused connections
        raise Transient(f"SendGrid unreachable: {type(exc).__name__}: {exc}") from None
    return str(resp.headers.get("X-Message-Id") or "")


def _classify(status: int, reason: str) -> Exception:
    if status == 429 or status >= 500:
        return Transient(f"SendGrid answered {status}: {reason}")
    if status in (401, 403):
        # Our key or account, not this reminder: keep it for a retry (then the dead-letter topic, replayable).
        return Transient(f"SendGrid refused our credentials ({status}): {reason}")
    return MailRejected(f"SendGrid rejected the message ({status}): {reason}")


def _reason(exc: Any) -> str:
    try:
        errors = exc.to_dict.get("errors") or []
        return "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict)) or str(exc.reason)
    except Exception:
        return str(getattr(exc, "reason", "")) or "no reason given"


def _to_file(mail: ReminderMail, sender: str, deps: Deps) -> str:
    """An RFC 5322 file a person can open; named by reminder, so a re-send replaces rather than adds."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(deps.clock())
    msg["Message-ID"] = f"<{mail.reminder_id}@todo.localhost>"
    msg["X-Todo-Reminder"] = mail.reminder_id
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    folder = Path(deps.settings.data_dir) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{mail.reminder_id}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(msg.as_bytes())
    os.replace(tmp, target)  # atomic: a reader never sees half a mail
    return str(target)
