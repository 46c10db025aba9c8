from django.apps import AppConfig


class YoppyConfig(AppConfig):
    """The project package itself: site-wide views and management commands (`up`)."""

    name = "yoppy"
    verbose_name = "Yoppy"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from yoppy import checks  # noqa: F401  (registers the deploy checks)

        if apps.is_installed("django.contrib.sites"):
            # After the sites app's own receiver, which creates the "example.com" row.
            post_migrate.connect(
                site_from_settings, sender=apps.get_app_config("sites"), dispatch_uid="yoppy_site_from_settings"
            )


def site_from_settings(sender, using: str = "default", **kwargs) -> None:
    """Name the Site (SITE_ID) after SITE_NAME and SITE_URL's host on every migrate: allauth's
    e-mails and links read it, and Django's default row says "example.com"."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME}
    )
    Site.objects.clear_cache()
