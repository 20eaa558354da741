"""Every secret a function can read through the Dapr secret store: its name, the keys the code reads, and why.

The declaration table (bindings/table.py) says which of these each function reads; a function's
scoped secrets refuse any other name (bindings/scoped_secrets.py), and its Kubernetes Role, Dapr's
secret scopes, the secret templates and the ExternalSecrets are rendered from that declaration.
Code names a secret only through the constants here.
"""

from __future__ import annotations

from dataclasses import dataclass

DATABASE = "database-secret"
DATABASE_URL = "url"
JWT = "jwt-secret"
JWT_SIGNING_KEY = "signing-key"
SENDGRID = "sendgrid-secret"
SENDGRID_API_KEY = "api-key"
SENDGRID_FROM = "from-email"


@dataclass(frozen=True)
class Secret:
    name: str
    keys: tuple[str, ...]
    purpose: str


CATALOGUE: dict[str, Secret] = {
    s.name: s
    for s in (
        Secret(DATABASE, (DATABASE_URL,), "PostgreSQL connection string, read at start unless DATABASE_URL is set"),
        Secret(JWT, (JWT_SIGNING_KEY,), "HS256 key that verifies users' bearer tokens"),
        Secret(SENDGRID, (SENDGRID_API_KEY, SENDGRID_FROM), "SendGrid API key and the reminders' sender address"),
    )
}


def secret(name: str) -> Secret:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"secret {name!r} is not in functions/secret_catalogue.py") from None
