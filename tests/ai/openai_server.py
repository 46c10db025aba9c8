"""A small OpenAI-compatible HTTP server for tests: the outside world, replaced at its HTTP boundary.

It speaks just enough of the API for the real ``openai`` and ``groq`` SDKs: ``POST
.../chat/completions`` (plain JSON, or SSE when the request says ``"stream": true``) and ``POST
.../embeddings``. Each request consumes the next scripted action; tests then read ``requests`` to
see what the client sent (and how many times).

    server = OpenAIServer().start()
    server.answer("Hel", "lo")           # next request: the answer "Hello", streamed as two pieces
    server.fail(500, times=2)            # the next two requests: HTTP 500
    server.hang()                        # the next request: no answer until stop()
    ... OpenAI(base_url=server.url) ...
    server.stop()

With nothing scripted, embeddings get a deterministic vector per text (``fake_embedding``) with
the ``data`` entries deliberately shuffled, and chat requests get HTTP 418 so a missing script
fails loudly instead of passing by luck.
"""

from __future__ import annotations

import json
import random
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np


def fake_embedding(text: str, dim: int) -> list[float]:
    """The (not normalised) vector the server returns for ``text``: the same text, the same vector."""
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    return [float(x) for x in rng.standard_normal(dim)]


@dataclass
class _Action:
    kind: str  # "answer", "fail" or "hang"
    pieces: tuple[str, ...] = ()
    status: int = 200
    stall_after: int | None = None  # stream: send this many pieces, then go silent
    piece_delay_s: float = 0.0  # stream: wait this long before each piece (a model writing slowly)


@dataclass
class RecordedRequest:
    path: str
    body: dict[str, Any] = field(default_factory=dict)


class OpenAIServer:
    """See the module docstring. Binds 127.0.0.1 on a free port; ``url`` ends with ``/v1``.

    Other providers' servers (tests/ai/provider_servers.py) share the scripting and swap the
    request handler (``handler``) for one speaking their wire format.
    """

    handler: type[BaseHTTPRequestHandler]  # set below, once _Handler exists

    def __init__(self, *, embedding_dim: int = 1536, seed: int = 0) -> None:
        self.embedding_dim = embedding_dim
        self.requests: list[RecordedRequest] = []
        self._actions: list[_Action] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # set by stop(): hanging handlers give up
        self._random = random.Random(seed)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle

    def start(self) -> OpenAIServer:
        server = self

        class Handler(self.handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._httpd is not None, "call start() first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def root_url(self) -> str:
        """Without ``/v1``: the Groq SDK adds its own ``/openai/v1`` prefix."""
        return self.url.removesuffix("/v1")

    # --- scripting

    def answer(self, *pieces: str, stall_after: int | None = None, piece_delay_s: float = 0.0) -> None:
        """The next request gets this answer: joined as one message, or one SSE chunk per piece
        (``piece_delay_s`` apart)."""
        with self._lock:
            self._actions.append(
                _Action("answer", pieces=pieces, stall_after=stall_after, piece_delay_s=piece_delay_s)
            )

    def fail(self, status: int, *, times: int = 1) -> None:
        """The next ``times`` requests get an HTTP error with an OpenAI-style error body."""
        with self._lock:
            self._actions.extend(_Action("fail", status=status) for _ in range(times))

    def hang(self, *, times: int = 1) -> None:
        """The next ``times`` requests get no answer at all (the client's timeout must act)."""
        with self._lock:
            self._actions.extend(_Action("hang") for _ in range(times))

    def _next_action(self, request: RecordedRequest) -> _Action | None:
        with self._lock:
            self.requests.append(request)
            return self._actions.pop(0) if self._actions else None

    def _shuffled(self, items: list[Any]) -> list[Any]:
        with self._lock:
            shuffled = items[:]
            self._random.shuffle(shuffled)
            if len(shuffled) > 1 and shuffled == items:
                shuffled.reverse()  # the point is to be out of order; make sure it is
            return shuffled

    def requests_to(self, suffix: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(suffix)]


class _Handler(BaseHTTPRequestHandler):
    owner: Any  # the OpenAIServer (or subclass) this handler serves
    # HTTP/1.0: the connection closes after each answer, which ends an SSE body without chunking.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        request = RecordedRequest(path=self.path, body=body)
        action = self.owner._next_action(request)

        if action is not None and action.kind == "hang":
            self.owner._release.wait(timeout=30)
            return
        if action is not None and action.kind == "fail":
            self._send_json(
                action.status, {"error": {"message": f"scripted {action.status}", "type": "server_error"}}
            )
            return
        if self.path.endswith("/embeddings"):
            self._send_embeddings(body)
        elif self.path.endswith("/chat/completions"):
            if action is None:
                self._send_json(418, {"error": {"message": "nothing scripted for this request"}})
            elif body.get("stream"):
                self._send_stream(body, action)
            else:
                self._send_completion(body, action)
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_embeddings(self, body: dict[str, Any]) -> None:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": fake_embedding(text, self.owner.embedding_dim)}
            for i, text in enumerate(texts)
        ]
        payload = {
            "object": "list",
            "data": self.owner._shuffled(data),
            "model": body.get("model"),
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }
        self._send_json(200, payload)

    def _send_completion(self, body: dict[str, Any], action: _Action) -> None:
        self._send_json(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(action.pieces)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )

    def _send_stream(self, body: dict[str, Any], action: _Action) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

        def event(delta: dict[str, Any], finish_reason: str | None) -> None:
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body.get("model"),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        event({"role": "assistant", "content": ""}, None)
        for sent, piece in enumerate(action.pieces):
            if action.stall_after is not None and sent == action.stall_after:
                self.owner._release.wait(timeout=30)
                return
            if action.piece_delay_s:
                time.sleep(action.piece_delay_s)
            try:
                event({"content": piece}, None)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client stopped reading (a stopped answer)
        event({}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


OpenAIServer.handler = _Handler
