"""A private network namespace with its own loopback, entered by one worker thread of this process.

The project's own `dapr.yaml` and `make dapr-up` use fixed ports (apps 8101+, daprd 3501+, Kafka 9092,
Zipkin 9411), and other people's stacks on a shared machine may hold them. Inside a namespace of its
own a test can run those very files on those very ports, and nothing outside can clash with it.

Linux keeps the network namespace per thread: the worker calls unshare(CLONE_NEWNET) and brings `lo` up;
every socket it opens, and every process it starts, lives in that namespace. `call` runs a function
there; `run`/`popen` start processes there. Needs CAP_SYS_ADMIN (root).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import urllib3

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def unavailable() -> str | None:
    """Why a namespace cannot be made here, or None."""
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "a private network namespace needs root (CAP_SYS_ADMIN)"
    return None


def _enter_new_namespace() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
    # A new namespace's loopback is down: 127.0.0.1 answers nothing until it is up.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


class NetNamespace:
    def __enter__(self) -> NetNamespace:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netns")
        self._worker.submit(_enter_new_namespace).result(timeout=30)
        self._http = urllib3.PoolManager(retries=False)  # its connections are opened by the worker: inside
        return self

    def __exit__(self, *_: object) -> None:
        self._worker.shutdown(wait=True)

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 600.0, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` inside the namespace; bounded, so a hang fails instead of blocking."""
        return self._worker.submit(fn, *args, **kwargs).result(timeout=timeout)

    def run(self, cmd: list[str], *, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("capture_output", True)
        return self.call(lambda: subprocess.run(cmd, text=True, timeout=timeout, **kwargs), timeout=timeout + 30)

    def popen(self, cmd: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        return self.call(subprocess.Popen, cmd, **kwargs)

    def http(self, method: str, url: str, *, timeout: float = 10.0, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        """An HTTP request from inside (a refused connection answers status 0)."""

        def request() -> urllib3.BaseHTTPResponse:
            try:
                return self._http.request(method, url, timeout=timeout, **kwargs)
            except urllib3.exceptions.HTTPError:
                return urllib3.HTTPResponse(status=0)

        return self.call(request, timeout=timeout + 10)
