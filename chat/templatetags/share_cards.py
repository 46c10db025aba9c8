"""{% share_card_url channel %}: the absolute URL of a public page's share card (its og:image),
carrying the card's version so link previews fetch a new card after a profile change."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse

from chat.services.share_cards import share_card_text

register = template.Library()


@register.simple_tag
def share_card_url(channel) -> str:
    path = reverse("chat:share_card", kwargs={"slug": channel.slug})
    return f"{settings.SITE_URL}{path}?v={share_card_text(channel=channel).version}"
