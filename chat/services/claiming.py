"""An anonymous fan who signs up or logs in keeps the conversations of their browser session.

The web page files an anonymous fan's conversations under the session key (asker_kind
web_session, asker_ref = the key). Django gives the session a new key when someone logs in, so
the key is read before that: at sign-up (allauth's ``user_signed_up`` runs before the log-in) and,
for a log-in, by the account adapter's ``pre_login``, which keeps it in the session under
``ANONYMOUS_SESSION_KEY`` (session data survives the new key). chat.signals calls the service.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from chat.models import AskerKind, Conversation

# The session entry that carries the anonymous session key across Django's key rotation on log-in.
ANONYMOUS_SESSION_KEY = "chat_anonymous_session_key"


@transaction.atomic
def conversations_claim_for_user(*, session_key: str, user) -> int:
    """Make the live anonymous conversations of ``session_key`` ``user``'s own; returns how many.

    Only conversations of that exact web session that have not expired move: they become the
    user's (kind user, no expiry) and from then on are read and paid for like any other of theirs.
    Questions already asked stay counted against the session's free allowance, not the user's plan.
    """
    if not session_key or user is None or not getattr(user, "pk", None):
        return 0
    return Conversation.objects.filter(
        asker_kind=AskerKind.WEB_SESSION,
        asker_ref=session_key,
        user__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(
        asker_kind=AskerKind.USER,
        asker_ref=str(user.pk),
        user=user,
        session_key="",
        expires_at=None,
    )
