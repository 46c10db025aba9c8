"""The share card of a public page: the 1200 x 630 PNG that link previews (Open Graph, Twitter)
show, with the channel's name, avatar and topics. Pure drawing; chat.services.share_cards fetches
the avatar and caches the result.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

WIDTH, HEIGHT = 1200, 630
# Bumped when the drawing changes, so every cached card (and link previews' copies, through the
# URL's ?v=) is drawn again.
DESIGN_VERSION = 1
MAX_TOPICS = 5

ACCENT = (200, 53, 58)  # the site's --accent
INK = (29, 29, 31)
MUTED = (92, 92, 102)
PAPER = (255, 250, 246)
CHIP = (250, 228, 226)

# Debian's DejaVu covers far more scripts than the Latin-only font bundled with Pillow, which is
# the fallback where DejaVu is not installed.
_FONT_FILES = {
    True: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    False: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}


@dataclass(frozen=True)
class CardText:
    """What a card says; ``version`` names exactly this content (and design)."""

    name: str
    topics: tuple[str, ...]
    site_name: str
    site_host: str
    avatar_url: str = ""

    @property
    def version(self) -> str:
        content = [
            DESIGN_VERSION,
            self.name,
            list(self.topics),
            self.site_name,
            self.site_host,
            self.avatar_url,
        ]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:16]


def card_text_for(channel, *, site_name: str, site_host: str) -> CardText:
    topics = tuple(str(t).strip() for t in (channel.topics or []) if isinstance(t, str) and t.strip())
    return CardText(
        name=channel.display_name,
        topics=topics[:MAX_TOPICS],
        site_name=site_name,
        site_host=site_host,
        avatar_url=channel.avatar_url or "",
    )


@functools.lru_cache(maxsize=32)
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _FONT_FILES[bold]
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _wrapped(draw: ImageDraw.ImageDraw, text: str, font, max_width: int, max_lines: int) -> list[str]:
    """``text`` in at most ``max_lines`` lines of at most ``max_width`` px; a word too long for a
    line is cut by characters, and what does not fit ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while draw.textlength(current, font=font) > max_width and len(current) > 1:
            cut = len(current)
            while cut > 1 and draw.textlength(current[:cut], font=font) > max_width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _circle(image: Image.Image, size: int) -> Image.Image:
    avatar = ImageOps.fit(image.convert("RGB"), (size, size), method=Image.Resampling.LANCZOS)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    avatar.putalpha(mask)
    return avatar


def _monogram(name: str, size: int) -> Image.Image:
    """A circle with the name's first letter, for a channel without an (available) avatar."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), fill=ACCENT)
    letter = (name.strip()[:1] or "?").upper()
    font = _font(size // 2, bold=True)
    draw.text((size / 2, size / 2), letter, font=font, fill=(255, 255, 255), anchor="mm")
    return image


def share_card_render(text: CardText, *, avatar: Image.Image | None = None) -> bytes:
    """The card as PNG bytes, ``WIDTH`` x ``HEIGHT``."""
    card = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 24, HEIGHT), fill=ACCENT)

    avatar_size = 260
    face = _circle(avatar, avatar_size) if avatar is not None else _monogram(text.name, avatar_size)
    card.paste(face, (WIDTH - 80 - avatar_size, 90), face)

    left, text_width = 90, WIDTH - 90 - avatar_size - 80 - 60
    draw.text((left, 92), "Chat with the AI persona of", font=_font(34), fill=MUTED)
    y = 150
    for size in (76, 64, 54):  # the largest size that fits the name in two lines
        name_font = _font(size, bold=True)
        lines = _wrapped(draw, text.name, name_font, text_width, 2)
        if all(draw.textlength(line, font=name_font) <= text_width for line in lines) and not lines[
            -1
        ].endswith("…"):
            break
    for line in lines:
        draw.text((left, y), line, font=name_font, fill=INK)
        y += int(size * 1.18)

    y += 28
    chip_font = _font(28)
    x = left
    chips_right = left + text_width  # clear of the avatar
    rows = 0
    for topic in text.topics:
        label = _wrapped(draw, topic, chip_font, 420, 1)[0]
        width = int(draw.textlength(label, font=chip_font)) + 40
        if x + width > chips_right:
            rows += 1
            if rows == 2 or y + 2 * 62 > HEIGHT - 120:
                break
            x, y = left, y + 62
        draw.rounded_rectangle((x, y, x + width, y + 48), radius=24, fill=CHIP)
        draw.text((x + 20, y + 24), label, font=chip_font, fill=ACCENT, anchor="lm")
        x += width + 14

    footer = f"{text.site_name} · {text.site_host}" if text.site_host else text.site_name
    draw.text((left, HEIGHT - 84), _wrapped(draw, footer, _font(30, bold=True), WIDTH - left - 80, 1)[0],
              font=_font(30, bold=True), fill=ACCENT)  # fmt: skip

    out = io.BytesIO()
    card.save(out, format="PNG", optimize=True)
    return out.getvalue()
