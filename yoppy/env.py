"""Typed readers for environment variables that fail loudly on bad values.

Every variable the project reads goes through these helpers, and every one is listed with a
comment in ``.env.example``. A value that cannot be parsed stops the process at start-up with a
message naming the variable, instead of turning into a silent default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_required(name: str, *, default_in_debug: str | None, debug: bool) -> str:
    """A secret: required when DEBUG is off, so production never runs on a development default."""
    value = env_str(name)
    if value is not None:
        return value
    if debug and default_in_debug is not None:
        return default_in_debug
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off (see .env.example).")


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default  # an empty line in .env means "not set", never "off"
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def env_int(name: str, default: int | None = None, *, minimum: int | None = None) -> int | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_minor_amounts(name: str, default: dict[str, int]) -> dict[str, int]:
    """Amounts per currency in minor units, written "INR:50000,USD:1000"."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return dict(default)
    amounts: dict[str, int] = {}
    for item in value.split(","):
        currency, _, amount = item.strip().partition(":")
        if len(currency.strip()) != 3 or not amount.strip().isdigit():
            raise ImproperlyConfigured(f"{name}={value!r}: write CURRENCY:minor_units pairs, e.g. INR:50000,USD:1000.")
        amounts[currency.strip().upper()] = int(amount)
    return amounts


def derived_fernet_key(secret: str, *, purpose: str) -> str:
    """A Fernet key derived from ``secret``: stable across restarts, different per ``purpose``.

    For development and tests only, where no real key is configured; production sets its own
    keys (a key derived from SECRET_KEY would change with it and lose every encrypted value)."""
    import base64
    import hashlib

    digest = hashlib.sha256(f"yoppy:{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
