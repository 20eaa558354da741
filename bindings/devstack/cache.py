"""Where provisioned binaries live: outside the checkout, shared by every clone on the machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cache_dir() -> Path:
    """`$TODO_CACHE`, else `~/.cache/todo-functions`."""
    root = os.environ.get("TODO_CACHE") or str(Path.home() / ".cache" / "todo-functions")
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


class ProvisionError(RuntimeError):
    """A provisioning step failed; the message names the command and its output's tail."""


def run_logged(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float) -> None:
    """Run a build step, echo it, and raise with the output's tail when it fails or overruns."""
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, timeout=timeout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    except subprocess.TimeoutExpired as exc:
        raise ProvisionError(f"{' '.join(cmd)}: no result after {timeout:.0f}s") from exc
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-30:])
        raise ProvisionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (tokens, secrets, kubeconfigs)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
