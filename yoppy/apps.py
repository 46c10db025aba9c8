from django.apps import AppConfig


class YoppyConfig(AppConfig):
    """The project package itself: site-wide views and management commands (`up`)."""

    name = "yoppy"
    verbose_name = "Yoppy"
