"""The two tokens of a widget visit.

- The **visitor token** is what a creator's site may pass to say who the visitor is: a JWT signed
  HS256 with the widget's secret, claims ``sub`` (the site's visitor id), ``name`` (optional) and
  ``exp`` (required). We verify the signature and the expiry ourselves (the original trusted an
  unverified JWT); only HS256 is accepted, so a token claiming ``alg: none`` or RS256 is refused.
- The **session token** is what Yoppy gives the widget's frame: which widget (by id and by the
  public key it was loaded with), which host origin it was allowed for, the visit and the visitor.
  It is signed with SECRET_KEY (django.core.signing) and travels in a request header, never in a
  URL. Every request re-checks it against the widget as it is now, so a rotated key or a removed
  origin stops working at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import jwt
from django.core import signing

_SESSION_SALT = "yoppy.widgets.session"
MAX_VISITOR_ID_CHARS = 128
MAX_VISITOR_NAME_CHARS = 100


class TokenRefused(Exception):
    """A token that is forged, expired or malformed; the message is for the visitor's page."""


@dataclass(frozen=True)
class Visitor:
    id: str
    name: str = ""


def visitor_token_verify(token: str, *, secret: str) -> Visitor:
    """The visitor a creator's site signed, or TokenRefused (forged, expired, no ``sub``/``exp``)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}, leeway=30,
        )  # fmt: skip
    except jwt.ExpiredSignatureError:
        raise TokenRefused("This sign-in has expired. Reload the page to sign in again.") from None
    except jwt.PyJWTError:
        raise TokenRefused("This visitor token is not valid for this widget.") from None
    visitor_id, name = claims.get("sub"), claims.get("name") or ""
    if not isinstance(visitor_id, str) or not visitor_id.strip() or len(visitor_id) > MAX_VISITOR_ID_CHARS:
        raise TokenRefused(f"The visitor id (sub) must be text of at most {MAX_VISITOR_ID_CHARS} characters.")
    if not isinstance(name, str):
        raise TokenRefused("The visitor name must be text.")
    return Visitor(id=visitor_id.strip(), name=" ".join(name.split())[:MAX_VISITOR_NAME_CHARS])


@dataclass(frozen=True)
class WidgetSession:
    widget_id: int
    public_key: str
    origin: str
    session_id: str
    visitor: Visitor | None = None

    @property
    def asker_ref(self) -> str:
        """What the visit's conversations are filed under: an identified visitor keeps theirs
        across visits; an anonymous one has them for the visit."""
        if self.visitor is not None:
            return f"{self.widget_id}:v:{self.visitor.id}"
        return f"{self.widget_id}:s:{self.session_id}"


def session_new(*, widget_id: int, public_key: str, origin: str, visitor: Visitor | None = None) -> WidgetSession:
    return WidgetSession(
        widget_id=widget_id, public_key=public_key, origin=origin, session_id=secrets.token_urlsafe(16), visitor=visitor
    )


def session_token(session: WidgetSession) -> str:
    payload = {"w": session.widget_id, "k": session.public_key, "o": session.origin, "s": session.session_id}
    if session.visitor is not None:
        payload["v"] = session.visitor.id
        payload["n"] = session.visitor.name
    return signing.dumps(payload, salt=_SESSION_SALT, compress=True)


def session_from_token(token: str, *, max_age_s: int) -> WidgetSession:
    """The session a token carries, or TokenRefused. The caller checks it against the widget."""
    try:
        payload = signing.loads(token, salt=_SESSION_SALT, max_age=max_age_s)
    except signing.SignatureExpired:
        raise TokenRefused("This chat session has expired. Reload the page to start again.") from None
    except signing.BadSignature:
        raise TokenRefused("This chat session is not valid. Reload the page to start again.") from None
    try:
        visitor = Visitor(id=str(payload["v"]), name=str(payload.get("n", ""))) if "v" in payload else None
        return WidgetSession(
            widget_id=int(payload["w"]), public_key=str(payload["k"]), origin=str(payload["o"]),
            session_id=str(payload["s"]), visitor=visitor,
        )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        raise TokenRefused("This chat session is not valid. Reload the page to start again.") from None
