from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, and the token service all three frameworks authenticate with."""

    name = "accounts"

    def ready(self) -> None:
        # Receivers are connected here, not by whichever module happens to
        # import them first.
        #
        # token_snapshots: a user whose row changes (a password change,
        # deactivation) gets a new stamp, so every token snapshot of that
        # user is refused (its @receiver runs at import).
        from accounts import token_snapshots  # noqa: F401
        from accounts.signals import password_changed
        from accounts.tokens import end_logins_after_password_change

        # A saved new password ends every earlier login of its user.
        password_changed.connect(
            end_logins_after_password_change,
            sender=self.get_model("User"),
            dispatch_uid="accounts.tokens.end_logins_after_password_change",
        )
