from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, and the token service all three frameworks authenticate with."""

    name = "accounts"

    def ready(self) -> None:
        # Connects the receiver that gives a user a new stamp when the row
        # changes (a password change, deactivation): every token snapshot of
        # that user is then refused. Connected here, not by whichever module
        # happens to import it first.
        from accounts import token_snapshots  # noqa: F401
