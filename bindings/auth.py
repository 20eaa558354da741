"""Bearer JWTs (HS256): verification for user routes, issuing for the local `token` command."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
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


LEEWAY_SECONDS = 30  # clock skew forgiven on exp, nbf and iat


class VerifiedTokens:
    """The user of each token verified lately, kept while its `exp` holds: a client sends the same token with
    every request, and verifying it (PyJWT: parse, HMAC, claims) cost more than the rest of a cache hit.

    An entry names the signing key it was verified with and counts only under that key, so a rotated key
    verifies every token again. At most `size` entries, the least recently used dropped first. Only
    verdicts that admit are kept: a bad token is checked (and refused) each time, as before.
    """

    def __init__(self, size: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[str, tuple[User, str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, key: str) -> User | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            user, verified_with, valid_until = entry
            if verified_with != key or self.clock() >= valid_until:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return user

    def put(self, token: str, key: str, user: User, exp: float) -> None:
        with self._lock:
            self._entries[token] = (user, key, exp + LEEWAY_SECONDS)
            self._entries.move_to_end(token)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def verify(header: str | None, key: str, settings: Settings, verified: VerifiedTokens | None = None) -> User:
    """The user a bearer token names; `verified` answers for a token it has seen verify with this key."""
    if not header:
        raise Unauthorized("missing Authorization header; send 'Authorization: Bearer <token>'")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Authorization must be 'Bearer <token>'")
    if verified is not None and (user := verified.get(token, key)) is not None:
        return user
    user, exp = _decode(token, key, settings)
    if verified is not None:
        verified.put(token, key, user, exp)
    return user


def _decode(token: str, key: str, settings: Settings) -> tuple[User, float]:
    from functions.domain.users import User  # loaded with the verifier: only functions with user routes

    jwt = load_verifier()
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],  # pinned: never let the token choose (no 'none', no RS/HS confusion)
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iat"]},
            leeway=LEEWAY_SECONDS,
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
    user = User(id=_stored("sub", sub), email=_email(claims.get("email")), timezone=_zone(claims.get("zoneinfo")))
    return user, float(claims["exp"])


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
