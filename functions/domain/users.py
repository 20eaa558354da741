"""The authenticated caller and the stored profile."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from functions.domain.types import TimeZoneName


class User(BaseModel):
    """Who is calling, as verified from the bearer token."""

    model_config = ConfigDict(frozen=True)

    id: str
    email: str | None = None
    timezone: str | None = None


class UpdateProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    timezone: TimeZoneName | None = None


class Profile(BaseModel):
    id: str
    email: str | None
    timezone: str = Field(description="IANA zone; UTC when never set")
