"""Whop OAuth 2.1 with PKCE: how a community owner links their Whop user to their Yoppy account.

Authorization code flow with S256 PKCE and a random ``state`` (both kept in the Yoppy session
between the redirect and the callback), then the code exchange and the OpenID userinfo at
``settings.WHOP_OAUTH_BASE`` (``/authorize``, ``/token``, ``/userinfo``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from django.conf import settings

from communities.whop import WhopUnavailable

_TIMEOUT_S = 10.0


class OAuthRefused(Exception):
    """Whop refused the code (expired, used twice, wrong verifier): the owner starts again."""


@dataclass(frozen=True)
class OAuthStart:
    url: str
    state: str
    verifier: str


@dataclass(frozen=True)
class OAuthTokens:
    whop_user_id: str
    access_token: str
    refresh_token: str


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_start(*, redirect_uri: str) -> OAuthStart:
    """Where to send the owner, and the state and PKCE verifier to keep until they come back."""
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: within PKCE's 43..128
    query = urlencode({
        "response_type": "code",
        "client_id": settings.WHOP_OAUTH_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    })  # fmt: skip
    return OAuthStart(url=f"{settings.WHOP_OAUTH_BASE}/authorize?{query}", state=state, verifier=verifier)


def code_exchange(*, code: str, verifier: str, redirect_uri: str) -> OAuthTokens:
    """Trade the callback's code (with the PKCE verifier) for tokens, then ask who they are for."""
    try:
        with httpx.Client(timeout=_TIMEOUT_S) as client:
            response = client.post(f"{settings.WHOP_OAUTH_BASE}/token", data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": settings.WHOP_OAUTH_CLIENT_ID,
                "client_secret": settings.WHOP_OAUTH_CLIENT_SECRET,
                "code_verifier": verifier,
            })  # fmt: skip
            if response.status_code in {400, 401, 403}:
                raise OAuthRefused("Whop did not accept the sign-in. Please start again.")
            response.raise_for_status()
            tokens = response.json()
            access_token = tokens.get("access_token")
            if not isinstance(access_token, str) or not access_token:
                raise WhopUnavailable("Whop's token answer had no access token")
            userinfo = client.get(
                f"{settings.WHOP_OAUTH_BASE}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
            )
            userinfo.raise_for_status()
            subject = userinfo.json().get("sub")
    except (httpx.HTTPError, ValueError) as exc:
        raise WhopUnavailable(f"Whop's OAuth endpoints failed: {exc}") from exc
    if not isinstance(subject, str) or not subject.startswith("user_"):
        raise WhopUnavailable("Whop's userinfo named no user")
    refresh = tokens.get("refresh_token")
    return OAuthTokens(whop_user_id=subject, access_token=access_token, refresh_token=refresh if isinstance(refresh, str) else "")
