"""Set up the shared Telegram bot from TELEGRAM_BOT_TOKEN: getMe, then setWebhook to
<SITE_URL>/bots/telegram/<bot id>/webhook/ with a new random secret. Run once after setting the
token (and again to rotate the secret or after SITE_URL changes)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bots.services.telegram import BotSetupError, telegram_shared_bot_setup, webhook_url


class Command(BaseCommand):
    help = "Register the shared Telegram bot's webhook (random secret token) and record the bot."

    def handle(self, *args, **options) -> None:
        try:
            bot = telegram_shared_bot_setup()
        except BotSetupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"@{bot.username}: webhook set to {webhook_url(bot.external_id)}")
