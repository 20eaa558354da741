"""A copy of this checkout as a fresh clone would look (plus uncommitted changes), sharing its virtualenv."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Local state and caches, never part of a clone; .venv is linked instead, so nothing is installed twice.
_LEFT_OUT = {".git", ".venv", ".data", ".dapr", ".pytest_cache", ".ruff_cache"}


def copy_checkout(dest: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        top = {n for n in names if n in _LEFT_OUT} if Path(folder) == ROOT else set()
        return top | {n for n in names if n == "__pycache__"} | ({"results"} if folder.endswith("bench") else set())

    # copy2 keeps modification times: `make` must not think requirements.txt changed and reinstall.
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest
