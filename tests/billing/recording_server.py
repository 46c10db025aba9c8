"""A local HTTP server standing in for a payment provider's API: it answers each (method, path)
with the answers given, in turn (the last one repeats), and records every request."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RecordingServer:
    """``answer(method, path, (status, body[, delay s]), ...)``; unknown paths get ``not_found``."""

    def __init__(self, *, not_found: bytes = b'{"error": {"code": "NOT_FOUND"}}') -> None:
        self.requests: list[Recorded] = []
        self.routes: dict[tuple[str, str], list[tuple[int, bytes, float]]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                             self.rfile.read(length))
                )  # fmt: skip
                answers = server.routes.get((self.command, self.path)) or [(404, not_found, 0.0)]
                status, body, delay = answers.pop(0) if len(answers) > 1 else answers[0]
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (timeout tests)

            do_GET = do_POST = do_PATCH = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, method: str, path: str, *answers: tuple[int, bytes] | tuple[int, bytes, float]) -> None:
        self.routes[(method, path)] = [(a[0], a[1], a[2] if len(a) > 2 else 0.0) for a in answers]

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
