"""`manage.py unlock --username U | --ip A`: lift a brute-force lockout.

Does what the admin's "Unlock selected" action does, for operators at a
shell: clears the counters and locks of that username or IP in every
namespace (token endpoint and demo) and marks its Lockout rows lifted.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import ServiceUnavailable
from throttling.lockout import unlock


class Command(BaseCommand):
    help = "Lift the brute-force lockout of a username and/or an IP address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="username to unlock (case-insensitive)")
        parser.add_argument("--ip", help="client IP address to unlock")

    def handle(self, *args: Any, username: str | None, ip: str | None, **options: Any) -> None:
        if not username and not ip:
            raise CommandError("Give --username U or --ip A (or both).")
        try:
            lifted = unlock(username=username, ip=ip, by="manage.py unlock")
        except ServiceUnavailable as exc:
            raise CommandError("The cache is unavailable: nothing was unlocked.") from exc
        subject = " and ".join(
            part for part in (username and f"username {username!r}", ip and f"IP {ip}") if part
        )
        self.stdout.write(self.style.SUCCESS(f"Unlocked {subject}; {lifted} lockout(s) lifted."))
