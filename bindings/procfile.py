"""The Procfile: one gunicorn process per function. Also the container's entry point.

`gunicorn_argv` is the one command line that serves a function: the Procfile's lines, the Deployments'
commands, dapr.yaml's apps and `make dapr-up`'s apps are all spelled by it.
`python -m bindings.procfile todo-api` runs the Procfile's line for that process type, so an image
serves any function by its name; any other arguments are run as the command they are.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bindings.triggers import Serving

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"
GUNICORN_CONFIG = "bindings/gunicorn_conf.py"  # relative to the checkout, as every command runs from there


def gunicorn_argv(function: str, gunicorn: Sequence[str] = ("gunicorn",), serving: Serving | None = None) -> list[str]:
    """The command that serves `function`; `gunicorn` is how to start gunicorn where it is not on PATH.

    Its workers and threads are the table's (`serving=` in bindings/table.py) unless `serving` says otherwise:
    command-line flags win over the shared config file, so each function gets its own.
    """
    from bindings.table import FUNCTIONS

    serving = serving or FUNCTIONS[function].serving
    return [*gunicorn, "--config", GUNICORN_CONFIG, *serving.argv(), f'bindings.app:create_app("{function}")']


def command_for(function: str) -> str:
    """The Procfile's line for `function`."""
    return shlex.join(gunicorn_argv(function))


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
