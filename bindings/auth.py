"""Bearer JWTs (HS256): verification for user routes, issuing for the local `token` command."""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

from functions.clock import utc_now
from functions.domain.types import is_zone, text_problem
from functions.protocols import Secrets
from functions.secret_catalogue import JWT, JWT_SIGNING_KEY
from functions.settings import Settings

if TYPE_CHECKING:
    from functions.domain.users import User


def load_verifier() -> ModuleType:
    """PyJWT, imported on first use: with cryptography's backends it costs tens of milliseconds of start-up,
    and only functions with user routes verify tokens (bindings.http_routes loads it while building those)."""
    import jwt

    return jwt


class Unauthorized(Exception):
    """No token, or one that does not verify; the message says which, never the token."""


def signing_key(secrets: Secrets) -> str:
    key = secrets.get(JWT).get(JWT_SIGNING_KEY)
    if not key:
        raise RuntimeError(f"secret {JWT!r} has no {JWT_SIGNING_KEY!r}")
    return key


def verify(header: str | None, key: str, settings: Settings) -> User:
    if not header:
        raise Unauthorized("missing Authorization header; send 'Authorization: Bearer <token>'")
    from functions.domain.users import User  # loaded with the verifier: only functions with user routes

    jwt = load_verifier()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(),
            key,
            algorithms=["HS256"],  # pinned: never let the token choose (no 'none', no RS/HS confusion)
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iat"]},
            leeway=30,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    sub = claims["sub"]
    if not isinstance(sub, str) or not 0 < len(sub) <= 200:
        raise Unauthorized("token subject must be a string of 1-200 characters")
    if sub.startswith("@"):
        # Reserved for owners that are not users (the audit records of whole runs: "@system").
        raise Unauthorized("token subject must not start with '@'")
    return User(id=_stored("sub", sub), email=_email(claims.get("email")), timezone=_zone(claims.get("zoneinfo")))


def _stored(claim: str, value: str) -> str:
    # The subject and e-mail are written to PostgreSQL: a claim it cannot store is a bad token, not a 500.
    problem = text_problem(value)
    if problem:
        raise Unauthorized(f"token claim {claim!r} {problem}")
    return value


def _email(value: Any) -> str | None:
    return _stored("email", value) if isinstance(value, str) and value else None


def _zone(value: Any) -> str | None:
    # A bad claim falls back to the profile or UTC rather than locking the user out.
    return value if isinstance(value, str) and value and is_zone(value) else None


def issue(
    key: str,
    settings: Settings,
    user_id: str,
    *,
    email: str | None = None,
    timezone: str | None = None,
    ttl: timedelta = timedelta(days=1),
) -> str:
    now = utc_now()
    claims: dict[str, Any] = {
        "sub": user_id,
        "iat": now,
        "exp": now + ttl,
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
    }
    if email:
        claims["email"] = email
    if timezone:
        claims["zoneinfo"] = timezone
    return load_verifier().encode(claims, key, algorithm="HS256")
