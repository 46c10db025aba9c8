"""Who asks, and which quota pool pays for the question.

Every surface (the web page, the Discord and Telegram bots, Whop, the widget, the API) builds an
``Asker`` and hands it to the answer core (chat.services.asking). An asker is a kind, an identity
within that kind (``ref``, what its conversations are filed under) and a ``pool``: the rule that
takes one question before any model runs and refuses, consuming nothing, when the pool is empty.

Pools, one small class each with the same shape:
- ``PlanPool``: a Yoppy user's monthly plan, through billing's atomic ``quota_consume`` (one
  conditional UPDATE: two askers cannot both take the last question). A signed-in fan pays from
  their own plan; a widget visitor, a bot user or an API key from the plan of whoever the surface
  says pays (the channel's owner, a linked account, the key's owner).
- ``SessionAllowance``: today's per-session and per-IP allowance of anonymous web visitors, in
  Redis (atomic INCR, given back when refused).
- Pools that belong to another app (a Whop community's pool of 100 questions per member) are
  written there with the same ``take()`` and ``receipt`` and passed in:
  ``Asker(kind=AskerKind.WHOP_MEMBER, ..., pool=CommunityPool(...))``.

An answer that never came (the model failed, the stream broke) gives its question back: the
pool's ``receipt`` ("<prefix>:<ref>") is stored on the answer, and ``give_back`` calls the function
registered for that prefix (``give_back_register``; plan and session are registered here).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis
from django.conf import settings
from django.utils import timezone

from billing.services import quota_consume, quota_release
from chat.models import AskerKind

logger = logging.getLogger(__name__)


class QuestionRefused(Exception):
    """The question cannot be asked now; the message says why and what to do (shown as is)."""

    def __init__(self, message: str, *, upgrade: bool = False, sign_up: bool = False, fix_url: str = ""):
        super().__init__(message)
        self.upgrade = upgrade
        self.sign_up = sign_up
        self.fix_url = fix_url  # where the one who can fix it (the channel's owner) does so

    @property
    def over_quota(self) -> bool:
        return self.upgrade or self.sign_up


class QuotaPool(Protocol):
    def take(self) -> None:
        """Take one question from the pool, or raise QuestionRefused having taken nothing."""

    @property
    def receipt(self) -> str:
        """"<prefix>:<ref>": what ``give_back`` needs to return the question to this pool."""


GiveBack = Callable[..., None]  # (*, ref: str, taken_at: datetime) -> None
_GIVE_BACKS: dict[str, GiveBack] = {}


def give_back_register(prefix: str, give_back_fn: GiveBack) -> None:
    """Say how to give a question back to the pools whose receipts start with ``prefix:``.
    Apps with their own pool call this from AppConfig.ready()."""
    _GIVE_BACKS[prefix] = give_back_fn


def give_back(*, receipt: str, taken_at: dt.datetime) -> bool:
    """Return one question, taken at ``taken_at``, to the pool of ``receipt``; False when there is
    nothing to give back to (no receipt, or a pool no app knows any more: logged)."""
    prefix, _, ref = receipt.partition(":")
    give_back_fn = _GIVE_BACKS.get(prefix)
    if not ref or give_back_fn is None:
        if receipt:
            logger.warning("no give-back for quota receipt %r", receipt)
        return False
    give_back_fn(ref=ref, taken_at=taken_at)
    return True


@dataclass(frozen=True)
class PlanPool:
    """A Yoppy user's monthly plan pays. ``refusal`` is what the asker reads when it is used up
    ({limit} is filled in); ``upgrade`` says whether the asker can upgrade it themselves."""

    user: object
    refusal: str = "You've used all {limit} questions of your plan this month. Upgrade for more."
    upgrade: bool = True

    @property
    def receipt(self) -> str:
        return f"plan:{self.user.pk}"

    def take(self) -> None:
        decision = quota_consume(user=self.user)
        if not decision.allowed:
            raise QuestionRefused(self.refusal.format(limit=decision.limit), upgrade=self.upgrade)


@functools.cache
def _redis(url: str) -> redis.Redis:
    """One client, with its connection pool, per process and URL. (django_rq.get_connection builds
    a new client on every call: one TCP connection per question, ~5 ms each in a burst of fans.)"""
    return redis.Redis.from_url(url)


def _session_counter(*, day: dt.date, session_key: str) -> str:
    return f"yoppy:anon-questions:{day.strftime('%Y%m%d')}:session:{session_key}"


def _plan_give_back(*, ref: str, taken_at: dt.datetime) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=ref).first()
    if user is not None:  # an account deleted since has nothing to get back
        quota_release(user=user, taken_at=taken_at)


def _session_give_back(*, ref: str, taken_at: dt.datetime) -> None:
    session_allowance_give_back(session_key=ref, day=taken_at.astimezone(dt.UTC).date())


def session_allowance_give_back(*, session_key: str, day: dt.date) -> None:
    """Give an anonymous session back one question taken on ``day`` (an answer that never came).
    The per-IP count stays: nothing kept after the ask knows the fan's address."""
    counters = _redis(settings.REDIS_URL)
    key = _session_counter(day=day, session_key=session_key)
    if int(counters.get(key) or 0) > 0:
        counters.decr(key)


