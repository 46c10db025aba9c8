"""RazorpayGateway's RazorpayX payee calls (contact, fund account) against a local HTTP server.

Kept beside test_gateway_razorpay.py, whose recording server it reuses."""

from __future__ import annotations

import pytest

from billing.gateways import GatewayError
from tests.billing.test_gateway_razorpay import BASIC, RecordingServer, api, ours


@pytest.fixture
def server():
    running = RecordingServer()
    yield running
    running.stop()


def test_contact_create_posts_the_payee_with_our_reference_and_returns_the_id(server):
    server.answer("POST", "/v1/contacts", (200, ours("razorpay_contact.json")))

    contact_id = api(server).contact_create(
        name="Gaurav Kumar", email="gaurav.kumar@example.com", reference_id="yoppy-creator-42"
    )

    assert contact_id == "cont_00000000000001"
    [request] = server.requests
    assert (request.path, request.headers["authorization"]) == ("/v1/contacts", BASIC)
    assert request.json() == {
        "name": "Gaurav Kumar",
        "type": "vendor",
        "reference_id": "yoppy-creator-42",
        "email": "gaurav.kumar@example.com",
    }


def test_fund_account_create_posts_the_bank_account_of_the_contact_and_returns_the_id(server):
    server.answer("POST", "/v1/fund_accounts", (200, ours("razorpay_fund_account.json")))

    fund_account_id = api(server).fund_account_create(
        contact_id="cont_00000000000001", account_number="765432123456789", ifsc="HDFC0000053", name="Gaurav Kumar"
    )

    assert fund_account_id == "fa_00000000000001"
    [request] = server.requests
    assert (request.path, request.headers["authorization"]) == ("/v1/fund_accounts", BASIC)
    assert request.json() == {
        "contact_id": "cont_00000000000001",
        "account_type": "bank_account",
        "bank_account": {"name": "Gaurav Kumar", "ifsc": "HDFC0000053", "account_number": "765432123456789"},
    }


def test_a_refused_fund_account_is_a_clear_error_without_the_account_number(server):
    server.answer(
        "POST",
        "/v1/fund_accounts",
        (400, b'{"error": {"code": "BAD_REQUEST_ERROR", "description": "Invalid IFSC Code", "field": "ifsc"}}'),
    )

    with pytest.raises(GatewayError) as caught:
        api(server).fund_account_create(
            contact_id="cont_1", account_number="765432123456789", ifsc="HDFC0000000", name="Gaurav Kumar"
        )

    assert (caught.value.retryable, caught.value.code) == (False, "BAD_REQUEST_ERROR")
    assert "Invalid IFSC Code (field ifsc)" in str(caught.value)
    assert "765432123456789" not in str(caught.value) and "765432123456789" not in repr(caught.value)
