"""Whop's v1 API through the official whop-sdk: access checks and experience look-ups.

The base URL is ``settings.WHOP_API_BASE`` (tests point it at a local server). Access levels are
cached for ``WHOP_ACCESS_CACHE_S``: a page, its question and its stream are one look-up, and a
member removed in Whop loses access within that time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import httpx
from django.conf import settings
from django.core.cache import cache
from whop_sdk import Whop
from whop_sdk.core.api_error import ApiError
from whop_sdk.core.parse_error import ParsingError
from whop_sdk.environment import WhopEnvironment

from communities.whop import WhopUnavailable

logger = logging.getLogger(__name__)

_TIMEOUT_S = 10.0


class AccessLevel(StrEnum):
    ADMIN = "admin"
    CUSTOMER = "customer"
    NO_ACCESS = "no_access"


@dataclass(frozen=True)
class ExperienceInfo:
    experience_id: str
    company_id: str
    company_title: str


def _client() -> Whop:
    base = settings.WHOP_API_BASE
    return Whop(
        environment=WhopEnvironment(api=base, vault=base),
        token=settings.WHOP_API_KEY,
        timeout=_TIMEOUT_S,
        max_retries=1,
    )


def access_level(*, user_id: str, resource_id: str) -> AccessLevel:
    """The user's access to an experience (exp_...) or company (biz_...): admin, customer or
    none. Anything Whop answers that is not one of those counts as no access."""
    key = f"whop:access:{user_id}:{resource_id}"
    cached = cache.get(key)
    if cached is not None:
        return AccessLevel(cached)
    try:
        answer = _client().users.check_access(user_id, resource_id)
    except ApiError as exc:
        if exc.status_code in {400, 403, 404}:
            level = AccessLevel.NO_ACCESS  # an unknown or foreign resource: nothing to see
        else:
            raise WhopUnavailable(f"Whop's access check answered {exc.status_code}") from exc
    except (httpx.HTTPError, ParsingError, ValueError) as exc:
        raise WhopUnavailable(f"Whop's access check failed: {exc}") from exc
    else:
        raw = answer.access_level if answer.has_access else AccessLevel.NO_ACCESS
        level = AccessLevel(raw) if raw in AccessLevel._value2member_map_ else AccessLevel.NO_ACCESS
    cache.set(key, level.value, settings.WHOP_ACCESS_CACHE_S)
    return level


def experience_get(*, experience_id: str) -> ExperienceInfo | None:
    """The experience's company, or None when Whop does not know it."""
    try:
        experience = _client().experiences.retrieve(experience_id)
    except ApiError as exc:
        if exc.status_code in {400, 403, 404}:
            return None
        raise WhopUnavailable(f"Whop's experience look-up answered {exc.status_code}") from exc
    except (httpx.HTTPError, ParsingError, ValueError) as exc:
        raise WhopUnavailable(f"Whop's experience look-up failed: {exc}") from exc
    return ExperienceInfo(
        experience_id=experience.id, company_id=experience.company.id, company_title=experience.company.title
    )
