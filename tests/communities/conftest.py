"""Fixtures of the Whop tests: a local Whop (keys, v1 API, OAuth), the app's settings pointed at
it, and a community with members, a plan and a shared channel (the chat tests' bakery)."""

from __future__ import annotations

import django_rq
import pytest

from communities.models import Community, CommunityChannel, CommunityExperience, CommunityMember, WhopAccount
from communities.whop import tokens
from tests.channels_app.factories import ChannelFactory
from tests.chat.test_views_chat import bakery  # noqa: F401  (a fixture: a channel with real chunks)
from tests.communities.factories import SECRET
from tests.communities.whop_server import APP_ID, FakeWhop

COMPANY = "biz_bakersguild01"
EXPERIENCE = "exp_askmira0001"
MEMBER = "user_member000001"
OWNER = "user_owner0000001"
OUTSIDER = "user_outsider0001"


@pytest.fixture
def whop(settings):
    fake = FakeWhop()
    settings.WHOP_APP_ID = APP_ID
    settings.WHOP_API_KEY = "apik_test"
    settings.WHOP_ENABLED = True
    settings.WHOP_WEBHOOK_SECRET = SECRET
    settings.WHOP_API_BASE = f"{fake.url}/api/v1"
    settings.WHOP_JWKS_URL = f"{fake.url}/.well-known/jwks.json"
    settings.WHOP_OAUTH_BASE = f"{fake.url}/oauth"
    settings.WHOP_OAUTH_CLIENT_ID = "client_test"
    settings.WHOP_OAUTH_CLIENT_SECRET = "client_secret_test"
    settings.WHOP_PLAN_PRODUCTS = {"prod_basic": "basic", "prod_pro": "pro", "prod_rich": "rich"}
    settings.WHOP_QUESTIONS_PER_MEMBER = 100
    fake.experiences[EXPERIENCE] = (COMPANY, "Bakers Guild")
    fake.access[(MEMBER, EXPERIENCE)] = "customer"
    fake.access[(OWNER, EXPERIENCE)] = "admin"
    fake.access[(OWNER, COMPANY)] = "admin"
    fake.access[(MEMBER, COMPANY)] = "customer"
    tokens.jwks_cache_clear()
    yield fake
    tokens.jwks_cache_clear()
    fake.stop()


@pytest.fixture
def persona(alice):
    """A ready channel of alice's without chunks (pages and refusals need no retrieval)."""
    return ChannelFactory(owner=alice, title="Mira Bakes")


@pytest.fixture
def community(db, whop, alice, persona):
    """Bakers Guild: installed, 3 active members, on Pro, sharing alice's Mira Bakes; alice is
    the owner (linked to the Whop user OWNER)."""
    guild = Community.objects.create(
        company_id=COMPANY, name="Bakers Guild", installed=True, paid_plan="pro", active_members=3, owner=alice
    )
    CommunityExperience.objects.create(experience_id=EXPERIENCE, community=guild)
    for n in range(3):
        CommunityMember.objects.create(community=guild, membership_id=f"mem_{n}", whop_user_id=f"user_m{n}", active=True,
                                       state_at="2026-11-01T00:00:00Z")  # fmt: skip
    CommunityChannel.objects.create(community=guild, channel=persona)
    WhopAccount.objects.create(user=alice, whop_user_id=OWNER)
    return guild


@pytest.fixture
def asking_community(community, persona, bakery):  # noqa: F811
    """The community sharing the bakery instead: a channel with real ingested chunks to answer from."""
    CommunityChannel.objects.filter(community=community).update(channel=bakery)
    return community


def whop_headers(whop, user_id: str = MEMBER, **token_kwargs) -> dict:
    return {"x-whop-user-token": whop.token(user_id, **token_kwargs)}


def run_queued(queue: str = "default") -> int:
    """Run the jobs waiting in a queue here, as a worker would (the webhook's work)."""
    ran = 0
    for job in django_rq.get_queue(queue).get_jobs():
        job.func(*job.args, **job.kwargs)
        job.delete()
        ran += 1
    return ran
