"""`manage.py unlock --username U [--with-ip] | --ip A`: lift a brute-force lockout.

Does what the admin's "Unlock" does, for operators at a shell: clears the
counters and locks of that username or IP in every namespace (token endpoint
and demo) and marks its Lockout rows lifted. A username: its locks from
every address, and its slowdown (a guess from many addresses). An IP: the
address's own lock, and every name's lock from it.

A username can also be blocked by an IP lock (an address is locked for every
name behind it). `--username` alone lifts the username's lock and then lists
the IP locks recorded with that user's failures that still stand;
`--with-ip` lifts those too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from common.errors import ServiceUnavailable
from throttling.lockout import ip_locks_for, unlock
from throttling.models import Lockout

BY = "manage.py unlock"


def describe(lock: Lockout) -> str:
    until = timezone.localtime(lock.locked_until)
    return f"IP {lock.ip} ({lock.namespace}, until {until:%Y-%m-%d %H:%M %Z})"


class Command(BaseCommand):
    help = (
        "Lift the brute-force lockout of a username and/or an IP address. With --username, "
        "the IP locks recorded with that user's failures are listed if they still stand "
        "(they block the user too); add --with-ip to lift them as well."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="username to unlock (as canonical form: any case)")
        parser.add_argument("--ip", help="client IP address to unlock")
        parser.add_argument(
            "--with-ip",
            action="store_true",
            help="with --username: also lift the IP locks recorded with that user's failures",
        )

    def handle(
        self, *args: Any, username: str | None, ip: str | None, with_ip: bool, **options: Any
    ) -> None:
        if not username and not ip:
            raise CommandError("Give --username U or --ip A (or both).")
        if with_ip and not username:
            raise CommandError("--with-ip goes with --username.")
        try:
            lifted = unlock(username=username, ip=ip, by=BY)
            standing = ip_locks_for(username) if username else []
            if with_ip:
                for address in sorted({lock.ip for lock in standing}):
                    lifted += unlock(ip=address, by=BY)
        except ServiceUnavailable as exc:
            raise CommandError("The cache is unavailable: nothing was unlocked.") from exc
        subject = " and ".join(
            part for part in (username and f"username {username!r}", ip and f"IP {ip}") if part
        )
        if with_ip and standing:
            subject += " and " + ", ".join(sorted({f"IP {lock.ip}" for lock in standing}))
        self.stdout.write(self.style.SUCCESS(f"Unlocked {subject}; {lifted} lockout(s) lifted."))
        if standing and not with_ip:
            self.stdout.write(
                self.style.WARNING(
                    f"Still locked, and blocking {username!r} too: "
                    + "; ".join(describe(lock) for lock in standing)
                    + ". Lift with --with-ip (or unlock --ip A)."
                )
            )
