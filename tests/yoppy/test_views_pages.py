"""Landing page, dashboard shell, health check and error pages."""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from billing.services import quota_consume


def test_the_landing_page_lists_the_plans_with_seo_and_structured_data(client, db):
    page = client.get(reverse("landing"))
    html = page.content.decode()

    assert page.status_code == 200
    assert "<title>Yoppy — chat with any YouTube creator" in html
    assert '<meta name="description"' in html and 'property="og:title"' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert {offer["name"]: offer["price"] for offer in ld["offers"]} == {"Free": "0.00", "Personal": "3.60", "Creator": "18.00"}
    for cell in ("Free", "$3.60", "$18.00", "10,000", "500", "20", "Unlimited"):
        assert cell in html


def test_the_page_loads_htmx_and_the_stylesheet_from_the_project_not_a_cdn(client, db):
    html = client.get(reverse("landing")).content.decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert '/static/css/yoppy.css' in html
    assert client.get("/static/css/yoppy.css").status_code == 200


def test_the_dashboard_needs_a_login(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_dashboard_shows_the_current_plan_and_usage(client, alice):
    quota_consume(user=alice)
    client.force_login(alice)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Free" in html and "1 of 20 questions used this month (19 left)" in html


def test_htmx_navigation_gets_only_the_dashboard_fragment(client, alice):
    client.force_login(alice)
    fragment = client.get(reverse("dashboard"), headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="dashboard-main"')
    assert "<html" not in fragment


def test_healthz_reports_the_database_and_redis_up(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_redis_is_down(client):
    from yoppy.embedded import free_port

    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", HEALTHZ_TIMEOUT_S=0.5):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "redis": "down"}


def test_unknown_pages_get_the_custom_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We can't find that page" in response.content


def test_a_crash_gets_the_custom_500_page(rf):
    from yoppy.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500 and b"Something went wrong on our side" in response.content


def test_an_outage_raised_outside_a_view_is_a_503_page_not_a_500(rf):
    """handler500 runs while Django handles the exception: a middleware that hit a dead
    database (saving the session) gets the "temporarily unavailable" page."""
    from django.db import OperationalError

    from yoppy.views import server_error

    try:
        raise OperationalError("the connection is closed")
    except OperationalError:
        response = server_error(rf.get("/"))
    assert response.status_code == 503 and response["Retry-After"]
    assert b"temporarily unavailable" in response.content


def test_any_other_error_stays_a_500_page(rf):
    from yoppy.views import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
