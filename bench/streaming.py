"""50 fans streaming answers at once must not block anyone else.

    .venv/bin/python -m bench.streaming [--fans 50] [--workers N] [--arrival-s 5] [--pieces 200]
                                        [--scenario both|spread|burst]

Serves the project with uvicorn (ASGI, as in production; ``--workers`` defaults to
WEB_CONCURRENCY, as ``make run``) against the embedded services, with the LLM replaced at its HTTP
boundary by a local OpenAI-compatible server, in its own process, that streams each answer slowly
(``--pieces`` pieces 50 ms apart: 200 is 10 s, like a real model writing a long answer). Each fan
opens the public page of the demo channel, asks a question and reads the answer stream.

Two scenarios, one after the other on the same server:

- **spread**: the fans arrive evenly over ``--arrival-s`` seconds, as real traffic would; with
  answers longer than the arrival window, all of them end up streaming at the same time.
- **burst**: all fans arrive at the same instant (the worst case).

Meanwhile two probers each send one request every 100 ms: ``/healthz`` (database + Redis) and the
landing page (a normal page: a query and a template). Reported per scenario: time to first token
(from arrival, and from asking), stream duration, errors, both probes' latency over the whole
scenario and while every stream is open, and the CPU used by the server, the fake LLM and this
client (they share the machine), with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import ssl
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import django
import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
GAP_S = 0.05
PROBE_EVERY_S = 0.1


class SlowLLM(BaseHTTPRequestHandler):
    """Streams ``pieces`` chat-completion deltas ``GAP_S`` apart."""

    protocol_version = "HTTP/1.1"
    pieces = 200

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(payload: str) -> None:
            data = f"data: {payload}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        for n in range(self.pieces):
            delta = {"content": f"word{n} " + ("[1]" if n == self.pieces - 1 else "")}
            send(json.dumps({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))  # fmt: skip
            time.sleep(GAP_S)
        send("[DONE]")
        self.wfile.write(b"0\r\n\r\n")

    def handle(self) -> None:
        # The SDK closing its keep-alive connection is not an error of the benchmark.
        with contextlib.suppress(ConnectionError):
            super().handle()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def spread(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5):.0f} ms, p95 {percentile(values, 0.95):.0f} ms, max {max(values, default=0):.0f} ms"


# One TLS context for every client of this load generator. httpx builds a new one (loading the CA
# bundle, ~23 ms of CPU) for each client by default, even for http://: 50 fans arriving at once
# then blocked this process's event loop for ~1.1 s, and the probes measured that stall as the
# server's (the burst's "/healthz max 1.08 s" in two runs, see docs/BENCHMARKS.md).
TLS = ssl.create_default_context()


async def probe(base: str, path: str, stop: asyncio.Event, out: list[tuple[float, float]]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30, verify=TLS) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get(path)
            response.raise_for_status()
            out.append((started, (time.perf_counter() - started) * 1000))
            await asyncio.sleep(PROBE_EVERY_S)


async def fan(base: str, slug: str, n: int, delay_s: float, pieces: int, results: list[dict]) -> None:
    await asyncio.sleep(delay_s)
    async with httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=True, verify=TLS) as client:
        started = time.perf_counter()
        page = await client.get(f"/c/{slug}/")
        page.raise_for_status()
        token = client.cookies.get("csrftoken")
        asked = time.perf_counter()
        ask = await client.post(
            f"/chat/{page.text.split('/chat/', 1)[1].split('/', 1)[0]}/ask/",
            data={"question": f"How do I keep a sourdough starter healthy? ({n})"},
            headers={"X-CSRFToken": token, "Referer": base + f"/c/{slug}/"},
        )
        ask.raise_for_status()
        url = ask.text.split('data-stream-url="', 1)[1].split('"', 1)[0]
        first = None
        tokens = 0
        ok = False
        async with client.stream("GET", url) as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event: token"):
                    tokens += 1
                    first = first or time.perf_counter()
                elif line.startswith("event: done") or line.startswith("event: error"):
                    ok = line.endswith("done")
                    break
        ended = time.perf_counter()
        results.append({
            "ok": ok and tokens >= pieces, "ttft_ms": ((first or ended) - started) * 1000,
            "ask_ttft_ms": ((first or ended) - asked) * 1000, "stream_ms": (ended - (first or ended)) * 1000,
            "first_at": first or ended, "ended_at": ended,
        })  # fmt: skip


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


async def scenario(base: str, slug: str, *, fans: int, arrival_s: float, pieces: int, groups: dict) -> dict:
    load_before = os.getloadavg()
    cpu_before = {name: _cpu_seconds(procs()) for name, procs in groups.items()}
    psutil.cpu_percent()  # start the machine-wide counter
    healthz: list[tuple[float, float]] = []
    page: list[tuple[float, float]] = []
    stop = asyncio.Event()
    probers = [
        asyncio.create_task(probe(base, "/healthz", stop, healthz)),
        asyncio.create_task(probe(base, "/", stop, page)),
    ]
    results: list[dict] = []
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(fan(base, slug, n, arrival_s * n / fans, pieces, results) for n in range(fans)),
        return_exceptions=True,
    )
    wall = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*probers)
    cpu = {name: _cpu_seconds(procs()) - cpu_before[name] for name, procs in groups.items()}
    errors = [repr(o) for o in outcomes if isinstance(o, Exception)] + [r for r in results if not r["ok"]]
    return {
        "results": results, "errors": errors, "wall": wall, "healthz": healthz, "page": page, "cpu": cpu,
        "machine_cpu_percent": psutil.cpu_percent(), "load_before": load_before, "load_after": os.getloadavg(),
    }  # fmt: skip


def report(name: str, outcome: dict, *, fans: int) -> None:
    results = outcome["results"]
    print(f"\n== {name}: {fans} fans; {len(results)} streams read, {sum(r['ok'] for r in results)} complete, "
          f"{len(outcome['errors'])} errors; wall {outcome['wall']:.1f} s")  # fmt: skip
    for error in outcome["errors"][:5]:
        print(f"  error: {error}")
    if not results:
        return
    print(
        f"time to first token from arrival (page load, ask, stream): {spread([r['ttft_ms'] for r in results])}"
    )
    print(f"time to first token from asking: {spread([r['ask_ttft_ms'] for r in results])}")
    print(f"stream duration, first token to done: {spread([r['stream_ms'] for r in results])} "
          f"(the model alone: {SlowLLM.pieces * GAP_S * 1000:.0f} ms)")  # fmt: skip
    # Every fan streaming at once: after the last first token, before the first stream ends.
    window = (max(r["first_at"] for r in results), min(r["ended_at"] for r in results))
    for label, probes in (("/healthz", outcome["healthz"]), ("landing page /", outcome["page"])):
        print(f"{label} over the whole run: {spread([ms for _, ms in probes])} ({len(probes)} probes)")
        steady = [ms for at, ms in probes if window[0] <= at <= window[1]]
        if steady:
            print(
                f"{label} while all {fans} stream ({window[1] - window[0]:.1f} s): {spread(steady)} ({len(steady)} probes)"
            )
        else:
            print(f"{label}: no moment with all {fans} streams open (the first ended before the last began)")
    wall = outcome["wall"]
    used = ", ".join(f"{name} {cpu:.1f} s ({cpu / wall:.2f} cores)" for name, cpu in outcome["cpu"].items())
    print(f"CPU: {used}; machine {outcome['machine_cpu_percent']:.0f} % of {psutil.cpu_count()} cores; "
          f"load average {outcome['load_before'][0]:.2f} before, {outcome['load_after'][0]:.2f} after")  # fmt: skip


async def run(base: str, slug: str, args: argparse.Namespace, groups: dict) -> dict:
    # Warm up: the first answer in each worker process loads the embedding model; uvicorn spreads
    # connections over its workers, so warm with a few more fans than workers.
    await asyncio.gather(*(fan(base, slug, -1 - n, 0, args.pieces, []) for n in range(4 * args.workers)))
    baseline: list[tuple[float, float]] = []
    stop = asyncio.Event()
    prober = asyncio.create_task(probe(base, "/healthz", stop, baseline))
    await asyncio.sleep(2)
    stop.set()
    await prober
    print(f"/healthz before any load: {spread([ms for _, ms in baseline])}")
    outcomes = {}
    if args.scenario in ("both", "spread"):
        outcomes["spread"] = await scenario(
            base, slug, fans=args.fans, arrival_s=args.arrival_s, pieces=args.pieces, groups=groups
        )
        report(f"spread: arrivals over {args.arrival_s:g} s", outcomes["spread"], fans=args.fans)
    if args.scenario in ("both", "burst"):
        outcomes["burst"] = await scenario(
            base, slug, fans=args.fans, arrival_s=0, pieces=args.pieces, groups=groups
        )
        report("burst: all at once", outcomes["burst"], fans=args.fans)
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fans", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=None, help="uvicorn workers (default: WEB_CONCURRENCY)"
    )
    parser.add_argument(
        "--arrival-s", type=float, default=5.0, help="spread scenario: arrivals over this long"
    )
    parser.add_argument("--pieces", type=int, default=200, help="pieces per answer, 50 ms apart")
    parser.add_argument("--scenario", choices=["both", "spread", "burst"], default="both")
    parser.add_argument("--serve-llm", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    SlowLLM.pieces = args.pieces
    if args.serve_llm:
        # The fake LLM runs in its own process so it never waits on the fans' Python (one GIL).
        ThreadingHTTPServer(("127.0.0.1", args.serve_llm), SlowLLM).serve_forever()
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    from django.conf import settings
    from django.core.management import call_command

    from channels_app.models import Channel
    from yoppy.embedded import free_port
    from yoppy.management.commands.up import web_environment

    args.workers = args.workers or settings.WEB_CONCURRENCY
    call_command("migrate", verbosity=0)
    demo = Channel.objects.filter(is_demo=True, status=Channel.Status.READY).first()
    if demo is None:
        sys.exit("Load the demo channel first: run `make run` once (or `manage.py load_demo_channels`).")

    llm_port = free_port()
    llm = subprocess.Popen(
        [sys.executable, "-m", "bench.streaming", "--serve-llm", str(llm_port), "--pieces", str(args.pieces)],
        cwd=REPO,
    )
    port = free_port()
    env = {
        **web_environment(workers=args.workers),
        "DATABASE_URL": _database_url(settings),
        "REDIS_URL": settings.REDIS_URL,
        "LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": "bench",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
        "ANON_QUESTIONS_PER_SESSION": "100",
        "ANON_QUESTIONS_PER_IP": "100000",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "yoppy.asgi:application", "--port", str(port),
         "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
        cwd=REPO, env=env,
    )  # fmt: skip
    server_process = psutil.Process(server.pid)
    groups = {
        "server": lambda: [server_process, *server_process.children(recursive=True)],
        "fake LLM": lambda: [psutil.Process(llm.pid)],
        "this client": lambda: [psutil.Process()],
    }
    base = f"http://127.0.0.1:{port}"
    print(f"machine: {os.cpu_count()} cores; uvicorn workers: {args.workers} "
          f"(EMBEDDING_THREADS={env['EMBEDDING_THREADS']}); fans: {args.fans}; "
          f"answer: {args.pieces} pieces {int(GAP_S * 1000)} ms apart ({args.pieces * GAP_S:g} s)")  # fmt: skip
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(run(base, demo.slug, args, groups))
    finally:
        server.terminate()
        server.wait(30)
        llm.terminate()


def _database_url(settings) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


if __name__ == "__main__":
    main()
