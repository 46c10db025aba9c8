"""The client's address, for rate limits and the anonymous allowance.

``X-Forwarded-For`` is written by whoever sends the request: the client can put any addresses in
it and each proxy appends the address it received the request from. Only the hops appended by
our own proxies are trustworthy, so with ``TRUSTED_PROXY_COUNT`` = N proxies in front of the app
the client is the N-th address from the right. With 0 (no proxy) the header is ignored and the
socket's peer (REMOTE_ADDR) is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's IP address as the trusted proxies saw it (REMOTE_ADDR without a proxy)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        # Fewer hops than proxies: the request did not come through all of them (or the setting is
        # wrong); the nearest peer is the only address nobody could forge.
        return remote
    return _address(hops[-proxies]) or remote
