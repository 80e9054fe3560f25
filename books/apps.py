from django.apps import AppConfig


class BooksConfig(AppConfig):
    """The Book model, its rules, and the versioned list cache."""

    name = "books"

    def ready(self) -> None:
        # Connects the signal handlers that bump the cache version on commit.
        from books import cache  # noqa: F401
