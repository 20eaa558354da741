"""The AsyncAPI 3.0.0 JSON Schema, the specification's own, from its npm package `@asyncapi/specs` into the cache.

tests/contracts/test_asyncapi.py validates docs/asyncapi.json against it (no Python package ships it). npm is
used only to fetch the package's tarball (`npm pack`); nothing of it runs.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from bindings.devstack.cache import ProvisionError, cache_dir, run_logged

PACKAGE = "@asyncapi/specs"
VERSION = "6.11.1"
MEMBER = "package/schemas/3.0.0-without-$id.json"  # the whole schema in one file, its $refs all local
FETCH_TIMEOUT_S = 300.0


def cached_file() -> Path:
    return cache_dir() / f"asyncapi-specs-{VERSION}" / "3.0.0.json"


def locate() -> Path | None:
    """`$ASYNCAPI_SCHEMA`, else this project's cached copy."""
    for candidate in (os.environ.get("ASYNCAPI_SCHEMA"), str(cached_file())):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def ensure() -> Path:
    return locate() or fetch()


def fetch() -> Path:
    if not shutil.which("npm"):
        raise ProvisionError(f"no AsyncAPI schema cached and no `npm` on PATH to fetch {PACKAGE}@{VERSION}")
    out = cached_file()
    with tempfile.TemporaryDirectory(dir=cache_dir()) as work:
        run_logged(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=Path(work), timeout=FETCH_TIMEOUT_S)
        tarballs = list(Path(work).glob("*.tgz"))
        if len(tarballs) != 1:
            raise ProvisionError(f"npm pack {PACKAGE}@{VERSION} left {len(tarballs)} tarballs, not one")
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                raise ProvisionError(f"{PACKAGE}@{VERSION} has no {MEMBER}")
            text = member.read()
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_suffix(".partial")
        partial.write_bytes(text)
        partial.replace(out)
    return out
