from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "Communities"

    def ready(self) -> None:
        from chat.services.askers import give_back_register
        from communities.pools import RECEIPT_PREFIX, pool_give_back

        # A member's answer that never came returns its question to the community's pool.
        give_back_register(RECEIPT_PREFIX, pool_give_back)
