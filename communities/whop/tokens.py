"""The x-whop-user-token JWT Whop's iframe proxy adds to every request it forwards to the app.

Verified on every request: ES256 only, against the keys Whop publishes (a JWKS, cached and
fetched again when a token names a key id the cache lacks), issuer Whop's proxy, audience our
app id, with an expiry required. whop-sdk's own ``verify_user_token`` does the same checks but
accepts a token without ``exp`` (PyJWT only checks an expiry that is present), so a leaked token
would never lapse; hence PyJWT directly, with the issuer and key URL the SDK uses.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import jwt
from django.conf import settings

from communities.whop import WhopUnavailable

HEADER = "x-whop-user-token"
ALGORITHM = "ES256"
# Whop's keys are long-lived; a rotation is picked up at once through the unknown-key-id refetch.
_JWKS_LIFESPAN_S = 3600
_LEEWAY_S = 10

_clients: dict[str, jwt.PyJWKClient] = {}
_clients_lock = threading.Lock()


class TokenInvalid(Exception):
    """No token, or one that is not Whop's, not for this app, or expired."""


@dataclass(frozen=True)
class WhopUser:
    user_id: str


def _jwks(url: str) -> jwt.PyJWKClient:
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = jwt.PyJWKClient(url, lifespan=_JWKS_LIFESPAN_S, timeout=10)
        return client


def jwks_cache_clear() -> None:
    """Forget every fetched key set (tests that serve a new key set at the same URL)."""
    with _clients_lock:
        _clients.clear()


def user_token_verify(token: str | None) -> WhopUser:
    """The Whop user the token was issued to; TokenInvalid for anything else, WhopUnavailable
    when Whop's key set cannot be fetched."""
    if not token:
        raise TokenInvalid("no Whop user token")
    if not settings.WHOP_APP_ID:
        raise TokenInvalid("WHOP_APP_ID is not set")
    try:
        signing_key = _jwks(settings.WHOP_JWKS_URL).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=[ALGORITHM],
            audience=settings.WHOP_APP_ID,
            issuer=settings.WHOP_TOKEN_ISSUER,
            leeway=_LEEWAY_S,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise WhopUnavailable(f"Whop's keys could not be fetched: {exc}") from exc
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.startswith("user_"):
        raise TokenInvalid("the token names no Whop user")
    return WhopUser(user_id=subject)
