"""Requests that arrive at the same instant, for the webhook acknowledgement benches.

The clock has to measure the server. httpx's async client spends ~14 ms of CPU per request: on
this 2-core machine, 50 POSTs at once to an ASGI app that answers without doing anything took
p99 686 ms through httpx and 6 ms through this (measured 2026-12-02, docs/BENCHMARKS.md). So the
burst is sent the way the platforms' servers send it, one keep-alive HTTP/1.1 connection per
delivery, with the requests written byte for byte up front and the responses read off the wire.
The servers under test are ours (uvicorn): responses carry Content-Length or are chunked.

Before the first burst the server's processes are left to finish starting: each web process loads
the embedding model in a thread of its own for its first fans (``yoppy/asgi.py``), ~15 s of both
cores that would otherwise be measured as acknowledgement time.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Reply:
    ms: float
    status: int
    body: bytes


def production_environment(settings) -> dict[str, str]:
    """What the web processes run with in production, for a server on 127.0.0.1 over plain HTTP:
    DEBUG off (DEBUG wraps every database cursor to record its queries), a SECRET_KEY of its own,
    and the bench process's field-encryption keys so the server decrypts the rows the bench wrote."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
    }


def request_bytes(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    if b"content-length" in fields:
        return status, await reader.readexactly(int(fields[b"content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


async def _burst(port: int, requests: list[bytes], timeout: float) -> list[Reply]:
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in requests]
    start = asyncio.Event()

    async def one(connection, request: bytes) -> Reply:
        reader, writer = connection
        await start.wait()
        began = time.perf_counter()
        writer.write(request)
        await writer.drain()
        status, body = await asyncio.wait_for(_read_reply(reader), timeout)
        return Reply((time.perf_counter() - began) * 1000, status, body)

    try:
        tasks = [
            asyncio.create_task(one(connection, request))
            for connection, request in zip(connections, requests, strict=True)
        ]
        await asyncio.sleep(0.05)  # every task is waiting at the gate
        start.set()
        return await asyncio.gather(*tasks)
    finally:
        for _, writer in connections:
            writer.close()


def burst(port: int, requests: list[bytes], *, timeout: float = 60) -> list[Reply]:
    """Send ``requests`` (from ``request_bytes``) at the same instant, one connection each, and
    time each until its whole response is back."""
    return asyncio.run(_burst(port, requests, timeout))


def wait_until_idle(pid: int, *, below: float = 0.10, seconds: float = 2.0, limit: float = 180.0) -> float:
    """Wait until the process ``pid`` and its children use less than ``below`` of one core over
    ``seconds``; return how long that took."""
    began = time.monotonic()
    root = psutil.Process(pid)
    while time.monotonic() - began < limit:
        processes = [root, *root.children(recursive=True)]
        before = sum(_cpu(p) for p in processes)
        time.sleep(seconds)
        if sum(_cpu(p) for p in processes) - before < below * seconds:
            break
    return time.monotonic() - began


def tree_cpu_seconds(pid: int) -> float:
    """CPU time used so far by ``pid`` and its children (the server's processes)."""
    root = psutil.Process(pid)
    return sum(_cpu(p) for p in [root, *root.children(recursive=True)])


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system
