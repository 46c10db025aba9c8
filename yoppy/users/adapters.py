"""allauth adapter: client addresses and log-in throttling.

allauth's default "login_failed" limit counts failures per e-mail address alone, so five wrong
passwords from anyone lock the owner out for five minutes, at an attacker's will. Here the
per-account count is kept per (account, client address): failures from one address throttle that
address for that account (and, through the per-IP limits in ACCOUNT_RATE_LIMITS, for every
account), while the owner's correct password from another address still logs them in.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest, HttpResponse

from yoppy.http.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # The same address the chat's anonymous allowance uses (TRUSTED_PROXY_COUNT); allauth's own
        # reader raises ImproperlyConfigured (a 500) when a request carries fewer hops than proxies.
        # No peer address (a test client, a unix socket): one shared bucket, never an exception.
        return client_ip(request) or "unknown"

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{self.get_client_ip(request)}"

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        # Django gives the session a new key at log-in; the anonymous fan's conversations are filed
        # under the old one, so it is kept in the session (whose data survives) for chat.signals.
        from chat.services.claiming import ANONYMOUS_SESSION_KEY

        session = getattr(request, "session", None)
        if session is not None and session.session_key and not request.user.is_authenticated:
            session[ANONYMOUS_SESSION_KEY] = session.session_key
        return super().pre_login(request, user, **kwargs)
