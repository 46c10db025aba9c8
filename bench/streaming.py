"""50 fans streaming answers at once must not block anyone else.

    .venv/bin/python -m bench.streaming [--fans 50] [--workers 1]

Serves the project with uvicorn (ASGI, as in production) against the embedded services, with the
LLM replaced at its HTTP boundary by a local OpenAI-compatible server that streams each answer
slowly (40 pieces, 50 ms apart: ~2 s per answer, like a real model). Then ``--fans`` anonymous
fans each open the public page of the demo channel, ask a question and read the answer stream,
all at once, while a prober requests /healthz every 100 ms. Reported: /healthz latency before
and during the load, time to first token and total stream time per fan, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import django
import httpx

REPO = Path(__file__).resolve().parents[1]
PIECES, GAP_S = 60, 0.05  # 3 s per answer


class SlowLLM(BaseHTTPRequestHandler):
    """Streams ``PIECES`` chat-completion deltas ``GAP_S`` apart."""

    protocol_version = "HTTP/1.1"

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

        for n in range(PIECES):
            delta = {"content": f"word{n} " + ("[1]" if n == PIECES - 1 else "")}
            send(json.dumps({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))  # fmt: skip
            time.sleep(GAP_S)
        send("[DONE]")
        self.wfile.write(b"0\r\n\r\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def probe(base: str, stop: asyncio.Event, out: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get("/healthz")
            response.raise_for_status()
            out.append((started, (time.perf_counter() - started) * 1000))
            await asyncio.sleep(0.1)


async def fan(base: str, slug: str, n: int, results: list[dict]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=True) as client:
        started = time.perf_counter()
        page = await client.get(f"/c/{slug}/")
        page.raise_for_status()
        token = client.cookies.get("csrftoken")
        ask = await client.post(
            f"/chat/{page.text.split('/chat/', 1)[1].split('/', 1)[0]}/ask/",
            data={"question": f"How do I keep a sourdough starter healthy? ({n})"},
            headers={"X-CSRFToken": token, "Referer": base + f"/c/{slug}/"},
        )
        ask.raise_for_status()
        url = ask.text.split('data-stream-url="', 1)[1].split('"', 1)[0]
        first = None
        tokens = 0
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
            "ok": ok and tokens >= PIECES, "ttft_ms": ((first or ended) - started) * 1000,
            "total_ms": (ended - started) * 1000, "tokens": tokens, "first_at": first or ended, "ended_at": ended,
        })  # fmt: skip


async def run(base: str, slug: str, fans: int) -> dict:
    # Warm up: the first answer in each worker process loads the embedding model.
    await asyncio.gather(*(fan(base, slug, -1 - n, []) for n in range(4)))
    baseline: list[float] = []
    stop = asyncio.Event()
    prober = asyncio.create_task(probe(base, stop, baseline))
    await asyncio.sleep(2)
    stop.set()
    await prober

    during: list[float] = []
    stop = asyncio.Event()
    prober = asyncio.create_task(probe(base, stop, during))
    results: list[dict] = []
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(fan(base, slug, n, results) for n in range(fans)), return_exceptions=True)
    wall = time.perf_counter() - started
    stop.set()
    await prober
    errors = [repr(o) for o in outcomes if isinstance(o, Exception)] + [r for r in results if not r["ok"]]
    return {"baseline": baseline, "during": during, "results": results, "errors": errors, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fans", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--serve-llm", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_llm:
        # The fake LLM runs in its own process so it never waits on the fans' Python (one GIL).
        ThreadingHTTPServer(("127.0.0.1", args.serve_llm), SlowLLM).serve_forever()
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from channels_app.models import Channel
    from yoppy.embedded import free_port

    call_command("migrate", verbosity=0)
    demo = Channel.objects.filter(is_demo=True, status=Channel.Status.READY).first()
    if demo is None:
        sys.exit("Load the demo channel first: run `make run` once (or `manage.py load_demo_channels`).")

    llm_port = free_port()
    llm = subprocess.Popen([sys.executable, "-m", "bench.streaming", "--serve-llm", str(llm_port)], cwd=REPO)
    port = free_port()
    env = {
        **os.environ,
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
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        httpx.get(f"{base}/c/{demo.slug}/", timeout=30)  # warm the worker (imports, model load)
        outcome = asyncio.run(run(base, demo.slug, args.fans))
    finally:
        server.terminate()
        server.wait(20)
        llm.terminate()

    results = outcome["results"]
    baseline = [ms for _, ms in outcome["baseline"]]
    during = [ms for _, ms in outcome["during"]]
    # While every fan is streaming: after the last first token, before the first stream ends.
    window = (max(r["first_at"] for r in results), min(r["ended_at"] for r in results))
    steady = [ms for at, ms in outcome["during"] if window[0] <= at <= window[1]]
    ttft = [r["ttft_ms"] for r in results]
    total = [r["total_ms"] for r in results]
    print(f"machine: {os.cpu_count()} cores; uvicorn workers: {args.workers}; fans: {args.fans}; "
          f"answer: {PIECES} pieces {int(GAP_S * 1000)} ms apart")  # fmt: skip
    print(f"/healthz before: p50 {percentile(baseline, .5):.1f} ms p95 {percentile(baseline, .95):.1f} ms")
    print(f"/healthz whole run: p50 {percentile(during, .5):.1f} ms p95 {percentile(during, .95):.1f} ms "
          f"max {max(during):.1f} ms ({len(during)} probes; includes the arrival burst: {args.fans} page "
          "loads, questions and retrievals at once)")  # fmt: skip
    if steady:
        print(f"/healthz while all {args.fans} stream: p50 {percentile(steady, .5):.1f} ms "
              f"p95 {percentile(steady, .95):.1f} ms max {max(steady):.1f} ms ({len(steady)} probes, "
              f"{window[1] - window[0]:.1f} s window)")  # fmt: skip
    print(f"time to first token: p50 {percentile(ttft, .5):.0f} ms p95 {percentile(ttft, .95):.0f} ms")
    print(f"whole answer: p50 {percentile(total, .5):.0f} ms p95 {percentile(total, .95):.0f} ms "
          f"(model alone: {PIECES * GAP_S * 1000:.0f} ms); mean {statistics.mean(total):.0f} ms")  # fmt: skip
    print(f"streams completed: {sum(r['ok'] for r in results)}/{args.fans}; errors: {len(outcome['errors'])}")
    for error in outcome["errors"][:5]:
        print(f"  {error}")


def _database_url(settings) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


if __name__ == "__main__":
    main()
