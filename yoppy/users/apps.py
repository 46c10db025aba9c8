from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "yoppy.users"
    label = "users"
    verbose_name = "Users"
