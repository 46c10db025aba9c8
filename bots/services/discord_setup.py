"""Setting Discord up: the shared bot's install link, creators' branded bots, command
registration and the branded bot's profile sync with its YouTube channel.

Every failure a creator can fix is a ``SetupError`` whose message says what to do; the views
show it as is.
"""

from __future__ import annotations

import base64
import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from bots.http import PlatformError, fetch_bytes, request_json
from bots.models import Bot, Place, PlatformName
from bots.platforms import platform_for
from bots.services.bots import bot_shared_discord_ensure
from bots.services.places import place_link
from channels_app.models import Channel

logger = logging.getLogger(__name__)

# What the shared bot asks for when it is added: View Channels, Send Messages, Embed Links,
# Read Message History (posts and answers; the answers themselves go through the interaction).
INSTALL_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16)


class SetupError(Exception):
    """A setup step failed in a way the creator can act on; the message says how."""


def _api(path: str) -> str:
    return f"{settings.DISCORD_API_BASE}{path}"


def _bot_auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bot {token}"}


def interactions_url(*, application_id: str) -> str:
    return settings.SITE_URL + reverse("bots:discord-interactions", args=[application_id])


def install_redirect_uri() -> str:
    return settings.SITE_URL + reverse("bots:discord-installed")


# --- the shared bot's install link ------------------------------------------------------------


def discord_install_start(*, session) -> str:
    """The OAuth2 link that adds the shared bot to a server (scopes ``bot applications.commands``)
    with a fresh ``state`` kept in the creator's session; the callback checks it, so nobody can
    link a server to someone else's account with a crafted link."""
    state = secrets.token_urlsafe(24)
    session["discord_install_state"] = state
    query = {
        "client_id": settings.DISCORD_APPLICATION_ID,
        "scope": "bot applications.commands",
        "permissions": str(INSTALL_PERMISSIONS),
        "response_type": "code",
        "redirect_uri": install_redirect_uri(),
        "state": state,
        "integration_type": "0",
    }
    return f"{settings.DISCORD_AUTHORIZE_URL}?{urlencode(query)}"


def discord_install_complete(*, user, session, state: str, code: str) -> Place:
    """Link the server Discord says the bot was just added to (the code's token answer names
    it) to ``user``. The ``state`` must be the one this session's link carried (single use)."""
    expected = session.pop("discord_install_state", "")
    if not expected or not state or not hmac.compare_digest(expected, state):
        raise SetupError("This install link has expired or isn't yours. Start again from the Discord page.")
    if not code:
        raise SetupError("Discord didn't confirm the install (it was cancelled?). Try the install link again.")
    bot = bot_shared_discord_ensure()
    if bot is None or not settings.DISCORD_BOT_CLIENT_SECRET:
        raise SetupError("The Yoppy Discord bot isn't configured on this site.")
    try:
        token = request_json(
            "POST", _api("/oauth2/token"),
            form={
                "client_id": settings.DISCORD_APPLICATION_ID, "client_secret": settings.DISCORD_BOT_CLIENT_SECRET,
                "grant_type": "authorization_code", "code": code, "redirect_uri": install_redirect_uri(),
            },
        )  # fmt: skip
    except PlatformError as exc:
        logger.info("discord install: code exchange failed: %s", exc)
        raise SetupError("Discord didn't accept this install (the link was used already?). Try again.") from None
    guild = (token or {}).get("guild") or {}
    if not guild.get("id"):
        raise SetupError("Discord didn't say which server the bot was added to. Try the install link again.")
    return place_link(bot=bot, external_id=str(guild["id"]), account=user, kind="guild", title=str(guild.get("name") or ""))


# --- branded bots -----------------------------------------------------------------------------


def _application(token: str) -> dict[str, Any]:
    try:
        return request_json("GET", _api("/applications/@me"), headers=_bot_auth(token)) or {}
    except PlatformError as exc:
        if exc.status == 401:
            raise SetupError(
                "Discord rejected this bot token. Copy it again from your application's Bot page "
                "(Reset Token) and paste the whole token."
            ) from None
        if exc.status == 404:
            raise SetupError("Discord found no application for this token. Check you copied the bot token.") from None
        raise SetupError("Discord could not be reached to check the token. Try again in a minute.") from None


