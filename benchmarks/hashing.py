"""How many Argon2 password checks one thread of this machine does per second.

Logins cannot go faster than the hasher: with two cores, roughly twice
this number is the ceiling for `POST {p}/auth/token` however fast the
framework is. Measured here with Django's own hasher and the project's
PASSWORD_HASHERS parameters, so the two numbers sit side by side.
"""

from __future__ import annotations

import time

from django.contrib.auth.hashers import Argon2PasswordHasher

PASSWORD = "Benchmark-Only-4711"


def argon2_checks_per_second(*, seconds: float = 2.0, minimum: int = 5) -> float:
    """Verify one Argon2 hash repeatedly for about `seconds`; checks per second."""
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    checks = 0
    start = time.perf_counter()
    while checks < minimum or time.perf_counter() - start < seconds:
        if not hasher.verify(PASSWORD, encoded):
            raise RuntimeError("Argon2 refused its own hash")
        checks += 1
    return checks / (time.perf_counter() - start)
