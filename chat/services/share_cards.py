"""A public page's share card, drawn once per version of what it shows and kept in the cache.

The card's version (chat.share_card.CardText.version) is a hash of the name, topics, avatar URL
and design, so a profile edit or a new avatar gives a new cache entry (and, through the ``?v=``
of the og:image URL, makes link previews fetch the new card); nothing has to be invalidated.
"""

from __future__ import annotations

import io
import logging
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from PIL import Image

from chat.share_card import CardText, card_text_for, share_card_render

logger = logging.getLogger(__name__)

CACHE_TTL_S = 30 * 24 * 3600
# A card drawn without the avatar (its host did not answer) is kept briefly, so it is tried again.
CACHE_TTL_WITHOUT_AVATAR_S = 3600
AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_PIXELS = 4096 * 4096
AVATAR_TIMEOUT_S = 3.0


def share_card_text(*, channel) -> CardText:
    return card_text_for(channel, site_name=settings.SITE_NAME, site_host=urlsplit(settings.SITE_URL).netloc)


def _avatar_fetch(url: str) -> Image.Image | None:
    """The avatar at ``url``, or None (the card then shows the name's initial). Only hosts in
    SHARE_CARD_AVATAR_HOSTS are fetched (YouTube's image hosts): the URL came from yt-dlp, and the
    server must not be made to request arbitrary addresses."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or parts.netloc not in settings.SHARE_CARD_AVATAR_HOSTS:
        return None
    try:
        with httpx.stream("GET", url, timeout=AVATAR_TIMEOUT_S, follow_redirects=False) as response:
            if response.status_code != 200:
                return None
            body = b""
            for piece in response.iter_bytes():
                body += piece
                if len(body) > AVATAR_MAX_BYTES:
                    return None
        image = Image.open(io.BytesIO(body))
        if image.width * image.height > AVATAR_MAX_PIXELS:
            return None  # read only the header so far: a decompression bomb is never decoded
        image.load()
        return image
    except (httpx.HTTPError, OSError, ValueError, Image.DecompressionBombError):
        logger.info("share card: avatar %s could not be used", url, exc_info=True)
        return None


def share_card_png(*, channel) -> tuple[bytes, str]:
    """The channel's share card as PNG bytes and its version, drawn on the first request for
    this version and cached for CACHE_TTL_S."""
    text = share_card_text(channel=channel)
    key = f"share-card:{channel.pk}:{text.version}"
    png = cache.get(key)
    if png is None:
        avatar = _avatar_fetch(text.avatar_url) if text.avatar_url else None
        png = share_card_render(text, avatar=avatar)
        missing_avatar = bool(text.avatar_url) and avatar is None
        cache.set(key, png, CACHE_TTL_WITHOUT_AVATAR_S if missing_avatar else CACHE_TTL_S)
    return png, text.version
