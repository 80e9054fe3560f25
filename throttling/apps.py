from django.apps import AppConfig


class ThrottlingConfig(AppConfig):
    """The rate limiter and the brute-force lockout shared by all three frameworks."""

    name = "throttling"
