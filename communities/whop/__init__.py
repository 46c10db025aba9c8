"""Whop's side of the Whop app: user tokens, the v1 API (through whop-sdk), OAuth, webhooks.

Whop's payloads and errors stay in here; the rest of the app gets plain values (a user id, an
access level, a company id) and the neutral ``WhopUnavailable`` when Whop cannot be reached.
"""


class WhopUnavailable(Exception):
    """Whop's API or key set could not be reached or answered nonsense: a 503, never a 500."""
