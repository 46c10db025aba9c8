"""System checks of the project's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}  # noqa: S104  # nosec B104  # compared with a URL's host, never bound


@register(Tags.security, deploy=True)
def site_url_is_public(app_configs=None, **kwargs) -> list[Warning]:
    """SITE_URL builds canonical URLs, share-card and e-mail links: a local or plain-HTTP one in
    production points search engines and fans at nothing."""
    parts = urlsplit(settings.SITE_URL)
    if (parts.hostname or "") in _LOCAL_HOSTS:
        return [Warning(f"SITE_URL is {settings.SITE_URL!r}: canonical links, share cards and e-mails would point "
                        "to this machine. Set it to the site's public address.", id="yoppy.W001")]  # fmt: skip
    if parts.scheme != "https":
        return [Warning(f"SITE_URL {settings.SITE_URL!r} is not https: canonical links and share cards would "
                        "send visitors to plain HTTP.", id="yoppy.W002")]  # fmt: skip
    return []