@dataclass(frozen=True)
class SessionAllowance:
    """An anonymous web visitor's free questions: ANON_QUESTIONS_PER_SESSION per session and
    ANON_QUESTIONS_PER_IP per IP address, per day."""

    session_key: str
    ip: str

    @property
    def receipt(self) -> str:
        return f"session:{self.session_key}"

    def take(self) -> None:
        """INCR is atomic; on going over either limit both counters are given back, so a refused
        question costs nothing."""
        counters = _redis(settings.REDIS_URL)
        now = timezone.now()
        today = now.strftime("%Y%m%d")
        keys = [
            (_session_counter(day=now.date(), session_key=self.session_key), settings.ANON_QUESTIONS_PER_SESSION),
            (f"yoppy:anon-questions:{today}:ip:{self.ip}", settings.ANON_QUESTIONS_PER_IP),
        ]
        pipe = counters.pipeline()
        for key, _ in keys:
            pipe.incr(key)
            pipe.expire(key, 2 * 24 * 3600)
        counts = pipe.execute()[::2]
        if any(count > limit for count, (_, limit) in zip(counts, keys, strict=True)):
            pipe = counters.pipeline()
            for key, _ in keys:
                pipe.decr(key)
            pipe.execute()
            raise QuestionRefused(
                "You've used today's free questions. Sign up free to keep chatting.", sign_up=True
            )


give_back_register("plan", _plan_give_back)
give_back_register("session", _session_give_back)


# What a fan on a surface reads when the plan paying for them is used up: they cannot upgrade it.
_PAID_BY_OTHERS = "This persona has answered all the questions its plan allows this month. Please try again later."


@dataclass(frozen=True)
class Asker:
    """Who asks a question: see the module docstring. Build one with the constructors below (or,
    for a pool of another app, directly)."""

    kind: AskerKind
    ref: str
    pool: QuotaPool
    # The Yoppy account behind the asker when there is one (a signed-in fan, a linked Telegram or
    # Discord user); it is not necessarily who pays.
    user: object | None = None
    ip: str = ""

    def __post_init__(self) -> None:
        if not self.ref:
            raise ValueError("an asker needs an identity (ref)")

    @classmethod
    def signed_in(cls, user, *, ip: str = "") -> Asker:
        """A signed-in web fan: pays from their own plan, sees their conversations in the web list."""
        return cls(kind=AskerKind.USER, ref=str(user.pk), pool=PlanPool(user=user), user=user, ip=ip)

    @classmethod
    def web_session(cls, session_key: str, *, ip: str) -> Asker:
        """An anonymous web visitor: today's per-session and per-IP allowance."""
        return cls(kind=AskerKind.WEB_SESSION, ref=session_key, pool=SessionAllowance(session_key=session_key, ip=ip), ip=ip)

    @classmethod
    def paid_by(cls, kind: AskerKind, ref: str, *, payer, user=None, ip: str = "") -> Asker:
        """A bot user, a widget visitor or an API key, charged to ``payer``'s plan (the channel's
        owner for a widget, the key's owner, a linked account...). ``ref`` must be unique within
        the kind and stable, e.g. f"{guild_id}:{user_id}" for Discord."""
        if kind in {AskerKind.USER, AskerKind.WEB_SESSION}:
            raise ValueError(f"use Asker.signed_in / Asker.web_session for {kind}")
        pool = PlanPool(user=payer, refusal=_PAID_BY_OTHERS, upgrade=False)
        if user is not None and getattr(user, "pk", None) == getattr(payer, "pk", None):
            pool = PlanPool(user=payer)  # they pay themselves, so they may upgrade
        return cls(kind=kind, ref=ref, pool=pool, user=user, ip=ip)

    @property
    def is_web_user(self) -> bool:
        return self.kind == AskerKind.USER

    @property
    def is_web_session(self) -> bool:
        return self.kind == AskerKind.WEB_SESSION

    def quota_take(self) -> None:
        """One question is one query, taken before any model runs (the original counted after)."""
        self.pool.take()
