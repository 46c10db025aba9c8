"""How fast Telegram's webhook deliveries are acknowledged when 50 arrive at once.

    .venv/bin/python -m bench.telegram_ack [--rounds 5] [--burst 50]

Telegram retries an update it has no answer for and backs off a slow webhook; Yoppy answers
after the secret check, the update_id row and the job push, and does the rest on the ``bots``
queue. This starts the real ASGI server (uvicorn, ``yoppy.asgi``, WEB_CONCURRENCY processes as
``make run`` does, or ``--workers``) on a free port
against the embedded PostgreSQL and Redis (or DATABASE_URL / REDIS_URL), then sends ``--rounds``
bursts of ``--burst`` distinct private-chat questions at once over HTTP (one connection each,
as Telegram's servers do) and reports the time to each 200. The jobs go to Redis database 14,
which no worker reads, and are deleted at the end with the bench's bot and its rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

from bench.burst import burst, production_environment, request_bytes, tree_cpu_seconds, wait_until_idle

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-telegram-secret-0123456789abcdefghijklmnop"  # noqa: S105  (the bench's own bot)
REDIS_DB = "14"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _update(n: int, tag: int) -> bytes:
    user = 500000000 + n
    return json.dumps({
        "update_id": tag * 1000 + n,
        "message": {"message_id": n + 1, "date": 1441645532, "text": f"How much flour goes into starter number {n}?",
                    "chat": {"id": user, "type": "private", "first_name": "Bench"},
                    "from": {"id": user, "is_bot": False, "first_name": "Bench"}},
    }).encode()  # fmt: skip


def _request(path: str, body: bytes) -> bytes:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    return request_bytes(path, body, headers)


def _timed(port: int, path: str, bodies: list[bytes]) -> list[tuple[float, int]]:
    return [(reply.ms, reply.status) for reply in burst(port, [_request(path, body) for body in bodies])]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--workers", type=int, default=0, help="uvicorn processes (default: WEB_CONCURRENCY)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["REDIS_DB"] = REDIS_DB
    sys.path.insert(0, str(REPO))
    django.setup()

    import logging

    import django_rq
    import httpx
    from django.conf import settings

    logging.getLogger("httpx").setLevel(logging.WARNING)
    workers = args.workers or settings.WEB_CONCURRENCY

    from bots.models import Bot, Place, PlatformName

    tag = int(time.time())
    bot_external_id = str(900000000 + tag % 100000000)
    bot = Bot(
        platform=PlatformName.TELEGRAM, external_id=bot_external_id, is_shared=True, username="bench_bot"
    )
    bot.set_webhook_secret(SECRET)
    bot.save()
    port = _free_port()
    env = {**os.environ, "REDIS_DB": REDIS_DB, **production_environment(settings)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "yoppy.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=REPO, env=env,
    )  # fmt: skip
    path = f"/bots/telegram/{bot_external_id}/webhook/"
    rounds: list[list[tuple[float, int]]] = []
    try:
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        settled = wait_until_idle(server.pid)
        _timed(port, path, [_update(n, tag - 1) for n in range(5)])  # warm up the process
        cpu = 0.0
        for round_number in range(args.rounds):
            bodies = [_update(round_number * args.burst + n, tag) for n in range(args.burst)]
            cpu_before = tree_cpu_seconds(server.pid)
            rounds.append(_timed(port, path, bodies))
            cpu += tree_cpu_seconds(server.pid) - cpu_before
            time.sleep(0.5)
        queued = django_rq.get_queue("bots").count
    finally:
        server.terminate()
        server.wait(timeout=30)
        django_rq.get_queue("bots").empty()
        Place.objects.filter(bot=bot).delete()
        bot.delete()

    times = sorted(ms for result in rounds for ms, _ in result)
    codes = sorted({code for result in rounds for _, code in result})
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}, {workers} uvicorn process(es), idle after {settled:.0f} s")  # fmt: skip
    for number, result in enumerate(rounds, start=1):
        ordered = sorted(ms for ms, _ in result)
        print(f"burst {number}: {len(result)} at once  p50 {statistics.median(ordered):6.1f} ms  "
              f"max {ordered[-1]:6.1f} ms")  # fmt: skip
    print(f"all {len(times)}: p50 {statistics.median(times):.1f} ms  p99 {p99:.1f} ms  max {times[-1]:.1f} ms  "
          f"status {codes}  jobs queued {queued} (expected {len(times) + 5})")  # fmt: skip
    print(f"server CPU per update in a burst: {cpu * 1000 / len(times):.1f} ms (web processes only)")
    print(f"ack_p99_ms = {p99:.1f}")


if __name__ == "__main__":
    main()
