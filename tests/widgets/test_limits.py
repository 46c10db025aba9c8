"""Daily limits per visitor session, per IP and per widget (settings); over one: 429 and a
friendly message, and a refused question costs nothing."""

from __future__ import annotations

import pytest

from billing.models import Usage
from billing.selectors import period_start_for
from tests.widgets.conftest import api, events, frame_token

pytestmark = pytest.mark.django_db

QUESTION = "How much flour goes into a new starter?"


def _ask(client, widget, token, **extra):
    return api(client, "ask", widget, token, {"question": QUESTION}, **extra)


def test_a_visitor_session_over_its_limit_gets_a_429_with_a_friendly_message(client, widget, settings):
    settings.WIDGET_QUESTIONS_PER_SESSION = 2
    token = frame_token(client, widget)
    for _ in range(2):
        assert events(_ask(client, widget, token))[-1][0] == "done"

    refused = _ask(client, widget, token)

    assert refused.status_code == 429
    assert refused.json()["error"].startswith("You've asked all the questions this chat allows for today.")
    assert events(_ask(client, widget, frame_token(client, widget)))[-1][0] == "done"  # a new visit may ask


def test_one_ip_address_over_its_limit_gets_a_429_whatever_the_session(client, widget, settings):
    settings.WIDGET_QUESTIONS_PER_IP = 2
    for _ in range(2):
        assert events(_ask(client, widget, frame_token(client, widget)))[-1][0] == "done"

    refused = _ask(client, widget, frame_token(client, widget))

    assert refused.status_code == 429 and "your network" in refused.json()["error"]
    other_ip = api(client, "ask", widget, frame_token(client, widget), {"question": QUESTION}, REMOTE_ADDR="10.0.0.9")
    assert events(other_ip)[-1][0] == "done"


def test_a_widget_over_its_daily_limit_gets_a_429_for_every_visitor(client, widget, settings, alice):
    settings.WIDGET_QUESTIONS_PER_WIDGET_PER_DAY = 1
    assert events(_ask(client, widget, frame_token(client, widget)))[-1][0] == "done"

    refused = api(client, "ask", widget, frame_token(client, widget), {"question": QUESTION}, REMOTE_ADDR="10.0.0.7")

    assert refused.status_code == 429 and "answered all the questions it can today" in refused.json()["error"]
    assert Usage.objects.get(user=alice, period_start=period_start_for()).queries_used == 1  # the refusal cost nothing


def test_a_question_the_plan_refuses_gives_the_widget_limits_back(client, widget, settings, alice):
    settings.WIDGET_QUESTIONS_PER_SESSION = 1
    token = frame_token(client, widget)
    usage = Usage.objects.create(user=alice, period_start=period_start_for(), queries_used=20)
    assert _ask(client, widget, token).status_code == 429  # the plan is used up

    usage.queries_used = 0
    usage.save()

    assert events(_ask(client, widget, token))[-1][0] == "done"  # the session's one question was not spent


def test_a_visitors_failed_answer_goes_back_to_the_owners_plan(widget):
    from chat.services.askers import PlanPool
    from widgets.services import WidgetAllowance

    allowance = WidgetAllowance(widget_id=widget.pk, asker_ref="v-1", ip="203.0.113.9", then=PlanPool(user=widget.channel.owner))

    assert allowance.receipt == f"plan:{widget.channel.owner.pk}"
