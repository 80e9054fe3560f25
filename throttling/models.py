"""Lockouts, recorded for the admin: who was locked, from where, until when;
and the addresses each username last logged in from.

The lock itself lives in the cache (fast, expires on its own); this table is
the audit trail an admin browses and acts on. There is deliberately no
foreign key to the user model: unknown usernames are locked exactly like real
ones (a lockout must never reveal whether an account exists), and the app's
migration stays independent of the accounts app.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Lockout(models.Model):
    class Scope(models.TextChoices):
        # A username from one address: the others still log in as it.
        USERNAME_IP = "username_ip", "Username from this IP"
        IP = "ip", "IP address"
        # A username from every address: no longer set (a stranger could lock
        # the owner out); kept so that older rows still read and lift.
        USERNAME = "username", "Username (any IP)"

    # "login" (the token endpoint) or "bf-demo": each guard has its own counters.
    namespace = models.CharField(max_length=32, db_index=True)
    # What was locked: a username from one IP, or an IP (for any username).
    scope = models.CharField(max_length=16, choices=Scope.choices)
    # Canonical, as counted. For an IP lock, the name whose failure tipped it over.
    username = models.CharField(max_length=150, blank=True, db_index=True)
    # Text, not GenericIPAddressField: peers may be non-IP ("testclient", "unknown").
    ip = models.CharField("IP", max_length=64, blank=True, db_index=True)
    locked_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    # Who lifted it early: an admin's username, or "manage.py unlock".
    lifted_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-locked_at", "-id"]

    def __str__(self) -> str:
        subject = self.username if self.scope == self.Scope.USERNAME else self.ip
        return f"{self.namespace}: {self.scope} {subject} until {self.locked_until:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None and self.locked_until > timezone.now()


class KnownAddress(models.Model):
    """An address a username logged in from with the right password, and when last.

    A username that many addresses guess at (more failures than
    LOGIN_MAX_FAILURES_PER_USERNAME) is slowed for everyone except the
    addresses that logged into it recently: its owner keeps logging in
    through a distributed guess. No foreign key, as for Lockout: the guard
    counts names, not accounts.
    """

    namespace = models.CharField(max_length=32)
    # Canonical, as counted (cut to the column, as Lockout.username).
    username = models.CharField(max_length=150)
    # The address's bucket (an IPv6 /64), as counted.
    ip = models.CharField("IP", max_length=64)
    last_login_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "known login address"
        verbose_name_plural = "known login addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "username", "ip"], name="throttling_known_address_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.namespace}: {self.username} from {self.ip}"
