"""Whop's app webhooks at the door: Standard Webhooks signatures with Whop's secret handling,
once per webhook-id, a 5-minute window, a fast 200 with the work queued."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import django_rq
import pytest
from django.urls import reverse

from communities.models import Community, CommunityMember, WhopWebhookDelivery
from tests.communities import factories
from tests.communities.conftest import COMPANY, run_queued

VECTOR = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "webhooks" / "whop" / (
    "standard_webhooks_signature_test_vector.json"
)
URL = "/whop/webhooks/"


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    """The test client, with each request's on-commit callbacks run (django-rq enqueues there)."""

    class Committing:
        def post(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return client.post(*args, **kwargs)

    return Committing()


def post(client, payload: dict, *, webhook_id: str | None = None, body: bytes | None = None, **sign):
    body = body if body is not None else factories.body_of(payload)
    headers = factories.signed_headers(body, webhook_id=webhook_id or payload["id"], **sign)
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def installed(at: float | None = None) -> dict:
    return factories.installation("created", company=COMPANY, at=at or time.time())


def test_the_webhook_url_is_the_apps_own():
    assert reverse("communities:webhook") == URL


@pytest.mark.django_db
def test_a_signed_delivery_is_acknowledged_at_once_and_applied_by_its_job(client, whop):
    response = post(client, installed())
    assert response.status_code == 200 and response.json() == {"ok": True, "duplicate": False}
    delivery = WhopWebhookDelivery.objects.get()
    assert delivery.applied_at is None and not Community.objects.exists()  # nothing done in the request

    assert run_queued() == 1

    delivery.refresh_from_db()
    assert delivery.applied_at is not None and delivery.outcome == "installed"
    assert Community.objects.get(company_id=COMPANY).installed


@pytest.mark.django_db
def test_a_tampered_body_is_refused_and_nothing_is_written(client, whop):
    payload = installed()
    body = factories.body_of(payload)
    headers = factories.signed_headers(body, webhook_id=payload["id"])
    tampered = body.replace(COMPANY.encode(), b"biz_attacker00001")
    response = client.post(URL, data=tampered, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert not WhopWebhookDelivery.objects.exists() and django_rq.get_queue("default").count == 0


@pytest.mark.django_db
def test_a_delivery_signed_with_another_secret_is_refused(client, whop):
    assert post(client, installed(), secret="ws_not_ours").status_code == 400
    assert not WhopWebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_webhook_id_changed_after_signing_is_refused(client, whop):
    payload = installed()
    body = factories.body_of(payload)
    headers = {**factories.signed_headers(body, webhook_id=payload["id"]), "webhook-id": "msg_other"}
    assert client.post(URL, data=body, content_type="application/json", headers=headers).status_code == 400
    assert not WhopWebhookDelivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-6 * 60, 6 * 60], ids=["six minutes old", "six minutes ahead"])
def test_a_delivery_outside_the_five_minute_window_is_refused(client, whop, offset):
    response = post(client, installed(), timestamp=int(time.time()) + offset)
    assert response.status_code == 400 and "timestamp" in response.json()["error"]
    assert not WhopWebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_captured_delivery_replayed_later_is_refused(client, whop):
    payload = installed()
    body = factories.body_of(payload)
    captured = factories.signed_headers(body, webhook_id=payload["id"], timestamp=int(time.time()) - 3600)
    assert client.post(URL, data=body, content_type="application/json", headers=captured).status_code == 400
    assert not WhopWebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_redelivery_of_the_same_webhook_id_changes_nothing(client, whop):
    """Whop retries with the same webhook-id and body: answered 200 (so the retries stop), with
    no second row, job or effect."""
    payload = factories.membership("activated", company=COMPANY, membership_id="mem_1", user="user_1", at=time.time())
    assert post(client, payload).json() == {"ok": True, "duplicate": False}
    assert post(client, payload).json() == {"ok": True, "duplicate": True}
    assert WhopWebhookDelivery.objects.count() == 1 and run_queued() == 1
    assert CommunityMember.objects.count() == 1 and Community.objects.get().active_members == 1


@pytest.mark.django_db
def test_garbage_and_missing_headers_are_a_400_not_a_500(client, whop):
    assert client.post(URL, data=b"\xff\xfe", content_type="application/json").status_code == 400
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,%%%"}
    assert client.post(URL, data=b"{}", content_type="application/json", headers=headers).status_code == 400
    assert not WhopWebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_without_a_secret_webhooks_are_refused_as_not_configured(client, whop, settings):
    settings.WHOP_WEBHOOK_SECRET = ""
    assert post(client, installed()).status_code == 503


def test_whops_secret_is_used_as_its_literal_bytes_not_base64_decoded():
    """The Standard Webhooks vector (../shared/realdata) verifies with the spec's key derivation;
    Whop signs with the secret's literal bytes instead (whop-sdk's unwrap), so the same secret
    string must verify our literal-bytes signature and refuse the spec's."""
    if not VECTOR.exists():
        pytest.skip("../shared/realdata/webhooks/whop/ is not here")
    from freezegun import freeze_time
    from standardwebhooks import Webhook

    from communities.whop.webhooks import SignatureInvalid, event_verify

    vector = json.loads(VECTOR.read_text())
    headers, body, secret = vector["headers"], vector["body"].encode(), vector["secret"]
    with freeze_time(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(headers["webhook-timestamp"])))):
        Webhook(secret).verify(body, headers)  # the spec's derivation: the vector holds
        with pytest.raises(SignatureInvalid):
            event_verify(body=body, headers=headers, secret=secret)
        whop_signed = {**headers, "webhook-signature": factories.signature(
            secret=secret, webhook_id=headers["webhook-id"], timestamp=int(headers["webhook-timestamp"]), body=body)}
        assert event_verify(body=body, headers=whop_signed, secret=secret).webhook_id == headers["webhook-id"]
    # And the two derivations really differ for this secret.
    spec_key = base64.b64decode(secret.removeprefix("whsec_"))
    assert spec_key != secret.encode()
