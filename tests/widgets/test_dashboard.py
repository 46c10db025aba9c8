"""The creator's widget pages: create for one of their channels, origins and looks, the snippet,
the preview, analytics; nobody else's widget exists for them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.models import AskerKind, Conversation, Message
from tests.channels_app.factories import ChannelFactory
from tests.widgets.conftest import SITE
from widgets import selectors
from widgets.models import Widget, WidgetDailyStat

pytestmark = pytest.mark.django_db


def _form(widget, **changes) -> dict:
    data = {
        "name": widget.name, "mode": widget.mode, "position": widget.position, "colour": widget.colour,
        "greeting": widget.greeting, "button_text": widget.button_text, "starters_text": "\n".join(widget.starters),
        "origins_text": SITE,
    }  # fmt: skip
    return {**data, **changes}


def test_a_creator_creates_a_widget_for_their_channel_and_it_starts_with_no_sites(client, alice, bakery):
    client.force_login(alice)

    response = client.post(reverse("widgets:list"), {"channel": bakery.pk, "name": "Sidebar"})

    widget = Widget.objects.get()
    assert response.url == reverse("widgets:detail", args=[widget.pk])
    assert (widget.channel, widget.name, selectors.widget_origin_list(widget=widget)) == (bakery, "Sidebar", [])


def test_a_creator_cannot_make_a_widget_for_someone_elses_channel(client, bob, bakery):
    ChannelFactory(owner=bob)
    client.force_login(bob)

    response = client.post(reverse("widgets:list"), {"channel": bakery.pk, "name": "Mine now"})

    assert response.status_code == 200 and not Widget.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def test_charlie_gets_404_for_every_page_of_alices_widget(client, charlie, widget):
    client.force_login(charlie)
    for name in ["detail", "preview", "analytics"]:
        assert client.get(reverse(f"widgets:{name}", args=[widget.pk])).status_code == 404, name
    for name in ["rotate-key", "regenerate-secret", "delete"]:
        assert client.post(reverse(f"widgets:{name}", args=[widget.pk])).status_code == 404, name
    assert Widget.objects.filter(pk=widget.pk).exists()


def test_the_creator_sets_sites_and_looks_and_copies_the_snippet(client, alice, widget):
    client.force_login(alice)

    response = client.post(
        reverse("widgets:detail", args=[widget.pk]),
        _form(widget, colour="#112233", greeting="Welcome!", starters_text="First?\n\nSecond?",
              origins_text="https://Blog.Example.com/\nhttp://localhost:3000"),
    )  # fmt: skip

    assert response.status_code == 302
    widget.refresh_from_db()
    assert (widget.colour, widget.greeting, widget.starters) == ("#112233", "Welcome!", ["First?", "Second?"])
    assert selectors.widget_origin_list(widget=widget) == ["http://localhost:3000", "https://blog.example.com"]
    page = client.get(reverse("widgets:detail", args=[widget.pk])).content.decode()
    assert f'data-widget=&quot;{widget.public_key}&quot;' in page and "http://testserver/embed.js" in page
    assert "This widget loads nowhere yet." not in page


def test_a_bad_origin_is_refused_with_a_message_and_nothing_changes(client, alice, widget):
    client.force_login(alice)

    response = client.post(reverse("widgets:detail", args=[widget.pk]), _form(widget, origins_text="https://*.example.com"))

    assert response.status_code == 200
    assert "wildcards are not allowed" in response.content.decode()
    assert selectors.widget_origin_list(widget=widget) == [SITE]


def test_the_preview_may_be_framed_by_the_dashboard_only(client, alice, widget):
    client.force_login(alice)

    response = client.get(reverse("widgets:preview", args=[widget.pk]))

    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert 'data-preview="1"' in response.content.decode()


def test_analytics_show_the_period_the_sites_and_the_top_and_unanswered_questions(client, alice, widget):
    today = timezone.now().astimezone(dt.UTC).date()
    WidgetDailyStat.objects.create(widget=widget, origin=SITE, day=today, loads=7, opens=3, questions=4, unanswered=1)
    WidgetDailyStat.objects.create(widget=widget, origin=SITE, day=today - dt.timedelta(days=40), loads=100)
    conversation = Conversation.objects.create(
        channel=widget.channel, asker_kind=AskerKind.WIDGET_VISITOR, asker_ref=f"{widget.pk}:s:abc"
    )
    for text, confidence in [("How do I feed it?", "high"), ("how do i feed it?", "high"), ("Gluten free?", "not_covered")]:
        question = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=text)
        Message.objects.create(conversation=conversation, role=Message.Role.ASSISTANT, question=question, confidence=confidence)
    elsewhere = Conversation.objects.create(channel=widget.channel, asker_kind=AskerKind.USER, asker_ref="9")
    Message.objects.create(conversation=elsewhere, role=Message.Role.USER, content="Not from the widget")
    client.force_login(alice)

    page = client.get(reverse("widgets:analytics", args=[widget.pk]), {"days": "7"}).content.decode()

    assert 'id="total-loads">7<' in page  # the row 40 days ago is outside the period
    assert SITE in page and 'id="chart-data"' in page
    assert "how do i feed it? <span class=\"muted\">×2" in page
    assert "gluten free?" in page.split('id="unanswered-questions"')[1]
    assert "not from the widget" not in page.lower()
    assert "uPlot.iife.min.js" in page


def test_the_widget_list_shows_a_channelless_creator_how_to_start(client, bob):
    client.force_login(bob)
    assert "Add a channel first" in client.get(reverse("widgets:list")).content.decode()
    ChannelFactory(owner=bob)
    assert "Create widget" in client.get(reverse("widgets:list")).content.decode()


def test_the_admin_lists_widgets_origins_and_usage(client, staff, widget):
    WidgetDailyStat.objects.create(widget=widget, origin=SITE, day=dt.date(2026, 1, 1), loads=3)
    client.force_login(staff)

    listing = client.get(reverse("admin:widgets_widget_changelist")).content.decode()
    change = client.get(reverse("admin:widgets_widget_change", args=[widget.pk])).content.decode()
    usage = client.get(reverse("admin:widgets_widgetdailystat_changelist")).content.decode()

    assert SITE in listing and widget.public_key in listing
    assert "loads 3" in change and selectors.widget_secret(widget=widget) not in change
    assert SITE in usage


def test_an_origin_staff_type_in_the_admin_is_stored_as_browsers_send_it():
    from widgets.admin import WidgetOriginForm

    typed = WidgetOriginForm({"origin": "https://Shop.Example.com/"})
    assert typed.is_valid() and typed.cleaned_data["origin"] == "https://shop.example.com"
    assert not WidgetOriginForm({"origin": "https://shop.example.com/blog"}).is_valid()
