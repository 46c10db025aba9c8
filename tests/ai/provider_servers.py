"""Small local servers speaking Anthropic's, Gemini's and Ollama's own wire formats, for tests.

They script and record exactly like ``OpenAIServer`` (``answer``, ``fail``, ``hang``,
``requests_to``); only the handler differs. The shapes follow each provider's API reference:

- Anthropic Messages API (docs.anthropic.com/en/api/messages and /en/api/messages-streaming):
  ``POST /v1/messages``; a ``message`` object with ``content`` text blocks, or, with
  ``"stream": true``, SSE events ``message_start``, ``content_block_start``, ``ping``,
  ``content_block_delta`` (``text_delta``), ``content_block_stop``, ``message_delta``,
  ``message_stop``; errors as ``{"type": "error", "error": {"type", "message"}}``.
- Gemini API (ai.google.dev/api/generate-content): ``POST /v1[beta]/models/{model}:generateContent``
  returns a ``GenerateContentResponse`` (``candidates[].content.parts[].text``, ``finishReason``,
  ``usageMetadata``); ``:streamGenerateContent?alt=sse`` sends one such response per SSE ``data:``
  frame, with no ``[DONE]`` sentinel; errors as ``{"error": {"code", "message", "status"}}``.
- Ollama API (docs.ollama.com/api/chat, github.com/ollama/ollama docs/api.md): ``POST /api/chat``
  streams by default as NDJSON lines ``{"model", "created_at", "message": {"role", "content"},
  "done": false}``, then a last line with ``"done": true``, ``done_reason`` and the counters;
  ``"stream": false`` gets that last object with the whole message; errors as ``{"error": "..."}``.
"""

from __future__ import annotations

import json
from typing import Any

from tests.ai.openai_server import OpenAIServer, RecordedRequest, _Action, _Handler


class _ProviderHandler(_Handler):
    """Reads the request, takes the next scripted action, hands a served answer to ``serve``."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        action = self.owner._next_action(RecordedRequest(path=self.path, body=body))
        if action is not None and action.kind == "hang":
            self.owner._release.wait(timeout=30)
            return
        if action is not None and action.kind == "fail":
            self._send_json(action.status, self.error_body(action.status))
            return
        if action is None:
            self._send_json(418, self.error_body(418))
            return
        self.serve(body, action)

    def error_body(self, status: int) -> dict[str, Any]:
        raise NotImplementedError

    def serve(self, body: dict[str, Any], action: _Action) -> None:
        raise NotImplementedError

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def _write(self, data: str) -> None:
        self.wfile.write(data.encode())
        self.wfile.flush()

    @staticmethod
    def _stalls(action: _Action) -> bool:
        return action.stall_after is not None and action.stall_after < len(action.pieces)

    def _pieces(self, action: _Action):
        """The pieces to stream; stops (and stays silent) at ``stall_after``."""
        for sent, piece in enumerate(action.pieces):
            if action.stall_after is not None and sent == action.stall_after:
                self.owner._release.wait(timeout=30)
                return
            yield piece


# --- Anthropic


class _AnthropicHandler(_ProviderHandler):
    def error_body(self, status: int) -> dict[str, Any]:
        kind = {429: "rate_limit_error", 401: "authentication_error", 529: "overloaded_error"}.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        return {"type": "error", "error": {"type": kind, "message": f"scripted {status}"}}

    def serve(self, body: dict[str, Any], action: _Action) -> None:
        if not self.path.endswith("/v1/messages"):
            self._send_json(404, self.error_body(404))
            return
        message = {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1},
        }
        if not body.get("stream"):
            message["content"] = [{"type": "text", "text": "".join(action.pieces)}]
            message["stop_reason"] = "end_turn"
            self._send_json(200, message)
            return

        self._start_stream("text/event-stream")

        def event(kind: str, data: dict[str, Any]) -> None:
            self._write(f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n")

        event("message_start", {"message": message})
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        event("ping", {})
        for piece in self._pieces(action):
            event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
        if self._stalls(action):
            return
        event("content_block_stop", {"index": 0})
        event(
            "message_delta",
            {"delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 5}},
        )
        event("message_stop", {})


class AnthropicServer(OpenAIServer):
    """Speaks Anthropic's Messages API; ``root_url`` is the SDK's base URL (it adds ``/v1``)."""

    handler = _AnthropicHandler


# --- Gemini


class _GeminiHandler(_ProviderHandler):
    def error_body(self, status: int) -> dict[str, Any]:
        name = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED"}.get(
            status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION"
        )
        return {"error": {"code": status, "message": f"scripted {status}", "status": name}}

    def serve(self, body: dict[str, Any], action: _Action) -> None:
        model = self.path.split("/models/", 1)[-1].split(":", 1)[0]

        def response(text: str, finish: str | None) -> dict[str, Any]:
            candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
            if finish:
                candidate["finishReason"] = finish
            return {
                "candidates": [candidate],
                "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 5, "totalTokenCount": 17},
                "modelVersion": model,
                "responseId": "resp-test",
            }

        if ":generateContent" in self.path:
            self._send_json(200, response("".join(action.pieces), "STOP"))
        elif ":streamGenerateContent" in self.path:
            self._start_stream("text/event-stream")
            pieces = list(action.pieces)
            for sent, piece in enumerate(self._pieces(action)):
                last = sent == len(pieces) - 1
                self._write(f"data: {json.dumps(response(piece, 'STOP' if last else None))}\r\n\r\n")
        else:
            self._send_json(404, self.error_body(404))


class GeminiServer(OpenAIServer):
    """Speaks Gemini's generateContent API; ``root_url`` is the API root (the SDK adds /v1beta)."""

    handler = _GeminiHandler


# --- Ollama


class _OllamaHandler(_ProviderHandler):
    def error_body(self, status: int) -> dict[str, Any]:
        return {"error": f"scripted {status}"}

    def serve(self, body: dict[str, Any], action: _Action) -> None:
        if self.path != "/api/chat":
            self._send_json(404, self.error_body(404))
            return
        created = "2026-12-01T12:00:00.000000Z"
        last = {
            "model": body.get("model"),
            "created_at": created,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 4_883_583,
            "load_duration": 1_334,
            "prompt_eval_count": 12,
            "prompt_eval_duration": 342_546,
            "eval_count": len(action.pieces),
            "eval_duration": 4_535_599,
        }
        if body.get("stream") is False:
            last["message"]["content"] = "".join(action.pieces)
            self._send_json(200, last)
            return
        self._start_stream("application/x-ndjson")
        for piece in self._pieces(action):
            line = {
                "model": body.get("model"),
                "created_at": created,
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            self._write(json.dumps(line) + "\n")
        if self._stalls(action):
            return
        self._write(json.dumps(last) + "\n")


class OllamaServer(OpenAIServer):
    """Speaks Ollama's native API; ``root_url`` is what OLLAMA_BASE_URL would be."""

    handler = _OllamaHandler
