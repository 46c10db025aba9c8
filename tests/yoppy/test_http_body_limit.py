"""Request bodies are capped per route in the ASGI path, before Django spools them to disk.

The application is driven as uvicorn drives it: a scope, a ``receive`` that hands out the body
piece by piece (here one that would yield 1 GB) and a ``send`` that collects the response.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.asgi import get_asgi_application

from yoppy.http.body_limit import MULTIPART_OVERHEAD_BYTES, BodyLimitMiddleware, body_limit_for

GIGABYTE = 1024**3
PIECE = 64 * 1024


class HugeBody:
    """A client sending ``total`` bytes in 64 KB pieces; counts what the server took."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.consumed = 0

    async def __call__(self) -> dict:
        if self.consumed >= self.total:
            await asyncio.sleep(3600)  # nothing more to send: the server must not wait for it
        piece = min(PIECE, self.total - self.consumed)
        self.consumed += piece
        return {"type": "http.request", "body": b"x" * piece, "more_body": self.consumed < self.total}


def _scope(path: str, *, content_length: int | None) -> dict:
    headers = [(b"host", b"localhost"), (b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
    }  # fmt: skip


def _call(path: str, receive, *, content_length: int | None) -> list[dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    app = BodyLimitMiddleware(get_asgi_application())
    call = app(_scope(path, content_length=content_length), receive, send)
    # A thread of its own: after the browser tests, Playwright's event loop runs in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, asyncio.wait_for(call, timeout=30)).result()
    return sent


def test_it_refuses_a_declared_gigabyte_to_a_webhook_without_reading_a_byte(settings):
    body = HugeBody(GIGABYTE)
    sent = _call("/billing/webhooks/razorpay/", body, content_length=GIGABYTE)
    assert sent[0]["status"] == 413
    assert b"at most 262,144 bytes" in sent[1]["body"]
    assert body.consumed == 0


def test_it_stops_reading_a_chunked_gigabyte_at_the_webhook_cap(settings):
    body = HugeBody(GIGABYTE)
    sent = _call("/billing/webhooks/paypal/", body, content_length=None)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]
    assert body.consumed <= settings.WEBHOOK_MAX_BODY_BYTES + PIECE


def test_caption_uploads_get_their_limit_and_other_pages_the_default(settings):
    settings.CAPTION_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    settings.CAPTION_UPLOAD_MAX_TOTAL_BYTES = 5 * 1024 * 1024
    assert body_limit_for("/dashboard/channels/12/upload/") == 5 * 1024 * 1024 + MULTIPART_OVERHEAD_BYTES
    assert body_limit_for("/bots/telegram/abc/") == settings.WEBHOOK_MAX_BODY_BYTES
    assert body_limit_for("/chat/3/ask/") == settings.REQUEST_MAX_BODY_BYTES
    body = HugeBody(GIGABYTE)
    sent = _call("/dashboard/channels/12/upload/", body, content_length=None)
    assert sent[0]["status"] == 413
    assert body.consumed <= settings.CAPTION_UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES + PIECE


def test_several_caption_files_at_once_get_the_total_upload_limit(settings):
    settings.CAPTION_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    settings.CAPTION_UPLOAD_MAX_TOTAL_BYTES = 20 * 1024 * 1024
    assert body_limit_for("/dashboard/channels/12/upload/") == 20 * 1024 * 1024 + MULTIPART_OVERHEAD_BYTES


@pytest.mark.django_db(transaction=True)
def test_a_body_under_the_cap_reaches_the_view(settings):
    settings.RAZORPAY_WEBHOOK_SECRETS = ["whsec"]
    body = HugeBody(2 * 1024)
    sent = _call("/billing/webhooks/razorpay/", body, content_length=2 * 1024)
    # The view read it all and refused the (missing) signature: a 400 from billing, not a 413.
    assert sent[0]["status"] == 400
    assert body.consumed == 2 * 1024


@pytest.fixture
def live_uvicorn(settings):
    """The served application (yoppy.asgi:application) under a real uvicorn process."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from yoppy.embedded import free_port

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yoppy.settings_test",
        # Nothing to warm: a remote embedding provider is never called at start-up.
        "EMBEDDING_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    }  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "yoppy.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/yoppy.css", timeout=2)  # noqa: S310
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"uvicorn did not start: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.3)
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def _send_until_refused(port: int, head: bytes, pieces) -> tuple[bytes, int]:  # at most 64 MB of pieces
    """Send ``head`` then ``pieces`` until the server answers or closes; (answer, bytes of body sent)."""
    import socket

    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.05)
        answer = b""
        for piece in pieces:
            with contextlib.suppress(TimeoutError):  # nothing from the server yet
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(piece)
            except OSError:
                break  # the server closed the connection under us
            sent += len(piece)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    return answer, sent


def test_a_live_uvicorn_refuses_a_declared_gigabyte_before_the_body_is_sent(live_uvicorn):
    head = (
        b"POST /billing/webhooks/razorpay/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1073741824\r\n\r\n"
    )
    answer, sent = _send_until_refused(live_uvicorn, head, (b"x" * PIECE for _ in range(1024)))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert sent < 4 * 1024 * 1024  # refused at once, not after a gigabyte


def test_a_live_uvicorn_cuts_off_a_chunked_body_at_the_webhook_cap(live_uvicorn, settings):
    head = (
        b"POST /billing/webhooks/paypal/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (PIECE, b"x" * PIECE)
    answer, sent = _send_until_refused(live_uvicorn, head, (chunk for _ in range(1024)))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert sent < settings.WEBHOOK_MAX_BODY_BYTES + 8 * 1024 * 1024
