"""Fill the canonical columns of the users that exist; stop on names that now collide.

Until now uniqueness was the database's LOWER(), which differs from the
canonical form (NFKC + casefold, accounts.identity): on SQLite `Élodie` and
`élodie` were two accounts, on PostgreSQL `straße` and `strasse` were. Such
rows cannot both keep their canonical form under the unique constraint 0004
adds, and which one is the real account is a human's decision. So this
migration stops before any constraint, naming every group (the stored values
and their ids); rename or merge them (the admin, a shell), then migrate again.

Its own transaction (PostgreSQL): updating rows and altering the table in
one transaction can fail with "pending trigger events".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import migrations

from accounts.identity import canonical

FIELDS = ("username", "email")


class CanonicalCollision(RuntimeError):
    """Existing users whose usernames or emails are one name in canonical form."""


def collisions(rows: Iterable[tuple[int, str, str]]) -> list[str]:
    """One line per group of (id, username, email) rows sharing a canonical form."""
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for pk, username, email in rows:
        groups[("username", canonical(username))].append((pk, username))
        groups[("email", canonical(email))].append((pk, email))
    lines = []
    for (field, form), members in sorted(groups.items()):
        if len(members) > 1:
            named = ", ".join(f"{value!r} (id {pk})" for pk, value in sorted(members))
            lines.append(f"{field} {form!r}: {named}")
    return lines


def fill(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    manager = User.objects.using(schema_editor.connection.alias)
    rows = list(manager.order_by("id").values_list("id", "username", "email"))
    clashes = collisions(rows)
    if clashes:
        raise CanonicalCollision(
            "These users are one account under the canonical form (NFKC + casefold) "
            "and cannot all keep their names; rename or merge them, then migrate again:\n  "
            + "\n  ".join(clashes)
        )
    for pk, username, email in rows:
        manager.filter(pk=pk).update(
            username_canonical=canonical(username), email_canonical=canonical(email)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_canonical_columns"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
