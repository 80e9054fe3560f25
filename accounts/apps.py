from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, and the token service all three frameworks authenticate with."""

    name = "accounts"
