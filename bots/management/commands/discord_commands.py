"""Register the shared Discord bot's application commands (global), or one server's for testing
(guild commands appear at once; global ones can take a while to reach every client)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bots.http import PlatformError
from bots.models import Bot, PlatformName
from bots.services.bots import bot_shared_discord_ensure
from bots.services.discord_setup import discord_commands_register


class Command(BaseCommand):
    help = "Register the Discord bot's slash and message commands (global, or --guild for one server)."

    def add_arguments(self, parser):
        parser.add_argument("--guild", help="A server id: register there only (instant, for testing).")
        parser.add_argument("--application", help="A branded bot's application id (default: the shared bot).")

    def handle(self, *args, guild=None, application=None, **options):
        if application:
            bot = Bot.objects.filter(platform=PlatformName.DISCORD, external_id=application, status=Bot.Status.ACTIVE).first()
        else:
            bot = bot_shared_discord_ensure()
        if bot is None:
            raise CommandError(
                "No such active bot. Set DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY and DISCORD_BOT_TOKEN for the shared bot."
            )
        try:
            commands = discord_commands_register(bot=bot, guild_id=guild)
        except PlatformError as exc:
            raise CommandError(f"Discord refused the commands: {exc} {exc.body or ''}") from None
        where = f"server {guild}" if guild else "every server (global)"
        self.stdout.write(f"Registered {', '.join(c['name'] for c in commands)} for {where}.")
