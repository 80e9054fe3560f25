"""Lockouts, recorded for the admin: who was locked, from where, until when.

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
        USERNAME = "username", "Username"
        IP = "ip", "IP address"

    # "login" (the token endpoint) or "bf-demo": each guard has its own counters.
    namespace = models.CharField(max_length=32, db_index=True)
    # What was locked: the username (from any IP) or the IP (for any username).
    scope = models.CharField(max_length=16, choices=Scope.choices)
    # Case-folded, as counted. The other column is the attempt that tipped it over.
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
