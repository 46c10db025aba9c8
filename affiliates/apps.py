from django.apps import AppConfig
from django.core import checks


class AffiliatesConfig(AppConfig):
    name = "affiliates"
    verbose_name = "Affiliates"

    def ready(self) -> None:
        from affiliates import signals  # noqa: F401  (connects the sign-up hook)

        checks.register(check_encryption_keys)


def check_encryption_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A bad FIELD_ENCRYPTION_KEYS stops start-up, not the first payout request."""
    from django.core.exceptions import ImproperlyConfigured

    from yoppy import crypto

    try:
        crypto.encrypt("check")
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="affiliates.E001")]
    return []
