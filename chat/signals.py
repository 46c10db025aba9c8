"""allauth's sign-up and log-in signals hand an anonymous fan's conversations to their account
(chat.services.claiming says why the session key is read where it is)."""

from __future__ import annotations

from allauth.account.signals import user_logged_in, user_signed_up
from django.dispatch import receiver

from chat.services.claiming import ANONYMOUS_SESSION_KEY, conversations_claim_for_user


@receiver(user_signed_up, dispatch_uid="chat_claim_on_sign_up")
def claim_on_sign_up(sender, request, user, **kwargs) -> None:
    # Sent before allauth logs the new user in (or, with mandatory e-mail verification, instead of
    # it): the session still has the key the anonymous conversations were filed under.
    session = getattr(request, "session", None)
    if session is not None:
        conversations_claim_for_user(session_key=session.session_key or "", user=user)


@receiver(user_logged_in, dispatch_uid="chat_claim_on_log_in")
def claim_on_log_in(sender, request, user, **kwargs) -> None:
    # After the log-in the session has a new key; the old one was kept by AccountAdapter.pre_login.
    session = getattr(request, "session", None)
    if session is not None:
        conversations_claim_for_user(session_key=session.pop(ANONYMOUS_SESSION_KEY, ""), user=user)
