"""Background processes with pidfiles, so that `dapr-down` stops them even after the starter crashed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import urllib3


class StartError(RuntimeError):
    """A process did not become ready in time; the message names it, what was awaited and its log's tail."""


def spawn(cmd: list[str], *, name: str, pid_dir: Path, log: Path, env: dict[str, str], cwd: Path) -> int:
    """Start `cmd` in its own session (so stop() reaches its children) and record its pid."""
    pid_dir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (pid_dir / f"{name}.pid").write_text(f"{proc.pid}\n{cmd[0]}\n")
    return proc.pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this process still answers kill(0); it is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _is_ours(pid: int, program: str) -> bool:
    """Guard against a recycled pid after a crash: the process must still run the program we started."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(Path(program).name.encode() in part for part in cmdline[:3])


def stop_all(pid_dir: Path, timeout: float = 15.0) -> list[str]:
    """SIGTERM every recorded process group, SIGKILL what is left after `timeout`; returns the names stopped."""
    entries: list[tuple[str, int]] = []
    for f in sorted(pid_dir.glob("*.pid")) if pid_dir.exists() else []:
        lines = f.read_text().split()
        if len(lines) >= 2 and lines[0].isdigit() and _is_ours(int(lines[0]), lines[1]):
            entries.append((f.stem, int(lines[0])))
        f.unlink()
    for _, pid in entries:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for _, pid in entries):
        time.sleep(0.2)
    for _, pid in entries:
        if alive(pid):
            _signal_group(pid, signal.SIGKILL)
    return [name for name, _ in entries]


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def http_status(url: str, headers: dict[str, str] | None = None) -> int | None:
    try:
        resp = urllib3.request("GET", url, headers=headers or {}, timeout=2.0, retries=False)
    except urllib3.exceptions.HTTPError:
        return None
    return resp.status


def wait_for(
    what: str, ready: Callable[[], bool], *, timeout: float, pid: int | None = None, log: Path | None = None
) -> None:
    """Poll `ready` until true; fail early when `pid` died, and name `log`'s tail in the error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if pid is not None and not alive(pid):
            raise StartError(f"{what}: the process exited{_tail(log)}")
        time.sleep(0.25)
    raise StartError(f"{what}: not ready after {timeout:.0f}s{_tail(log)}")


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log} ---\n" + "\n".join(text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (each free when asked; a server should bind them soon)."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)
