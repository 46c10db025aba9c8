"""Yoppy settings: everything comes from the environment through ``yoppy.env`` helpers.

Every variable read here is listed, with a comment, in ``.env.example``. With ``DATABASE_URL`` or
``REDIS_URL`` unset, the embedded PostgreSQL + pgvector and Redis are started (or found running)
from ``yoppy.embedded``, with their data in ``$YOPPY_VAR_DIR`` (``./var`` by default).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from yoppy import embedded
from yoppy.env import (
    derived_fernet_key,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_minor_amounts,
    env_required,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("YOPPY_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_required(
    "SECRET_KEY", default_in_debug="dev-only-insecure-key-not-for-production", debug=DEBUG
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
SITE_NAME = "Yoppy"
# Hosts a public page's share card may fetch the channel's avatar from (chat/services/share_cards.py).
SHARE_CARD_AVATAR_HOSTS = env_list(
    "SHARE_CARD_AVATAR_HOSTS", ["yt3.ggpht.com", "yt3.googleusercontent.com", "i.ytimg.com"]
)

# --------------------------------------------------------------------------------------------
# Services: external when their URL is set, embedded otherwise.

# The embedded services this process found or started, so `manage.py up` and the test session
# can stop exactly what they started.
EMBEDDED_SERVICES: list[embedded.RunningService] = []

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL is None:
    _postgres = embedded.postgres_ensure(
        VAR_DIR / "postgres", port=env_int("YOPPY_EMBEDDED_POSTGRES_PORT", minimum=1)
    )
    EMBEDDED_SERVICES.append(_postgres)
    DATABASE_URL = _postgres.url

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL is None:
    _redis = embedded.redis_ensure(
        VAR_DIR / "redis", port=env_int("YOPPY_EMBEDDED_REDIS_PORT", minimum=1)
    )
    EMBEDDED_SERVICES.append(_redis)
    REDIS_URL = _redis.url
# A separate database index keeps the test suite's jobs and cache away from a running dev server.
REDIS_DB = env_int("REDIS_DB", minimum=0)
if REDIS_DB is not None:
    REDIS_URL = f"{REDIS_URL.rsplit('/', 1)[0]}/{REDIS_DB}"

# CONN_HEALTH_CHECKS: with the pool below, Django passes psycopg_pool's check_connection as the
# pool's `check`, so a connection broken by a PostgreSQL restart is dropped when it is taken
# from the pool instead of failing the next request or job (Django 5.2 refuses `check` inside
# OPTIONS["pool"]: it passes its own).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=True)}
# A connection pool per process (psycopg_pool): opening a PostgreSQL connection costs a SCRAM
# handshake, far more than the query behind a typical request or a streamed answer's lookup.
DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", 20, minimum=0)
# How long a request waits for a pooled connection: in a burst, for a busy one to come back;
# while PostgreSQL is down, this is how long a page takes to answer 503 (docs/RELIABILITY.md).
DATABASE_POOL_TIMEOUT_S = env_float("DATABASE_POOL_TIMEOUT_S", 30.0)
if DATABASE_POOL_MAX:
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": DATABASE_POOL_MAX, "timeout": DATABASE_POOL_TIMEOUT_S}
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "yoppy",
    }
}

# One queue per kind of work (STYLE.md §4). Jobs are stored as JSON, never pickles.
_RQ_QUEUE = {"URL": REDIS_URL, "SERIALIZER": "rq.serializers.JSONSerializer"}
RQ_QUEUES = {
    "default": {**_RQ_QUEUE, "DEFAULT_TIMEOUT": 300},
    "ingest": {**_RQ_QUEUE, "DEFAULT_TIMEOUT": 1800},
    "chat": {**_RQ_QUEUE, "DEFAULT_TIMEOUT": 120},
    "billing": {**_RQ_QUEUE, "DEFAULT_TIMEOUT": 300},
    "bots": {**_RQ_QUEUE, "DEFAULT_TIMEOUT": 300},
}
RQ_SHOW_ADMIN_LINK = True
# Jobs are pushed to Redis only when the surrounding transaction commits (pretix's rule): a job
# never runs against a row that is not there yet, or that was rolled back.
RQ = {"COMMIT_MODE": "on_db_commit"}

# --------------------------------------------------------------------------------------------
# Applications

GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
GOOGLE_LOGIN_ENABLED = bool(GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)
DISCORD_CLIENT_ID = env_str("DISCORD_CLIENT_ID")
DISCORD_CLIENT_SECRET = env_str("DISCORD_CLIENT_SECRET")
DISCORD_LOGIN_ENABLED = bool(DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "rest_framework",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    *(["allauth.socialaccount.providers.google"] if GOOGLE_LOGIN_ENABLED else []),
    *(["allauth.socialaccount.providers.discord"] if DISCORD_LOGIN_ENABLED else []),
    "csp",
    "django_htmx",
    "template_partials",
    "django_rq",
    "yoppy.apps.YoppyConfig",
    "yoppy.users",
    "billing",
    "channels_app",
    "chat",
    "affiliates",
    "communities",
    "bots",
    "widgets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "yoppy.http.csp.YoppyCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "affiliates.middleware.ReferralCaptureMiddleware",
    # Last, so it sees the view's exception first: PostgreSQL/Redis away -> 503, not 500.
    "yoppy.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "yoppy.urls"
WSGI_APPLICATION = "yoppy.wsgi.application"
ASGI_APPLICATION = "yoppy.asgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yoppy.context_processors.site",
                "yoppy.context_processors.csp_nonce",
            ],
        },
    }
]

# --------------------------------------------------------------------------------------------
# Accounts

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "yoppy.users.adapters.AccountAdapter"
# Failed log-ins: per client address (10 a minute, 30 an hour, over all accounts) and per account
# *and* address (5 in 5 minutes, yoppy/users/adapters.py), so failures from one address never
# lock the owner out from another. allauth's own limits apply to everything else.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,30/h/ip,5/300s/key"}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str(
    "ACCOUNT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory"
)
if ACCOUNT_EMAIL_VERIFICATION not in {"mandatory", "optional", "none"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be mandatory, optional or none.")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Yoppy] "
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_PROVIDERS: dict = {}
if GOOGLE_LOGIN_ENABLED:
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET}],
        "SCOPE": ["profile", "email"],
    }
if DISCORD_LOGIN_ENABLED:
    SOCIALACCOUNT_PROVIDERS["discord"] = {
        "APPS": [{"client_id": DISCORD_CLIENT_ID, "secret": DISCORD_CLIENT_SECRET}],
        "SCOPE": ["identify", "email"],
    }

# --------------------------------------------------------------------------------------------
# Email

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Yoppy <hello@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --------------------------------------------------------------------------------------------
# Static files, i18n

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# In development the web server serves assets straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------------------------
# Security: strict unless DEBUG; `manage.py check --deploy` stays clean in production.

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz answers over plain HTTP: load balancers and uptime probes speak HTTP to the app's port,
# and a redirect would read to them as "up" (or as a failure), never as the real state.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("BEHIND_TLS_PROXY", False):
    # Only when a proxy that sets this header fronts every request; otherwise it is spoofable.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Proxies in front of the app that append to X-Forwarded-For (yoppy/http/client_ip.py): the client
# is the address the outermost one appended. 0: no proxy, the socket's peer is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# allauth's rate limits read the client address through yoppy.users.adapters (the same helper);
# its own setting is kept equal for anything in allauth that reads the header itself.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Content-Security-Policy on every response (django-csp, yoppy/http/csp.py). Scripts come only
# from our own files (and nonce-tagged blocks); no inline handlers, no eval, no inline styles:
# htmx's indicator style is in yoppy.css (includeIndicatorStyles off in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # Channel avatars come from YouTube's image hosts.
        "img-src": [SELF, "https:", "data:"],
        # The cited-moment player.
        "frame-src": ["https://www.youtube-nocookie.com"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Error reports (the DEBUG page, admin e-mails) hide every setting whose name matches: Django's
# default list misses connection strings (DATABASE_URL, REDIS_URL, CACHES' LOCATION, the RQ
# queues, EMBEDDED_SERVICES), which carry passwords.
DEFAULT_EXCEPTION_REPORTER_FILTER = "yoppy.http.error_reports.SecretHidingFilter"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --------------------------------------------------------------------------------------------
# Product

# Health check: how long /healthz waits for each dependency before reporting it down.
HEALTHZ_TIMEOUT_S = env_float("HEALTHZ_TIMEOUT_S", 2.0)

# Web server processes `manage.py up` starts (uvicorn --workers). Each is an interpreter with its
# own GIL, so a burst of fans (page, question, retrieval: Python work) can use every core. Each
# also holds its own embedding model (~550 MB resident with torch, measured) and connection pool
# (DATABASE_POOL_MAX), hence the cap on the default.
# sched_getaffinity counts the cores this process may use (a container's share); Linux only.
CPU_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", min(CPU_CORES, 4), minimum=1)

# --------------------------------------------------------------------------------------------
# Bots (bots/): the shared Yoppy bot on Discord, from the environment. Branded bots are set up by
# creators on the dashboard and kept in the database (token encrypted).

DISCORD_APPLICATION_ID = env_str("DISCORD_APPLICATION_ID", "")
DISCORD_PUBLIC_KEY = env_str("DISCORD_PUBLIC_KEY", "")
DISCORD_BOT_TOKEN = env_str("DISCORD_BOT_TOKEN", "")
# The shared application's OAuth2 client secret: the install link's code is exchanged with it, so
# the server a creator links is the one Discord says they added the bot to. When the shared bot is
# also the log-in application, DISCORD_CLIENT_SECRET serves.
DISCORD_BOT_CLIENT_SECRET = env_str(
    "DISCORD_BOT_CLIENT_SECRET",
    DISCORD_CLIENT_SECRET if DISCORD_CLIENT_ID and DISCORD_CLIENT_ID == DISCORD_APPLICATION_ID else "",
)
DISCORD_BOT_ENABLED = bool(DISCORD_APPLICATION_ID and DISCORD_PUBLIC_KEY and DISCORD_BOT_TOKEN)
# Discord's REST API root (tests point it at a local server).
DISCORD_API_BASE = env_str("DISCORD_API_BASE", "https://discord.com/api/v10").rstrip("/")
# Discord's OAuth2 authorize page (the install link).
DISCORD_AUTHORIZE_URL = env_str("DISCORD_AUTHORIZE_URL", "https://discord.com/oauth2/authorize")
# An interaction whose signed timestamp is older than this is refused as a replay (Discord
# signs each delivery at send time).
DISCORD_INTERACTION_MAX_AGE_S = env_int("DISCORD_INTERACTION_MAX_AGE_S", 300, minimum=1)
# Seconds between two edits of a streaming reply (platforms rate-limit message edits).
BOTS_EDIT_INTERVAL_S = env_float("BOTS_EDIT_INTERVAL_S", 1.0)
# Timeout of one call to a platform's API.
BOTS_HTTP_TIMEOUT_S = env_float("BOTS_HTTP_TIMEOUT_S", 10.0)

# --------------------------------------------------------------------------------------------
# AI providers (yoppy/ai/). Each integration is enabled by its key.

OPENAI_API_KEY = env_str("OPENAI_API_KEY")
# Any OpenAI-compatible server: OpenAI itself, vLLM, LM Studio, Ollama's /v1.
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
GEMINI_API_KEY = env_str("GEMINI_API_KEY")
# Gemini's OpenAI-compatible endpoint, used by the gemini embedding provider.
GEMINI_BASE_URL = env_str("GEMINI_BASE_URL", "https://generativelanguage.googleapis.com/v1beta/openai/")
# Gemini's native API root, used for answers and profiles (LangChain's google-genai);
# unset: Google's own endpoint. Set it only for a gateway or proxy.
GEMINI_LLM_BASE_URL = env_str("GEMINI_LLM_BASE_URL")
GROQ_API_KEY = env_str("GROQ_API_KEY")
# Groq's OpenAI-compatible endpoint (langchain-groq pins groq<1, which clashes with our pins).
GROQ_BASE_URL = env_str("GROQ_BASE_URL", "https://api.groq.com/openai/v1")
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = env_str("ANTHROPIC_BASE_URL")  # unset: the SDK's default (api.anthropic.com)
# Ollama's native API; LLM_PROVIDER=ollama is never picked by default (it needs no key).
OLLAMA_BASE_URL = env_str("OLLAMA_BASE_URL", "http://localhost:11434")
OPENAI_ENABLED = bool(OPENAI_API_KEY or OPENAI_BASE_URL)
GEMINI_ENABLED = bool(GEMINI_API_KEY)
GROQ_ENABLED = bool(GROQ_API_KEY)
ANTHROPIC_ENABLED = bool(ANTHROPIC_API_KEY)

# Embeddings: "local" (all-MiniLM-L6-v2 shipped in a wheel, offline, 384-d), "openai", "gemini".
EMBEDDING_PROVIDER = env_str("EMBEDDING_PROVIDER", "local")
if EMBEDDING_PROVIDER not in {"local", "openai", "gemini"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EMBEDDING_PROVIDER must be local, openai or gemini.")
EMBEDDING_MODEL = env_str("EMBEDDING_MODEL")  # the provider's default when unset
EMBEDDING_BATCH_SIZE = env_int("EMBEDDING_BATCH_SIZE", 64, minimum=1)
# Local model precision: auto uses bfloat16 where the CPU supports it (AMX / AVX-512 BF16).
EMBEDDING_DTYPE = env_str("EMBEDDING_DTYPE", "auto")
EMBEDDING_THREADS = env_int("EMBEDDING_THREADS", minimum=1)  # torch threads; default: all cores

# Answers and profiles: "openai" (any OpenAI-compatible server), "groq", "gemini", "anthropic",
# "ollama", or "offline" (no LLM: extractive answers and a local profile). Default: the first
# provider with a key, in this order: groq, openai, gemini, anthropic; else offline.
LLM_PROVIDERS = ("openai", "groq", "gemini", "anthropic", "ollama", "offline")
LLM_PROVIDER = env_str(
    "LLM_PROVIDER",
    "groq"
    if GROQ_ENABLED
    else "openai"
    if OPENAI_ENABLED
    else "gemini"
    if GEMINI_ENABLED
    else "anthropic"
    if ANTHROPIC_ENABLED
    else "offline",
)
if LLM_PROVIDER not in LLM_PROVIDERS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LLM_PROVIDER must be one of {', '.join(LLM_PROVIDERS)}.")
LLM_MODEL = env_str("LLM_MODEL")  # the provider's default when unset
LLM_TIMEOUT_S = env_float("LLM_TIMEOUT_S", 30.0)

# --------------------------------------------------------------------------------------------
# Ingestion

# yt-dlp and caption downloads: attempts on network errors and HTTP 429, with exponential backoff
# (base seconds, doubled each time, plus jitter).
YOUTUBE_MAX_ATTEMPTS = env_int("YOUTUBE_MAX_ATTEMPTS", 4, minimum=1)
YOUTUBE_BACKOFF_BASE_S = env_float("YOUTUBE_BACKOFF_BASE_S", 2.0)
# Optional cookies file for yt-dlp (e.g. age-restricted videos; members-only ones are always skipped).
YOUTUBE_COOKIES_FILE = env_str("YOUTUBE_COOKIES_FILE")
# A video still "processing" with no heartbeat for this long lost its worker: it is redone.
INGEST_STALE_AFTER_S = env_int("INGEST_STALE_AFTER_S", 300, minimum=1)
# Seconds between heartbeats of a video being processed (a timer thread); 0: a fifth of the above.
INGEST_HEARTBEAT_S = env_float("INGEST_HEARTBEAT_S", 0.0)
# The ingest sweep gives a job to queued rows unchanged for this long (younger ones are being
# enqueued by their own commit right now).
INGEST_SWEEP_GRACE_S = env_float("INGEST_SWEEP_GRACE_S", 30.0)
# Ingestion attempts per video before it is marked failed.
INGEST_MAX_ATTEMPTS = env_int("INGEST_MAX_ATTEMPTS", 3, minimum=1)
# Largest caption/transcript file a creator may upload.
CAPTION_UPLOAD_MAX_BYTES = env_int("CAPTION_UPLOAD_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# Files one upload request may carry (several chosen or dropped at once), and their total size
# (the request body limit of the upload page follows it).
CAPTION_UPLOAD_MAX_FILES = env_int("CAPTION_UPLOAD_MAX_FILES", 20, minimum=1)
CAPTION_UPLOAD_MAX_TOTAL_BYTES = env_int("CAPTION_UPLOAD_MAX_TOTAL_BYTES", 20 * 1024 * 1024, minimum=1024)
# Caption/transcript files one creator may upload per clock hour (each is parsed and embedded by
# the ingest worker, so one creator's burst cannot keep everyone else's videos waiting).
UPLOADS_PER_HOUR = env_int("UPLOADS_PER_HOUR", 60, minimum=1)

# Request bodies (yoppy/http/body_limit.py, checked before Django reads them; 413 above): webhook
# URLs, everything else; caption uploads get CAPTION_UPLOAD_MAX_BYTES plus the multipart envelope.
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 256 * 1024, minimum=1024)
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
# Django's own cap on a body read into memory (form fields, request.body; files excluded).
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES

# --------------------------------------------------------------------------------------------
# Chat

# Anonymous fans on public pages: questions per day, per browser session and per IP address.
ANON_QUESTIONS_PER_SESSION = env_int("ANON_QUESTIONS_PER_SESSION", 3, minimum=0)
ANON_QUESTIONS_PER_IP = env_int("ANON_QUESTIONS_PER_IP", 20, minimum=0)
# Exchanges (question + answer) of the conversation given to the model as context.
CHAT_HISTORY_EXCHANGES = 5
# Anonymous conversations live with the session for this long.
ANON_CONVERSATION_TTL_S = 24 * 3600
# An answer still "streaming" this long after it was asked lost its stream (the database went
# away, the web process died): the sweep marks it failed and gives the question back.
CHAT_STREAM_STALE_AFTER_S = env_int("CHAT_STREAM_STALE_AFTER_S", 600, minimum=1)

# --------------------------------------------------------------------------------------------
# Website widgets (widgets/). Visitors ask on the channel owner's plan; these daily limits keep
# one visitor, one network or one site from draining it. Over a limit: 429 and a message.

WIDGET_QUESTIONS_PER_SESSION = env_int("WIDGET_QUESTIONS_PER_SESSION", 20, minimum=0)
WIDGET_QUESTIONS_PER_IP = env_int("WIDGET_QUESTIONS_PER_IP", 60, minimum=0)
WIDGET_QUESTIONS_PER_WIDGET_PER_DAY = env_int("WIDGET_QUESTIONS_PER_WIDGET_PER_DAY", 2000, minimum=0)
# How long a widget visit's session token is valid (the frame gets a new one on every load).
WIDGET_SESSION_TTL_S = env_int("WIDGET_SESSION_TTL_S", 24 * 3600, minimum=60)

# --------------------------------------------------------------------------------------------
# Billing (billing/). A gateway is offered on the billing page once its keys are set.

RAZORPAY_KEY_ID = env_str("RAZORPAY_KEY_ID", "")
RAZORPAY_KEY_SECRET = env_str("RAZORPAY_KEY_SECRET", "")
# Webhook secrets, the current one first. To rotate, put the new one first and keep the previous
# one after it until Razorpay's retries signed with it are over (about a day).
RAZORPAY_WEBHOOK_SECRETS = env_list("RAZORPAY_WEBHOOK_SECRETS")
RAZORPAY_API_BASE = env_str("RAZORPAY_API_BASE", "https://api.razorpay.com")
# RazorpayX business account that creator payouts are sent from.
RAZORPAYX_ACCOUNT_NUMBER = env_str("RAZORPAYX_ACCOUNT_NUMBER", "")
PAYPAL_CLIENT_ID = env_str("PAYPAL_CLIENT_ID", "")
PAYPAL_CLIENT_SECRET = env_str("PAYPAL_CLIENT_SECRET", "")
PAYPAL_WEBHOOK_ID = env_str("PAYPAL_WEBHOOK_ID", "")
PAYPAL_API_BASE = env_str("PAYPAL_API_BASE", "https://api-m.sandbox.paypal.com")
# "local": verify signatures here against PayPal's certificate; "api": ask PayPal's API.
PAYPAL_VERIFY_MODE = env_str("PAYPAL_VERIFY_MODE", "local")
# How long a user's plan is cached in Redis; webhooks that change it delete the entry at once.
PLAN_CACHE_TTL_S = env_int("PLAN_CACHE_TTL_S", 60, minimum=0)

# --------------------------------------------------------------------------------------------
# Affiliates (affiliates/): referrals, the commission ledger, creator payouts.

# How long a referral (a visit to /c/<slug> or a ?ref=<code> link) is remembered; the first
# touch within this window wins.
AFFILIATE_REFERRAL_DAYS = env_int("AFFILIATE_REFERRAL_DAYS", 30, minimum=1)
# Days a commission stays pending before it can be paid out (refunds and chargebacks arrive in
# this window and reverse it before it is paid).
AFFILIATE_HOLD_DAYS = env_int("AFFILIATE_HOLD_DAYS", 30, minimum=0)
# Smallest payout a creator may request, per currency, in minor units ("INR:50000,USD:1000").
AFFILIATE_MIN_PAYOUT_MINOR = env_minor_amounts("AFFILIATE_MIN_PAYOUT_MINOR", {"INR": 50000, "USD": 1000})
# RazorpayX transfer mode for bank payouts: IMPS, NEFT or RTGS.
AFFILIATE_PAYOUT_MODE = env_str("AFFILIATE_PAYOUT_MODE", "IMPS").upper()
if AFFILIATE_PAYOUT_MODE not in {"IMPS", "NEFT", "RTGS"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("AFFILIATE_PAYOUT_MODE must be IMPS, NEFT or RTGS.")
# Fernet keys that encrypt payout bank details at rest, comma-separated, the current one first
# (older ones still decrypt, for rotation). Required in production; in development a key is
# derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [
    env_required(
        "FIELD_ENCRYPTION_KEYS",
        default_in_debug=derived_fernet_key(SECRET_KEY, purpose="field-encryption"),
        debug=DEBUG,
    )
]
# Retrieval (chat/retrieval/). HNSW candidate list per dense query: 200 keeps the
# index's recall on a channel buried among much larger, unrelated content (bench/retrieval.py,
# docs/BENCHMARKS.md) for ~1 ms more per query; raise it when dense recall matters more than latency.
RETRIEVAL_HNSW_EF_SEARCH = env_int("RETRIEVAL_HNSW_EF_SEARCH", 200, minimum=10)
# Rows an iterative HNSW scan may visit to find a small channel's chunks among other channels'
# before it gives up (pgvector's default: 20,000); larger finds more for tiny channels, slower.
RETRIEVAL_HNSW_MAX_SCAN_TUPLES = env_int("RETRIEVAL_HNSW_MAX_SCAN_TUPLES", 20_000, minimum=100)
# Channels (or sets of channels asked together) holding at most this many chunks are searched by
# an exact scan of their own rows instead of the HNSW index: exact recall whatever the table's size
# (at 20,000 chunks among 300k rows the scan was also faster than the filtered index, docs/BENCHMARKS.md);
# 0 sends every query through the index.
RETRIEVAL_EXACT_SCAN_MAX_CHUNKS = env_int("RETRIEVAL_EXACT_SCAN_MAX_CHUNKS", 20_000, minimum=0)
# How the dense and keyword sides are fused: "score" (cosine + BM25 as a share of the question's
# IDF, the default: best on Spoken-SQuAD) or "rrf" (reciprocal-rank fusion), see docs/BENCHMARKS.md.
RETRIEVAL_FUSION = env_str("RETRIEVAL_FUSION", "score") or "score"
if RETRIEVAL_FUSION not in {"score", "rrf"}:
    raise ImproperlyConfigured("RETRIEVAL_FUSION must be score or rrf.")
# Optional cross-encoder reranking of the fused candidates: a sentence-transformers CrossEncoder
# name or local path (e.g. cross-encoder/ms-marco-MiniLM-L-6-v2). Empty: off.
RETRIEVAL_RERANK_MODEL = env_str("RETRIEVAL_RERANK_MODEL", "") or ""
# Fused candidates the cross-encoder rescores (the rest keep their fused order behind them).
RETRIEVAL_RERANK_CANDIDATES = env_int("RETRIEVAL_RERANK_CANDIDATES", 20, minimum=1)

# --------------------------------------------------------------------------------------------
# Whop communities (communities/): the Yoppy app installed in Whop communities.

# The app's id (app_...): the audience of the x-whop-user-token JWTs Whop's proxy sends.
WHOP_APP_ID = env_str("WHOP_APP_ID", "")
# The app's API key: v1 access checks and experience look-ups.
WHOP_API_KEY = env_str("WHOP_API_KEY", "")
# The app webhook's signing secret exactly as Whop shows it (ws_...; Whop signs with its literal bytes).
WHOP_WEBHOOK_SECRET = env_str("WHOP_WEBHOOK_SECRET", "")
WHOP_API_BASE = env_str("WHOP_API_BASE", "https://api.whop.com/api/v1").rstrip("/")
WHOP_JWKS_URL = env_str("WHOP_JWKS_URL", "https://api.whop.com/.well-known/jwks.json")
# The issuer Whop's iframe proxy signs user tokens as (whop-sdk's verify_user_token checks the same).
WHOP_TOKEN_ISSUER = env_str("WHOP_TOKEN_ISSUER", "urn:whopcom:exp-proxy")
# OAuth 2.1 (PKCE) client that links a Whop owner to their Yoppy account.
WHOP_OAUTH_BASE = env_str("WHOP_OAUTH_BASE", "https://api.whop.com/oauth").rstrip("/")
WHOP_OAUTH_CLIENT_ID = env_str("WHOP_OAUTH_CLIENT_ID", "")
WHOP_OAUTH_CLIENT_SECRET = env_str("WHOP_OAUTH_CLIENT_SECRET", "")
WHOP_ENABLED = bool(WHOP_APP_ID and WHOP_API_KEY)
# Origins allowed to frame the experience and dashboard views (frame-ancestors); nothing else may.
WHOP_FRAME_ORIGINS = env_list("WHOP_FRAME_ORIGINS", ["https://whop.com", "https://*.whop.com", "https://*.apps.whop.com"])
# A user's access level to an experience or company is cached this long.
WHOP_ACCESS_CACHE_S = env_int("WHOP_ACCESS_CACHE_S", 60, minimum=0)
# Whop product ids of the Yoppy plans: "prod_a:basic,prod_b:pro,prod_c:rich".
WHOP_PLAN_PRODUCTS: dict[str, str] = {}
for _item in env_list("WHOP_PLAN_PRODUCTS"):
    _product, _, _plan = _item.partition(":")
    if not _product or _plan not in {"basic", "pro", "rich"}:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"WHOP_PLAN_PRODUCTS: {_item!r} is not product_id:basic|pro|rich.")
    WHOP_PLAN_PRODUCTS[_product] = _plan
# Questions each active member adds to the community's monthly pool.
WHOP_QUESTIONS_PER_MEMBER = env_int("WHOP_QUESTIONS_PER_MEMBER", 100, minimum=0)
# Days an uninstalled community's data is kept (a reinstall finds it) before the sweep deletes it.
WHOP_DATA_GRACE_DAYS = env_int("WHOP_DATA_GRACE_DAYS", 30, minimum=0)

# --------------------------------------------------------------------------------------------
# Telegram (bots/telegram/): the shared Yoppy bot and creators' branded bots.

# The shared bot's token from BotFather; empty: no shared bot (branded bots still work).
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN", "") or ""
TELEGRAM_ENABLED = bool(TELEGRAM_BOT_TOKEN)
# Where the Bot API is reached (a local Bot API server, a proxy; tests point it at their own).
TELEGRAM_API_BASE = env_str("TELEGRAM_API_BASE", "https://api.telegram.org") or "https://api.telegram.org"
# Seconds one Bot API call may take.
TELEGRAM_TIMEOUT_S = env_float("TELEGRAM_TIMEOUT_S", 10.0)
# A 429 asking to wait longer than this is not waited out (the final message is then given up).
TELEGRAM_MAX_RETRY_AFTER_S = env_int("TELEGRAM_MAX_RETRY_AFTER_S", 30, minimum=0)
# Streaming: seconds between draft updates in a private chat, and between edits of the answer in
# a group (Telegram allows about 20 messages a minute per group).
TELEGRAM_DRAFT_INTERVAL_S = env_float("TELEGRAM_DRAFT_INTERVAL_S", 0.6)
TELEGRAM_GROUP_EDIT_INTERVAL_S = env_float("TELEGRAM_GROUP_EDIT_INTERVAL_S", 3.0)
# Questions a Telegram user who has not linked a Yoppy account may ask per day on a branded bot
# (paid by the bot owner's plan); the owner can lower or raise it per bot on the dashboard.
TELEGRAM_DAILY_CAP_PER_USER = env_int("TELEGRAM_DAILY_CAP_PER_USER", 20, minimum=0)
# Minutes a /connect code from the dashboard stays valid.
TELEGRAM_CONNECT_CODE_MINUTES = env_int("TELEGRAM_CONNECT_CODE_MINUTES", 10, minimum=1)
