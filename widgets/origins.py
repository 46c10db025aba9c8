"""Origins (scheme://host[:port]) as browsers send them in the Origin header, normalised so a
creator's "https://Example.com/" and the browser's "https://example.com" compare equal."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginError(ValueError):
    """Not an origin; the message says why, for the creator."""


def origin_normalise(value: str) -> str:
    """``value`` as the browser writes it in Origin, or OriginError. Paths, queries, wildcards,
    credentials and schemes other than http(s) are refused: an origin is exactly one site."""
    text = (value or "").strip()
    if text.endswith("/"):
        text = text[:-1]
    if not text:
        raise OriginError("Enter an origin such as https://www.example.com.")
    if "*" in text:
        raise OriginError(f"{value!r}: wildcards are not allowed; list each site.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise OriginError(f"{value!r} is not a valid origin.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise OriginError(f"{value!r}: an origin starts with https:// (or http://).")
    if not parts.hostname or parts.username or parts.password:
        raise OriginError(f"{value!r}: write the site only, like https://www.example.com.")
    if parts.path or parts.query or parts.fragment:
        raise OriginError(f"{value!r}: write the site only, without a path (like https://www.example.com).")
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise OriginError(f"{value!r} has an invalid host name.") from None
    if ":" in host:
        host = f"[{host}]"  # IPv6
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origins_parse(text: str) -> list[str]:
    """One origin per line (or comma-separated), normalised and de-duplicated in order; raises
    OriginError naming the first bad line."""
    seen: list[str] = []
    for item in (text or "").replace(",", "\n").splitlines():
        if not item.strip():
            continue
        origin = origin_normalise(item)
        if origin not in seen:
            seen.append(origin)
    return seen
