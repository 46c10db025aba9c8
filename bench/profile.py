"""Local channel profile (topics, style, summary) build time, offline mode.

    .venv/bin/python -m bench.profile            # from the repository root

Builds the local profile (``profile_build_local``) from the auto-caption VTTs in
../shared/realdata/captions/youtube_auto_vtt, cut into 200-word passages as ingestion samples
them, at 300 passages (the sample size ingestion uses) and at every passage available, five runs
each, and prints the median and the worst. Target: 300 passages in under 2 s on this machine.
No database is needed: the profile is pure code over the transcript text.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("YOPPY_REALDATA", REPO.parent / "shared" / "realdata"))
RUNS = 5


def passages_from_captions() -> list[str]:
    from channels_app.services.captions import parse_captions

    passages: list[str] = []
    for path in sorted((REALDATA / "captions" / "youtube_auto_vtt").glob("*.vtt")):
        words = " ".join(segment.text for segment in parse_captions(path.read_bytes(), filename=path.name)).split()
        passages += [" ".join(words[i : i + 200]) for i in range(0, len(words), 200)]
    return passages


def timed(passages: list[str]) -> list[float]:
    from channels_app.persona import profile_build_local

    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        profile_build_local(channel_title="Bench", video_titles=[], passages=passages)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()
    passages = passages_from_captions()
    if len(passages) < 300:
        print(f"Needs ../shared/realdata/captions/youtube_auto_vtt (found {len(passages)} passages).")
        return 1
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for count in (300, len(passages)):
        seconds = timed(passages[:count])
        print(f"passages = {count}: median {statistics.median(seconds):.2f} s, worst {max(seconds):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
