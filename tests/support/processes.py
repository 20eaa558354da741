"""The live processes of this machine, read from /proc: for tests that check what a run left behind or must
find a function's workers (no psutil: four fields of /proc/<pid>/stat are all they need)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    pid: int
    state: str  # "Z" for a zombie
    ppid: int
    pgid: int
    sid: int

    @property
    def proc(self) -> Path:
        return Path("/proc") / str(self.pid)


def processes() -> Iterator[Process]:
    """Every process /proc lists now; one that exits while it is read is left out."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After "(comm)", which may hold spaces and parentheses: state, ppid, pgrp, session, ...
            fields = stat.read_text().rsplit(")", 1)[1].split()
            yield Process(int(stat.parent.name), fields[0], int(fields[1]), int(fields[2]), int(fields[3]))
        except (OSError, IndexError, ValueError):
            continue
