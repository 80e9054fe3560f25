"""Signals the accounts app sends: what other parts may react to, without being imported here.

`password_changed` is sent by `User.save()` after it stored a password set
with `set_password()` (for a user that already existed), with `user=` the
saved user. The token service listens (accounts/tokens.py, connected in
AccountsConfig.ready) and ends every earlier login of that user. Sending a
signal keeps the dependency one way: the token service imports the models,
the models import nothing of it.
"""

from __future__ import annotations

from django.dispatch import Signal

password_changed = Signal()
