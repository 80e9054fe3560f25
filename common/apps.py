from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Cross-cutting pieces every framework shares: errors, pagination, health."""

    name = "common"
