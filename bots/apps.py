from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "bots"
    verbose_name = "Bots"

    def ready(self) -> None:
        from bots import receivers  # noqa: F401  (connects the signal receivers)
        from bots.platforms.telegram import telegram_allowance_give_back
        from chat.services.askers import give_back_register

        # A failed answer gives a shared-bot Telegram user their free question back.
        give_back_register("telegram-free", telegram_allowance_give_back)
