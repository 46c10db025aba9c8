"""Production settings: `check --deploy` is clean, and nothing secret falls back to a default."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def _manage(*args: str, cores: set[int] | None = None, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py with ``env`` added, on the given CPU cores (default: all this process may use)."""
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "FIELD_ENCRYPTION_KEYS"}}
    # Point at the already running servers: this checks settings, not the embedded start-up.
    base.update(DATABASE_URL=_database_url(), REDIS_URL=settings.REDIS_URL)
    base.update(env)
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        capture_output=True, text=True, env=base, cwd=settings.BASE_DIR, timeout=120,
        preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
    )  # fmt: skip


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x9#Lq2!vR7@pZ4$wT1^mK8&nB3*cF6(hJ0)sD5-gY2+eU7=aQ1~iO4",
    "ALLOWED_HOSTS": "yoppy.example",
    "SITE_URL": "https://yoppy.example",
    "FIELD_ENCRYPTION_KEYS": "q8Zf0m0n3XyDg0bq2bU1pKXhXb8vQh0cQ7yq3lT8wC4=",
}


def test_check_deploy_reports_no_warnings_with_production_like_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_project_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_project_refuses_to_start_without_field_encryption_keys_when_debug_is_off():
    env = {k: v for k, v in PRODUCTION.items() if k != "FIELD_ENCRYPTION_KEYS"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off" in result.stderr


def test_the_project_refuses_a_field_encryption_key_that_is_not_a_fernet_key():
    result = _manage("check", **{**PRODUCTION, "FIELD_ENCRYPTION_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be Fernet keys" in result.stdout + result.stderr


def test_the_project_refuses_an_unknown_retrieval_fusion():
    result = _manage("check", DEBUG="1", RETRIEVAL_FUSION="average")
    assert result.returncode != 0
    assert "RETRIEVAL_FUSION must be score or rrf" in result.stderr
