"""The Procfile: one gunicorn process per function. Also the container's entry point.

`python -m bindings.procfile todo-api` runs the Procfile's line for that process type, so an image
serves any function by its name; any other arguments are run as the command they are.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"
GUNICORN = "gunicorn --config bindings/gunicorn_conf.py"


def command_for(function: str) -> str:
    return f"{GUNICORN} 'bindings.app:create_app(\"{function}\")'"


def read(path: Path = PROCFILE) -> dict[str, str]:
    """Process type -> command line."""
    procs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            procs[name.strip()] = command.strip()
    return procs


def main(argv: list[str]) -> int:
    if not argv:
        print(f"usage: python -m bindings.procfile PROCESS-TYPE | COMMAND...; types: {', '.join(read())}")
        return 2
    procs = read()
    args = shlex.split(procs[argv[0]]) + argv[1:] if argv[0] in procs else argv
    if shutil.which(args[0]) is None:
        print(f"{argv[0]!r} is neither a process type ({', '.join(procs)}) nor a command", file=sys.stderr)
        return 2
    os.chdir(PROCFILE.parent)  # the Procfile's paths (bindings/gunicorn_conf.py) are relative to it
    os.execvp(args[0], args)
    return 0  # not reached: exec replaces this process


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
