"""Referral capture: remember which creator brought a visitor, until they sign up.

A visit to a public creator page (/c/<slug>: the channel's owner) or to any page with
``?ref=<code>`` is a *touch*. The first touch within AFFILIATE_REFERRAL_DAYS wins; it is kept in
a signed cookie (survives the session) and in the session (survives a browser that drops the
cookie). ``affiliates.signals`` reads it when the account is created.

Cheap by design: a request that is neither a public page nor carries ``?ref=`` costs no query,
and neither does one whose cookie already holds a live touch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

COOKIE_NAME = "yoppy_ref"
SESSION_KEY = "affiliates_referral"
_SALT = "affiliates.referral"
PUBLIC_PAGE_VIEW = "chat:public"


@dataclass(frozen=True)
class Touch:
    referrer_id: int
    source: str  # Referral.Source value
    at: dt.datetime

    def dumps(self) -> str:
        return f"{self.referrer_id}:{self.source}:{int(self.at.timestamp())}"

    @classmethod
    def loads(cls, value: str) -> Touch | None:
        try:
            referrer_id, source, seconds = value.split(":")
            return cls(int(referrer_id), source, dt.datetime.fromtimestamp(int(seconds), tz=dt.UTC))
        except (ValueError, AttributeError, OverflowError):
            return None

    def is_live(self, now: dt.datetime) -> bool:
        return self.at <= now and now - self.at <= dt.timedelta(days=settings.AFFILIATE_REFERRAL_DAYS)


def _max_age() -> int:
    return settings.AFFILIATE_REFERRAL_DAYS * 24 * 3600


def _cookie_touch(request: HttpRequest, now: dt.datetime) -> Touch | None:
    try:
        value = request.get_signed_cookie(COOKIE_NAME, salt=_SALT, max_age=_max_age())
    except (KeyError, signing.BadSignature):
        return None
    touch = Touch.loads(value)
    return touch if touch and touch.is_live(now) else None


def _session_touch(request: HttpRequest, now: dt.datetime) -> Touch | None:
    session = getattr(request, "session", None)
    touch = Touch.loads(session.get(SESSION_KEY, "")) if session is not None else None
    return touch if touch and touch.is_live(now) else None


def touch_read(request: HttpRequest, *, now: dt.datetime | None = None) -> Touch | None:
    """The live referral touch this browser carries, or None. Cookie first: it costs no query."""
    now = now or timezone.now()
    return _cookie_touch(request, now) or _session_touch(request, now)


class ReferralCaptureMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        touch = getattr(request, "_affiliates_touch", None)
        if touch is not None:
            response.set_signed_cookie(
                COOKIE_NAME, touch.dumps(), salt=_SALT, max_age=_max_age(),
                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
            )  # fmt: skip
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # After URL resolution, so the public page is recognised by its view name, not its path.
        code = request.GET.get("ref", "").strip()
        match = request.resolver_match
        slug = view_kwargs.get("slug") if match and match.view_name == PUBLIC_PAGE_VIEW else None
        if not code and not slug:
            return None  # nothing to capture: no query
        now = timezone.now()
        if _cookie_touch(request, now) is not None:
            return None  # first touch wins
        if request.user.is_authenticated or _session_touch(request, now) is not None:
            return None  # signed-in users signed up already; a session touch wins too

        from affiliates import selectors
        from affiliates.models import Referral

        if code and len(code) <= 16:
            referrer_id, source = selectors.referrer_for_code(code=code), Referral.Source.CODE
        else:
            referrer_id, source = None, ""
        if referrer_id is None and slug:
            referrer_id, source = selectors.referrer_for_public_page(slug=slug), Referral.Source.PAGE
        if referrer_id is None:
            return None
        touch = Touch(referrer_id, source, now)
        request.session[SESSION_KEY] = touch.dumps()
        request._affiliates_touch = touch
        return None
