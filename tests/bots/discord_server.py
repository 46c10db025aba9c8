"""A local HTTP server standing in for Discord's REST API: it records every call (edits,
follow-ups, deletes, command registration, profile sync, channel posts) and answers each
(method, path) with the answers scripted for it, in turn (the last one repeats). Unscripted
calls get 200 with ``{}`` (204 for DELETE), as Discord answers a successful edit or delete.

Paths are matched without the /api/v10 prefix the settings point at, and an interaction token
in a path is matched by the ``{token}`` placeholder."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/api/v10"


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class DiscordServer:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.routes: dict[tuple[str, str], list[tuple[int, Any, dict[str, str]]]] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path in server.files:
                    content, content_type = server.files[self.path]
                    self._send(200, content, {"Content-Type": content_type})
                    return
                path = self.path.removeprefix(PREFIX)
                call = Call(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with server._lock:
                    server.calls.append(call)
                    answers = server.routes.get((self.command, server.pattern(path)))
                    if answers:
                        status, payload, headers = answers.pop(0) if len(answers) > 1 else answers[0]
                    else:
                        status, payload, headers = (204, None, {}) if self.command == "DELETE" else (200, {}, {})
                data = b"" if payload is None else json.dumps(payload).encode()
                self._send(status, data, {"Content-Type": "application/json", **headers})

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.root = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.url = self.root + PREFIX
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @staticmethod
    def pattern(path: str) -> str:
        """/webhooks/<app>/<token>/... with the token replaced by {token}."""
        return re.sub(r"^(/webhooks/\d+)/[^/]+", r"\1/{token}", path.split("?")[0])

    def answer(self, method: str, path: str, *answers: tuple[int, Any] | tuple[int, Any, dict[str, str]]) -> None:
        self.routes[(method, path)] = [(a[0], a[1], a[2] if len(a) > 2 else {}) for a in answers]

    def serve_file(self, path: str, content: bytes, content_type: str) -> str:
        self.files[path] = (content, content_type)
        return self.root + path

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and self.pattern(c.path) == pattern]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