def _discord_error(exc: PlatformError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    messages = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for item in node.get("_errors") or []:
                if isinstance(item, dict) and item.get("message"):
                    messages.append(str(item["message"]))
            for key, value in node.items():
                if key != "_errors":
                    walk(value)

    walk(body.get("errors"))
    return " ".join(messages) or str(body.get("message") or "")


def discord_branded_bot_setup(*, owner, channel: Channel, application_id: str, token: str, public_key: str = "") -> Bot:
    """Set up (or give a new token to) ``owner``'s own Discord application as the branded bot of
    ``channel``: the token is checked with /applications/@me, the public key read from it, the
    interactions endpoint URL set to ours, the commands registered and the profile synced.

    Precondition: ``channel`` is the owner's (the view fetched it through owned_by). Not atomic
    on purpose: Discord checks the new endpoint URL by sending it a signed PING at once, so the
    bot's row (with its public key) must be committed before that call."""
    application_id, token, public_key = application_id.strip(), token.strip(), public_key.strip().lower()
    if not application_id.isdigit():
        raise SetupError("The application id is the long number on your application's General Information page.")
    if not token:
        raise SetupError("Paste the bot token from your application's Bot page.")
    app = _application(token)
    if str(app.get("id")) != application_id:
        raise SetupError(f"This token belongs to another application ({app.get('id')}), not {application_id}.")
    verify_key = str(app.get("verify_key") or "").lower()
    if public_key and public_key != verify_key:
        raise SetupError("The public key doesn't match this application's. Copy it again, or leave it empty.")
    if application_id == settings.DISCORD_APPLICATION_ID:
        raise SetupError("That is the Yoppy bot itself; add it from the install link instead.")

    with transaction.atomic():
        bot = Bot.objects.select_for_update().filter(platform=PlatformName.DISCORD, external_id=application_id).first()
        if bot is not None and bot.owner_id != owner.pk:
            raise SetupError("This application is already set up on Yoppy by another account.")
        created = bot is None
        bot = bot or Bot(platform=PlatformName.DISCORD, external_id=application_id, owner=owner)
        bot.channel, bot.public_key, bot.name = channel, verify_key, str(app.get("name") or "")[:100]
        bot.username = str((app.get("bot") or {}).get("username") or "")[:100]
        bot.status, bot.revoked_at = Bot.Status.ACTIVE, None
        bot.set_token(token)
        bot.save()

    try:
        request_json(
            "PATCH", _api("/applications/@me"), headers=_bot_auth(token),
            json={"interactions_endpoint_url": interactions_url(application_id=application_id)},
        )  # fmt: skip
        discord_commands_register(bot=bot)
    except PlatformError as exc:
        if created:
            bot.delete()  # a half-set-up bot is not kept; the creator tries again
        if exc.status == 403:
            raise SetupError(
                "Discord refused: this token lacks the permission to change the application "
                "(it must be the application's own bot token)."
            ) from None
        if exc.status == 400:
            detail = _discord_error(exc)
            raise SetupError(
                f"Discord could not verify the interactions endpoint {interactions_url(application_id=application_id)}"
                + (f": {detail}" if detail else ".") + " Check that this site is reachable from the internet."
            ) from None
        raise SetupError("Discord could not be reached to finish the setup. Try again in a minute.") from None
    discord_bot_profile_sync(bot=bot)
    return bot


def discord_commands_register(*, bot: Bot, guild_id: str | None = None) -> list[dict[str, Any]]:
    """Overwrite the bot's commands: global ones, or one server's (instant, for testing)."""
    path = f"/applications/{bot.external_id}/commands"
    if guild_id:
        path = f"/applications/{bot.external_id}/guilds/{guild_id}/commands"
    commands = platform_for(PlatformName.DISCORD).commands(bot=bot)
    request_json("PUT", _api(path), headers=_bot_auth(bot.token()), json=commands)
    return commands


def discord_bot_profile_sync(*, bot: Bot) -> bool:
    """Give a branded bot its channel's name and avatar; True when something was sent. Nothing is
    sent when neither changed since the last sync (Discord allows few username changes an hour).
    A failure is logged and left for the next sync: the bot answers either way."""
    if bot.channel is None or bot.is_shared:
        return False
    name = (bot.channel.display_name or "").strip()[:32]
    avatar_url = bot.channel.avatar_url or ""
    if (name, avatar_url) == (bot.synced_name, bot.synced_avatar_url):
        return False
    body: dict[str, Any] = {}
    if len(name) >= 2 and name != bot.synced_name:
        body["username"] = name
    try:
        if avatar_url and avatar_url != bot.synced_avatar_url:
            content, content_type = fetch_bytes(avatar_url)
            body["avatar"] = f"data:{content_type};base64,{base64.b64encode(content).decode()}"
        if body:
            request_json("PATCH", _api("/users/@me"), headers=_bot_auth(bot.token()), json=body)
    except PlatformError as exc:
        logger.warning("discord bot %s: profile sync failed: %s", bot.pk, exc)
        return False
    Bot.objects.filter(pk=bot.pk).update(
        synced_name=name, synced_avatar_url=avatar_url, name=name or bot.name, avatar_url=avatar_url
    )
    bot.synced_name, bot.synced_avatar_url = name, avatar_url
    return bool(body)
