"""The widget loader's size as a host page downloads it (issue 16: target <= 10 KB gzipped), and
with ``--counters`` the cost of the usage counters on the hot path and of their flush.

    .venv/bin/python -m bench.widget_loader [--counters 20000]

The size is of static/widgets/embed.js as /embed.js serves it (no minifier: what ships is the
readable file), raw and gzipped at levels 6 (nginx's and most CDNs' default) and 9. The counters
run against the embedded Redis and PostgreSQL (or REDIS_URL / DATABASE_URL): N events from 4
threads through ``widget_event_count`` (one HINCRBY each), then one ``widget_stats_flush``; the
widget it creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOADER = REPO / "static" / "widgets" / "embed.js"
TARGET_GZIP_BYTES = 10 * 1024


def loader_sizes() -> dict[str, int]:
    raw = LOADER.read_bytes()
    return {
        "raw": len(raw),
        "gzip-6": len(gzip.compress(raw, compresslevel=6, mtime=0)),
        "gzip-9": len(gzip.compress(raw, compresslevel=9, mtime=0)),
    }


def counters(events: int) -> dict[str, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.db import connection

    from channels_app.models import Channel
    from widgets import services
    from widgets.models import WidgetDailyStat
    from yoppy.users.models import User

    owner, _ = User.objects.get_or_create(email="bench-widget@yoppy.local")
    channel = Channel.objects.create(owner=owner, kind=Channel.Kind.UPLOADS, source_url="https://example.com/bench",
                                     source_key=f"bench-widget-{time.time_ns()}", title="Bench")
    widget = services.widget_create(channel=channel, name="bench")
    origins = [f"https://site{i}.example" for i in range(10)]
    metrics = ["loads", "opens", "questions"]
    try:
        per_thread = events // 4

        def run(n: int) -> None:
            for i in range(per_thread):
                services.widget_event_count(widget_id=widget.pk, origin=origins[(n + i) % 10], metric=metrics[i % 3])

        threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counted_s = time.perf_counter() - started
        started = time.perf_counter()
        rows = services.widget_stats_flush()
        flush_s = time.perf_counter() - started
        total = sum(row.loads + row.opens + row.questions for row in WidgetDailyStat.objects.filter(widget=widget))
        assert total == per_thread * 4, (total, per_thread * 4)
        return {"events": per_thread * 4, "events_per_s": per_thread * 4 / counted_s, "flush_ms": flush_s * 1000,
                "rows": rows}
    finally:
        channel.delete()
        owner.delete()
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counters", type=int, default=0, help="also time N counted events and their flush")
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    sizes = loader_sizes()
    print(f"embed.js: {sizes['raw']} bytes raw, {sizes['gzip-6']} gzip -6, {sizes['gzip-9']} gzip -9 "
          f"(target {TARGET_GZIP_BYTES}: {'met' if sizes['gzip-6'] <= TARGET_GZIP_BYTES else 'MISSED'})")
    if args.counters:
        result = counters(args.counters)
        print(f"counters: {result['events']} events from 4 threads at {result['events_per_s']:.0f}/s "
              f"(one HINCRBY each); flush of {result['rows']} day rows in {result['flush_ms']:.1f} ms")


if __name__ == "__main__":
    main()
