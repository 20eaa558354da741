"""A Zipkin span sink for one machine: daprd exports its spans here instead of failing to connect.

`python -m bindings.devstack.zipkin_sink PORT FILE` accepts `POST /api/v2/spans` (a JSON array of spans) and
appends each span as one JSON line to FILE, so tests and people can see which calls were traced.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 8 * 1024 * 1024


def serve(port: int, out: Path) -> None:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/api/v2/spans" or not 0 < length <= MAX_BODY:
                self.send_error(404 if self.path != "/api/v2/spans" else 413)
                return
            try:
                spans = json.loads(self.rfile.read(length))
            except ValueError:
                self.send_error(400, "spans must be a JSON array")
                return
            with lock, out.open("a") as f:
                for span in spans if isinstance(spans, list) else []:
                    f.write(json.dumps(span) + "\n")
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:  # one line per export batch would drown the log
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]))
