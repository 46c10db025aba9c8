"""`manage.py up` keeps the product running: a child that dies is started again with backoff,
each group of queues has its own worker, and DEBUG is refused on a non-loopback address."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest
from django.conf import settings
from django.core.management.base import CommandError

from yoppy.embedded import free_port
from yoppy.management.commands import up

# `up` migrates and loads the demo into the development database: two at once collide, so these
# run in the serial part of `make test`.
pytestmark = pytest.mark.serial


def test_restarts_back_off_exponentially_up_to_a_cap():
    assert [up.restart_delay_s(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("192.168.1.10", False), ("example.com", False),  # noqa: S104
])  # fmt: skip
def test_only_loopback_hosts_count_as_local(host, loopback):
    assert up.is_loopback(host) is loopback


def test_each_group_of_queues_gets_its_own_worker_and_none_is_forgotten():
    assert up.worker_queue_groups("ingest;chat,billing,bots,default") == [["ingest"], ["chat", "billing", "bots", "default"]]
    with pytest.raises(CommandError, match="unknown queue"):
        up.worker_queue_groups("ingest;chat,billing,bots,default,videos")
    with pytest.raises(CommandError, match="without a worker"):
        up.worker_queue_groups("ingest;chat")


def _up_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1", "WEB_CONCURRENCY": "1", **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_DB", None)
    return env


@pytest.mark.timeout(120)
def test_up_refuses_debug_on_a_public_address():
    result = subprocess.run(
        [sys.executable, "manage.py", "up", "--host", "0.0.0.0", "--port", str(free_port())],  # noqa: S104
        cwd=settings.BASE_DIR, env=_up_env(), capture_output=True, text=True, timeout=110,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Refusing to serve 0.0.0.0 with DEBUG on" in result.stderr


@pytest.mark.timeout(300)
def test_a_killed_worker_is_restarted_and_the_others_keep_running():
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "up", "--port", str(free_port())],
        cwd=settings.BASE_DIR, env=_up_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()

    def wait_for_text(text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and text not in "".join(output):
            assert proc.poll() is None, "".join(output)
            time.sleep(0.1)
        assert text in "".join(output), "".join(output)

    def workers() -> dict[str, psutil.Process]:
        found = {}
        for child in psutil.Process(proc.pid).children():
            cmdline = child.cmdline()
            if "rqworker" in cmdline:
                found[cmdline[cmdline.index("rqworker") + 1]] = child
        return found

    try:
        wait_for_text("Yoppy is up:", 150)
        assert "Workers: ingest; chat, billing, bots, default (YOPPY_WORKER_QUEUES)." in "".join(output)
        before = workers()
        assert set(before) == {"ingest", "chat"}

        before["ingest"].send_signal(signal.SIGKILL)
        wait_for_text("The worker-ingest process exited (-9); restarting it in 1 s.", 30)
        wait_for_text("Restarted the worker-ingest process (restart 1).", 30)

        after = workers()
        assert after["ingest"].pid != before["ingest"].pid
        assert after["chat"].pid == before["chat"].pid  # the other worker never stopped
        assert proc.poll() is None  # `up` itself is still serving

        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()
