"""Encryption at rest for secrets in the database (payout details, bot tokens, OAuth tokens):
MultiFernet over FIELD_ENCRYPTION_KEYS.

Fernet (cryptography) is authenticated encryption: a token altered in the database fails to
decrypt instead of decrypting to something else. The first key encrypts; every key decrypts,
so a new key can be put first and old tokens re-encrypted at leisure (``MultiFernet.rotate``).
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored value could not be decrypted (wrong keys or altered data). Says nothing more."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        # Fernet's message would not leak the key, but a wrong one is a configuration error.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from None


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plain: str) -> str:
    return _keys().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("stored value could not be decrypted") from None
