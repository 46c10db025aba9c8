"""Settings for the test suite: the real settings, with the few differences tests need.

Same embedded PostgreSQL (pytest-django creates ``test_yoppy`` beside the dev database) and the
same Redis server on its own database index, so a running ``make run`` never sees test jobs.

`make test` runs the suite in two processes (pytest-xdist): each gets its own test database
(pytest-django adds ``_gw0``/``_gw1``), Redis database index (15, 14, ...), media directory and
one torch thread, so the two never see each other's rows, jobs, files or cores.
"""

import os

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under pytest -n
_WORKER_NUMBER = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("REDIS_DB", "15")
if XDIST_WORKER:
    # The controller process set REDIS_DB before it started the workers, which inherit it: each
    # worker counts down from there.
    os.environ["REDIS_DB"] = str(int(os.environ["REDIS_DB"]) - _WORKER_NUMBER)
    os.environ.setdefault("EMBEDDING_THREADS", "1")
os.environ.setdefault("ACCOUNT_EMAIL_VERIFICATION", "optional")

from yoppy.env import derived_fernet_key  # noqa: E402

# Like DEBUG, tests run on a key derived from the (test-only) SECRET_KEY.
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS", derived_fernet_key(os.environ["SECRET_KEY"], purpose="field-encryption")
)

from yoppy.settings import *  # noqa: E402, F403

# Tests speak plain HTTP to the live server; production keeps all of these on.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
WHITENOISE_USE_FINDERS = True  # serve app assets without collectstatic
STATIC_ROOT.mkdir(exist_ok=True)  # noqa: F405  (whitenoise warns about a missing root)
if XDIST_WORKER:
    MEDIA_ROOT = MEDIA_ROOT / f"test-{XDIST_WORKER}"  # noqa: F405  (row ids repeat across the workers' databases)
# Parallel test runs on one machine (several developers' sessions) each name their own database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("YOPPY_TEST_DB_NAME", "test_yoppy")}  # noqa: F405
