"""`make run` is `manage.py up`: it serves the product with a worker and a scheduler, and Ctrl-C
stops everything it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from django.conf import settings

from yoppy.embedded import free_port

# `up` migrates and loads the demo into the development database: two at once collide, so these
# run in the serial part of `make test`.
pytestmark = pytest.mark.serial


def _get(url: str) -> tuple[int, str]:
    # Generous: a web process that is still loading the model at start-up answers late on a
    # busy machine; this test is about what runs, not how fast.
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback only)
        return response.status, response.read().decode()


@pytest.mark.timeout(180)
def test_up_serves_the_site_with_web_processes_a_worker_and_scheduler_and_stops_them_on_ctrl_c():
    port = free_port()
    env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1", "WEB_CONCURRENCY": "2"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "up", "--port", str(port)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            output.append(line)
            if "Yoppy is up:" in line or proc.poll() is not None:
                break
        assert f"Yoppy is up: http://localhost:{port}/" in "".join(output), "".join(output)
        output.append(proc.stdout.readline())  # the admin credentials follow the URL
        assert "Admin: " in "".join(output) and "admin@yoppy.local" in "".join(output)

        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # uvicorn binds a moment after the banner
            try:
                status, body = _get(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and '"status": "ok"' in body
        assert _get(f"{base}/")[0] == 200
        assert _get(f"{base}/accounts/signup/")[0] == 200
        assert _get(f"{base}/static/css/yoppy.css")[0] == 200
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "uvicorn" in names and "rqworker" in names and "scheduler" in names
        uvicorn = next(c for c in children if "uvicorn" in " ".join(c.cmdline()))
        assert "--workers 2" in " ".join(uvicorn.cmdline())
        # WEB_CONCURRENCY=2: two web processes, each with its own interpreter.
        workers = [c for c in uvicorn.children() if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2, [c.cmdline() for c in uvicorn.children()]

        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    finally:
        if proc.poll() is None:
            # A failed assertion must not leave the web processes, worker and scheduler behind.
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()
