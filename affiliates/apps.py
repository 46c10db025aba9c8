from django.apps import AppConfig


class AffiliatesConfig(AppConfig):
    name = "affiliates"
    verbose_name = "Affiliates"

    def ready(self) -> None:
        from affiliates import signals  # noqa: F401  (connects the sign-up hook)
