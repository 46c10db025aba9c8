"""How fast Discord interactions are acknowledged when 50 arrive at once (Discord drops an
interaction not answered within 3 s; target p99 <= 500 ms).

    .venv/bin/python -m bench.discord_ack [--interactions 50] [--workers N] [--rounds 3]

Serves the project with uvicorn (ASGI, as in production; ``--workers`` defaults to
WEB_CONCURRENCY, as ``make run``) against the embedded services (or DATABASE_URL / REDIS_URL).
A bench-only branded bot with a throwaway Ed25519 key answers in a bench server; each round
sends ``--interactions`` distinct signed ``/ask`` interactions at the same instant (raw requests
on one open connection each, ``bench/burst.py``; the server runs with DEBUG off) and times each
until its deferred response (type 5) is back: signature
check, the processed-event row, the place lookup and the job pushed to the ``bots`` queue.
The jobs go to a Redis database of their own (index 13) that no worker reads, so nothing is
answered and nothing calls Discord; they, the bot and its rows are deleted at the end.
A round of PINGs (signature check only) is timed the same way for comparison, and the same
asks one at a time (the cost of one acknowledgement, without waiting behind the others).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import django

from bench.burst import burst, production_environment, request_bytes, tree_cpu_seconds, wait_until_idle

REPO = Path(__file__).resolve().parents[1]
BENCH_REDIS_DB = "13"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def signed(app_id: str, body: bytes, key) -> bytes:
    """The request Discord would send: Ed25519 over timestamp + body, signed before the clock starts."""
    timestamp = str(int(time.time()))
    signature = key.sign(timestamp.encode() + body).signature.hex()
    headers = {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    return request_bytes(f"/bots/discord/{app_id}/interactions/", body, headers)


def timed(port: int, app_id: str, bodies: list[bytes], key) -> list[tuple[float, int, int]]:
    replies = burst(port, [signed(app_id, body, key) for body in bodies])
    return [(r.ms, r.status, json.loads(r.body).get("type", 0) if r.status == 200 else 0) for r in replies]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--workers", type=int, default=None, help="uvicorn workers (default: WEB_CONCURRENCY)"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    import httpx
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from nacl.signing import SigningKey
    from rq import Queue
    from rq.serializers import JSONSerializer

    from bots.models import Bot, Place
    from channels_app.models import Channel
    from yoppy.embedded import free_port
    from yoppy.management.commands.up import web_environment
    from yoppy.users.models import User

    args.workers = args.workers or settings.WEB_CONCURRENCY
    call_command("migrate", verbosity=0)
    tag = str(time.time_ns())
    key = SigningKey.generate()
    user = User.objects.create_user(email=f"bench-discord-{tag}@yoppy.invalid", password=None)
    channel = Channel.objects.create(owner=user, kind=Channel.Kind.CHANNEL, title="Bench persona",
                                     source_url=f"https://www.youtube.com/@bench{tag}", source_key=f"bench:{tag}",
                                     status=Channel.Status.READY)  # fmt: skip
    app_id = str(900000000000000000 + int(tag) % 10**17)
    bot = Bot.objects.create(platform="discord", external_id=app_id, owner=user, channel=channel,
                             public_key=key.verify_key.encode().hex(), name="bench")  # fmt: skip
    guild_id = "123456789012345678"
    Place.objects.create(bot=bot, external_id=guild_id, account=user, kind="guild")
    redis_url = f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{BENCH_REDIS_DB}"
    bench_queue = Queue("bots", connection=redis.Redis.from_url(redis_url), serializer=JSONSerializer)
    bench_queue.empty()

    port = free_port()
    env = {**web_environment(workers=args.workers), "DATABASE_URL": _database_url(settings),
           "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", **production_environment(settings)}  # fmt: skip
    env.pop("REDIS_DB", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "yoppy.asgi:application", "--port", str(port),
         "--workers", str(args.workers), "--log-level", "warning", "--no-access-log",
         "--timeout-keep-alive", "60"],  # the burst's connections are opened first, then wait
        cwd=REPO, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    counter = iter(range(10**6))

    def interaction(kind: int) -> bytes:
        n = next(counter)
        payload = {"type": kind, "id": f"{tag}{n}", "application_id": app_id, "token": f"bench-token-{n}",
                   "guild_id": guild_id, "channel_id": "1",
                   "member": {"user": {"id": str(10**17 + n), "username": f"fan{n}"}, "permissions": "0"},
                   "data": {"type": 1, "name": "ask", "options": [
                       {"type": 3, "name": "question", "value": f"What is in video number {n}?"}]}}  # fmt: skip
        return json.dumps(payload).encode()

    results: dict[str, list[tuple[float, int, int]]] = {"ask": [], "ping": [], "ask 1-by-1": []}
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        settled = wait_until_idle(server.pid)
        timed(port, app_id, [interaction(2) for _ in range(args.workers * 2)], key)  # warm-up
        ask_cpu = 0.0
        for number in range(1, args.rounds + 1):
            bodies = [interaction(2) for _ in range(args.interactions)]
            cpu_before = tree_cpu_seconds(server.pid)
            rows = timed(port, app_id, bodies, key)
            ask_cpu += tree_cpu_seconds(server.pid) - cpu_before
            results["ask"] += rows
            print(
                f"round {number}: ask p50 {percentile([r[0] for r in rows], 0.5):6.1f} ms  max {max(r[0] for r in rows):6.1f} ms"
            )
            results["ping"] += timed(port, app_id, [interaction(1) for _ in range(args.interactions)], key)
        # The same asks one at a time: what one acknowledgement costs without waiting for others.
        for _ in range(args.interactions):
            results["ask 1-by-1"] += timed(port, app_id, [interaction(2)], key)
        queued = bench_queue.count
    finally:
        server.terminate()
        server.wait(30)
        bench_queue.empty()
        bot.delete()
        channel.delete()
        user.delete()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}; uvicorn workers: {args.workers}, idle after {settled:.0f} s")  # fmt: skip
    for name, rows in results.items():
        times = [ms for ms, _, _ in rows]
        statuses = sorted({status for _, status, _ in rows})
        kinds = sorted({kind for _, _, kind in rows})
        label = (
            f"{len(rows)} one at a time"
            if "1-by-1" in name
            else f"{args.rounds} rounds x {args.interactions} at once"
        )
        print(f"{name:<10} {label}: p50 {percentile(times, 0.5):6.1f} ms  "
              f"p95 {percentile(times, 0.95):6.1f} ms  p99 {percentile(times, 0.99):6.1f} ms  max {max(times):6.1f} ms  "
              f"status {statuses} response types {kinds}")  # fmt: skip
    expected = (args.rounds + 1) * args.interactions + args.workers * 2
    print(
        f"server CPU per ask in a burst: {ask_cpu * 1000 / (args.rounds * args.interactions):.1f} ms "
        "(web processes only; PostgreSQL and Redis not counted)"
    )
    print(f"asks queued on the bots queue: {queued} (expected {expected})")
    print(f"ack_p99_ms = {percentile([ms for ms, _, _ in results['ask']], 0.99):.1f}")


def _database_url(settings) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


if __name__ == "__main__":
    main()
