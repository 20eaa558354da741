"""A local secrets file per data dir, in the layout of Dapr's local.file store with multiValued: true."""

from __future__ import annotations

import json
import logging
import os
import secrets as random
import time
from pathlib import Path

from functions.errors import Transient
from functions.secret_catalogue import JWT, JWT_SIGNING_KEY

log = logging.getLogger("bindings.secrets")

FILE_NAME = "secrets.json"


def ensure_file(data_dir: Path) -> Path:
    """Create the file with a fresh JWT signing key on first use; never overwrite it."""
    path = data_dir / FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        content = {JWT: {JWT_SIGNING_KEY: random.token_urlsafe(48)}}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(content, f, indent=2)
    return path


class FileSecrets:
    """Read at most once per `ttl` seconds, as bindings/secret_cache.py caches daprd's: an edit lands in a minute."""

    def __init__(self, path: Path, ttl: float = 60.0) -> None:
        self.path = path
        self.ttl = ttl
        self._data: dict[str, dict[str, str]] | None = None
        self._read_at = 0.0

    def get(self, name: str) -> dict[str, str]:
        now = time.monotonic()
        if self._data is None or now - self._read_at >= self.ttl:
            try:
                self._data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                # The exception's text could quote the file's content: only its type is reported.
                raise Transient(f"secrets file {self.path} unreadable: {type(exc).__name__}") from None
            self._read_at = now
            log.debug("secrets file read", extra={"path": str(self.path), "secrets": sorted(self._data)})
        value = self._data.get(name, {})
        return dict(value) if isinstance(value, dict) else {name: str(value)}
