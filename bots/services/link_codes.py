"""Single-use codes that link a platform user to a Yoppy account (Telegram's ``/connect``).

The dashboard makes a code for the signed-in user; the bot redeems it for the Telegram user who
sent it. A code works once (a conditional UPDATE claims it, so two redemptions at once cannot
both succeed) and for TELEGRAM_CONNECT_CODE_MINUTES; only its SHA-256 is stored. Wrong guesses
are counted per platform user (LINK_ATTEMPTS_PER_HOUR), so the 40-bit codes cannot be walked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bots.models import LinkCode, PlatformUserLink
from chat.services.askers import _redis

# No 0/O, 1/I/L: a code is read off a screen and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
LINK_ATTEMPTS_PER_HOUR = 10


class LinkCodeError(Exception):
    """The code cannot link this user; the message says why and what to do (shown as is)."""


def _digest(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def link_code_create(*, user, platform: str) -> tuple[str, LinkCode]:
    """A new code for ``user`` (shown once, "ABCD-EFGH"); earlier unused codes stop working."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        LinkCode.objects.filter(user=user, platform=platform, used_at__isnull=True).update(expires_at=now)
        row = LinkCode.objects.create(
            platform=platform, user=user, code_sha256=_digest(code),
            expires_at=now + dt.timedelta(minutes=settings.TELEGRAM_CONNECT_CODE_MINUTES),
        )  # fmt: skip
    return f"{code[:4]}-{code[4:]}", row


def _attempt(*, platform: str, external_user_id: str) -> None:
    counters = _redis(settings.REDIS_URL)
    key = f"yoppy:bots:link-attempts:{platform}:{external_user_id}:{timezone.now():%Y%m%d%H}"
    pipe = counters.pipeline()
    pipe.incr(key)
    pipe.expire(key, 3600)
    if pipe.execute()[0] > LINK_ATTEMPTS_PER_HOUR:
        raise LinkCodeError("Too many tries this hour. Make a new code on your Yoppy dashboard and try later.")


def link_code_redeem(*, platform: str, code: str, external_user_id: str):
    """Link ``external_user_id`` to the account whose code this is; returns that user. A user
    linked before moves to this account. Raises LinkCodeError for a wrong, used or expired code."""
    if not code.strip():
        raise LinkCodeError("Send /connect followed by the code from your Yoppy dashboard.")
    _attempt(platform=platform, external_user_id=external_user_id)
    now = timezone.now()
    with transaction.atomic():
        claimed = LinkCode.objects.filter(
            platform=platform, code_sha256=_digest(code), used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now, used_by=str(external_user_id))
        if not claimed:
            row = LinkCode.objects.filter(platform=platform, code_sha256=_digest(code)).first()
            if row is not None and row.used_at is not None:
                raise LinkCodeError("That code was already used. Make a new one on your Yoppy dashboard.")
            if row is not None:
                raise LinkCodeError("That code has expired. Make a new one on your Yoppy dashboard.")
            raise LinkCodeError("That code isn't right. Check it on your Yoppy dashboard and try again.")
        user = LinkCode.objects.select_related("user").get(code_sha256=_digest(code)).user
        PlatformUserLink.objects.update_or_create(
            platform=platform, external_user_id=str(external_user_id), defaults={"user": user}
        )
    return user


def link_revoke(*, link: PlatformUserLink) -> None:
    """Unlink: the platform user asks as an unlinked user again."""
    link.delete()
