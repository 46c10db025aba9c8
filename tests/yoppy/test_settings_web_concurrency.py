"""WEB_CONCURRENCY: how many web processes `manage.py up` serves with."""

from __future__ import annotations

import os

import pytest

from tests.yoppy.test_settings_deploy import _manage

PRINT = "from django.conf import settings; print('WEB_CONCURRENCY', settings.WEB_CONCURRENCY)"


def _web_concurrency(cores: set[int] | None = None, **env: str) -> int:
    env.setdefault("WEB_CONCURRENCY", "")
    env.setdefault("DEBUG", "1")
    result = _manage("shell", "-c", PRINT, cores=cores, **env)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split("WEB_CONCURRENCY ")[-1])


def test_it_defaults_to_one_process_per_core_the_server_may_use():
    assert _web_concurrency(cores={0}) == 1
    if len(os.sched_getaffinity(0)) >= 2:
        assert _web_concurrency(cores={0, 1}) == 2


def test_the_default_stays_at_four_processes_on_big_machines():
    assert _web_concurrency() == min(len(os.sched_getaffinity(0)), 4)


def test_it_obeys_the_variable():
    assert _web_concurrency(WEB_CONCURRENCY="3") == 3


@pytest.mark.parametrize("value", ["0", "two"])
def test_it_refuses_a_bad_value(value):
    result = _manage("shell", "-c", PRINT, WEB_CONCURRENCY=value, DEBUG="1")
    assert result.returncode != 0
    assert "WEB_CONCURRENCY" in result.stderr


def test_web_processes_share_the_cores_for_embedding_questions(settings):
    from yoppy.management.commands.up import web_environment

    settings.CPU_CORES = 4
    settings.EMBEDDING_THREADS = None

    assert web_environment(workers=2)["EMBEDDING_THREADS"] == "2"
    assert web_environment(workers=8)["EMBEDDING_THREADS"] == "1"


def test_web_processes_keep_an_explicit_embedding_thread_count(settings, monkeypatch):
    from yoppy.management.commands.up import web_environment

    monkeypatch.setenv("EMBEDDING_THREADS", "3")
    settings.EMBEDDING_THREADS = 3

    assert web_environment(workers=2)["EMBEDDING_THREADS"] == "3"
