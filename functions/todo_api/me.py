"""GET / PUT /api/me: the caller's profile (e-mail and time zone), which overrides the token's claims."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions.context import Context
from functions.deps import Deps
from functions.domain.users import Profile, UpdateProfile
from functions.store import users


class NoInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


def get_me(_: NoInput, deps: Deps, ctx: Context) -> Profile:
    user = ctx.require_user()
    with deps.db.transaction() as tx:
        row = users.get(tx, user.id)
    stored = row or {}
    return Profile(
        id=user.id,
        email=stored.get("email") or user.email,
        timezone=stored.get("timezone") or user.timezone or "UTC",
    )


def put_me(cmd: UpdateProfile, deps: Deps, ctx: Context) -> Profile:
    user = ctx.require_user()
    with deps.db.transaction() as tx:
        row = users.put(tx, user.id, cmd.email, cmd.timezone, cmd.model_fields_set)
    return Profile(id=user.id, email=row["email"] or user.email, timezone=row["timezone"] or user.timezone or "UTC")
