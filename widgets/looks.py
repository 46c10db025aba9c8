"""How a widget looks: the creator's saved choices, overridden per page by the snippet's data-*
attributes (the loader passes them on). Every value is checked here, so a hostile attribute can
at worst be shown as text: colours must be #rrggbb, the rest is plain text the templates escape."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from widgets.models import Widget
from widgets.services import starters_clean

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
MAX_GREETING_CHARS = 300
MAX_BUTTON_CHARS = 40


@dataclass(frozen=True)
class Looks:
    mode: str
    position: str
    colour: str
    greeting: str
    starters: tuple[str, ...]
    button_text: str
    open_on_load: bool

    def as_dict(self) -> dict:
        return {**asdict(self), "starters": list(self.starters)}


def _text(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def looks_resolve(*, widget: Widget, overrides: Mapping[str, str]) -> Looks:
    """The widget's looks with valid overrides applied; invalid ones are ignored."""
    mode = overrides.get("mode", "")
    position = overrides.get("position", "")
    colour = overrides.get("colour", "") or overrides.get("color", "")
    opened = overrides.get("open", "").strip().lower()
    return Looks(
        mode=mode if mode in Widget.Mode.values else widget.mode,
        position=position if position in Widget.Position.values else widget.position,
        colour=colour if _COLOUR.match(colour) else widget.colour,
        greeting=_text(overrides["greeting"], MAX_GREETING_CHARS) if "greeting" in overrides else widget.greeting,
        starters=tuple(starters_clean(overrides["starters"].split("|")) if "starters" in overrides else widget.starters),
        button_text=_text(overrides.get("button", ""), MAX_BUTTON_CHARS) or widget.button_text,
        open_on_load=(opened in _TRUE) if opened in _TRUE | _FALSE else widget.open_on_load,
    )
