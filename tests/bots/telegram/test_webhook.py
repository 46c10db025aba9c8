"""The webhook: the secret token or 401 with nothing queued, each update_id once, and only the
updates the bot acts on become jobs."""

from __future__ import annotations

import json
from pathlib import Path

import django_rq
import pytest

from bots.models import ProcessedEvent
from tests.bots.telegram.conftest import SECRET, group_text, post, private_text

REALDATA = Path("/work/shared/realdata/webhooks/telegram/official_webhook_test_updates")


def queued() -> list:
    return django_rq.get_queue("bots").get_jobs()


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()])
def test_a_wrong_or_missing_secret_token_is_401_and_nothing_is_queued(
    client, shared_bot, secret, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, shared_bot, private_text("hello"), secret=secret)
    assert response.status_code == 401
    assert queued() == [] and not ProcessedEvent.objects.exists()


def test_an_unknown_or_revoked_bot_is_401(client, shared_bot):
    assert post(client, shared_bot, private_text("hi")).status_code == 200
    shared_bot.status = shared_bot.Status.REVOKED
    shared_bot.save()
    assert post(client, shared_bot, private_text("hi")).status_code == 401
    response = client.post("/bots/telegram/123/webhook/", data="{}", content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET)  # fmt: skip
    assert response.status_code == 401


def test_a_verified_update_is_acknowledged_and_queued_once_per_update_id(
    client, shared_bot, django_capture_on_commit_callbacks
):
    update = private_text("How much flour?", update_id=4242)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, shared_bot, update)
        again = post(client, shared_bot, update)
    assert (first.status_code, again.status_code) == (200, 200) and first.json() == {"ok": True}
    jobs = queued()
    assert [job.func_name for job in jobs] == ["bots.tasks.telegram_update"]
    assert jobs[0].args == [shared_bot.pk, update]


def test_a_body_that_is_not_an_update_is_a_clear_400(client, shared_bot):
    for body in ("not json", "[]", '{"update_id": "1"}', "[" * 5000):
        response = client.post(f"/bots/telegram/{shared_bot.external_id}/webhook/", data=body,
                               content_type="application/json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET)  # fmt: skip
        assert response.status_code == 400 and response.json()["description"]


def test_group_chatter_and_chosen_inline_results_cost_no_job(client, shared_bot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, shared_bot, group_text("morning all")).status_code == 200
        assert post(client, shared_bot, group_text("how long to proof?", mentioned=True)).status_code == 200
    assert len(queued()) == 1


def test_every_official_example_update_is_acknowledged(client, shared_bot, django_capture_on_commit_callbacks):
    paths = sorted(REALDATA.glob("*.json"))
    if not paths:
        pytest.skip(f"{REALDATA} is not here (real data lives outside the repo)")
    for number, path in enumerate(paths):
        update = json.loads(path.read_text())
        update["update_id"] = 10000 + number  # they all share 10000 upstream
        with django_capture_on_commit_callbacks(execute=True):
            assert post(client, shared_bot, update).status_code == 200, path.name
    # chosen_inline_result is not for the bot; the other eleven are.
    assert len(queued()) == len(paths) - 1
