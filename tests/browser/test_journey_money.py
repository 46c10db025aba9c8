"""Money, end to end: a fan arrives through a creator's public page, signs up, subscribes to
Personal in USD (Razorpay's API and checkout served locally; the webhooks carry real HMAC
signatures), the plan changes, the creator sees a $1.44 commission and asks for a payout, staff
approve it in the admin, the payout job sends it through PayPal Payouts (served locally), and
PayPal's signed webhook closes it as paid."""

from __future__ import annotations

import re

import django_rq
import httpx
import pytest
from cryptography import x509
from django.core.management import call_command
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from billing.gateways import paypal as paypal_module
from tests.affiliates.test_paypal_payouts import event_body as payout_event_body
from tests.billing.factories import gateway_plans
from tests.billing.razorpay_server import FakeRazorpay
from tests.billing.test_gateway_paypal import DATA, TEST_CERT_URL, WEBHOOK_ID, RecordingServer
from tests.users.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


@pytest.fixture
def creator_channel(db):
    from channels_app.models import Channel

    UserFactory(email="admin@yoppy.local", is_staff=True, is_superuser=True)
    call_command("load_demo_channels")
    creator = UserFactory(email="mira@example.com")
    channel = Channel.objects.get(is_demo=True)
    Channel.objects.filter(pk=channel.pk).update(owner=creator, is_public=True)
    channel.refresh_from_db()
    return channel


@pytest.fixture
def razorpay(settings, live_server):
    fake = FakeRazorpay(key_id="rzp_test_journey", key_secret="journey-secret", webhook_secret="whsec_journey")
    fake.plans = {"plan_personal_inr": {"amount": 29900, "currency": "INR"},
                  "plan_personal_usd": {"amount": 360, "currency": "USD"}}  # fmt: skip
    fake.webhook_url = f"{live_server.url}/billing/webhooks/razorpay/"
    fake.return_url = f"{live_server.url}/billing/?checkout=done"
    settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET = fake.key_id, fake.key_secret
    settings.RAZORPAY_WEBHOOK_SECRETS = [fake.webhook_secret]
    settings.RAZORPAY_API_BASE = fake.url
    gateway_plans()
    yield fake
    fake.stop()


@pytest.fixture
def paypal(settings, paypal_signer, monkeypatch):
    """PayPal's OAuth and Payouts API served locally, its webhook certificate already cached."""
    running = RecordingServer()
    running.answer("POST", "/v1/oauth2/token", (200, (DATA / "paypal_token.json").read_bytes()))
    running.answer("POST", "/v1/payments/payouts", (201, (DATA / "paypal_payout_created.json").read_bytes()))
    settings.PAYPAL_API_BASE = running.url
    settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET = "journey-client", "journey-secret"
    settings.PAYPAL_WEBHOOK_ID, settings.PAYPAL_VERIFY_MODE = WEBHOOK_ID, "local"
    monkeypatch.setitem(paypal_module._CERT_CACHE, TEST_CERT_URL, x509.load_pem_x509_certificate(paypal_signer.pem))
    paypal_module._TOKEN_CACHE.clear()
    yield running
    running.stop()
    paypal_module._TOKEN_CACHE.clear()


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def test_a_referred_fan_subscribes_and_the_creator_is_paid_the_commission(
    browser, live_server, creator_channel, razorpay, paypal, paypal_signer, settings
):
    from affiliates.models import Payout

    settings.AFFILIATE_HOLD_DAYS = 0  # no refund window to wait out in a test
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"USD": 100, "INR": 10000}

    # The fan finds the creator's public page, then signs up.
    fan = browser.new_context(base_url=live_server.url).new_page()
    fan.goto(f"/c/{creator_channel.slug}/")
    fan.get_by_role("link", name="Sign up free").click()
    fan.fill("input[name=email]", "fan@example.com")
    fan.fill("input[name=password1]", "a long enough passphrase 7")
    fan.fill("input[name=password2]", "a long enough passphrase 7")
    fan.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    fan.wait_for_url(re.compile(rf"/c/{creator_channel.slug}/$"))  # sign-up from a chat comes back to it

    # Personal in USD through Razorpay's checkout; the plan changes when the signed webhook lands.
    fan.goto("/billing/")
    fan.locator("[data-plan=personal]").get_by_role("button", name="Upgrade — Razorpay, USD").click()
    fan.wait_for_url(re.compile(r"/checkout/sub_"))
    fan.get_by_role("button", name="Pay 3.60 USD").click()
    fan.wait_for_url(re.compile(r"/billing/\?checkout=done"))
    fan.wait_for_function("document.querySelector('[data-testid=current-plan]').textContent === 'Personal'")
    assert razorpay.deliveries == [("subscription.activated", 200), ("subscription.charged", 200)]
    assert "$3.60" in fan.inner_text("table")

    # The creator sees 40 % of $3.60 and asks for it by PayPal.
    creator = browser.new_context(base_url=live_server.url).new_page()
    log_in(creator, "mira@example.com")
    creator.goto("/dashboard/earnings/")
    assert "$1.44" in creator.inner_text("#balances")
    creator.select_option("select[name=currency]", "USD")
    creator.fill("input[name=amount]", "1.44")
    creator.check("input[name=method][value=paypal]")
    creator.fill("input[name=paypal_email]", "mira.payouts@example.com")
    creator.get_by_role("button", name="Request payout").click()
    creator.wait_for_selector("text=requested: we will review it shortly")
    payout = Payout.objects.get()
    assert (payout.amount_minor, payout.currency, payout.status) == (144, "USD", "requested")

    # Staff approve it in the admin; the billing queue's job sends it through PayPal Payouts.
    staff = browser.new_context(base_url=live_server.url).new_page()
    staff.goto("/admin/")
    staff.fill("input[name=username]", "admin@yoppy.local")
    staff.fill("input[name=password]", PASSWORD)
    staff.get_by_role("button", name=re.compile("Log in", re.I)).click()
    staff.goto("/admin/affiliates/payout/")
    staff.check(f"input[name=_selected_action][value='{payout.pk}']")
    staff.select_option("select[name=action]", "approve")
    staff.get_by_role("button", name="Go").click()
    staff.wait_for_selector("ul.messagelist")
    django_rq.get_worker("billing", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)
    payout.refresh_from_db()
    assert (payout.status, payout.paypal_batch_id) == ("processing", "5UXD2E8A7EBQJ")
    assert '"receiver": "mira.payouts@example.com"' in paypal.requests[-1].body.decode().replace('":"', '": "')

    # PayPal reports the item paid, signed; the payout ends paid and the creator sees it.
    body = payout_event_body("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", payout)
    answer = httpx.post(f"{live_server.url}/billing/webhooks/paypal/", content=body,
                        headers={"Content-Type": "application/json", **paypal_signer.headers(body)})  # fmt: skip
    assert answer.status_code == 200
    payout.refresh_from_db()
    assert payout.status == "paid"
    staff.goto("/admin/affiliates/payout/")
    assert "Paid" in staff.inner_text(f"#result_list tr:has(input[value='{payout.pk}'])")

    creator.goto("/dashboard/earnings/")
    assert "$1.44" in creator.inner_text("#payout-history")
