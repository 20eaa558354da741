"""What the adapter tells a handler about the call that triggered it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the users module pulls in email validation, which only todo-api's routes need
    from functions.domain.users import User


@dataclass(frozen=True)
class Context:
    function: str
    user: User | None = None  # set for user routes, from the verified token
    event_id: str | None = None  # set for topic deliveries
    event_type: str | None = None
    tick: datetime | None = None  # set for a claimed cron tick; None for an ad hoc run

    def require_user(self) -> User:
        if self.user is None:
            raise RuntimeError(f"{self.function}: a user route was called without a verified user")
        return self.user
