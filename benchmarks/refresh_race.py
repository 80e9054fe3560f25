#!/usr/bin/env python3
"""N parallel refreshes of ONE refresh token: how many succeed? simplejwt vs this project.

    DATABASE_URL=postgres://root@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/refresh_race.py --parallel 2 8 16 --rounds 10

A client that retries, two browser tabs, or a thief replaying a stolen token
all present one refresh token more than once, at about the same time. The
contract says exactly one of them may succeed. For each N this script fires
N threads at one fresh refresh token (a barrier releases them together,
each thread on its own PostgreSQL connection), `--rounds` times, against:

  simplejwt   plain djangorestframework-simplejwt 5.5: `TokenRefreshView`
              (`TokenRefreshSerializer`) with ROTATE_REFRESH_TOKENS and
              BLACKLIST_AFTER_ROTATION, the token_blacklist app installed
  project     `accounts.tokens.token_service.rotate`: the login family's row
              locked with SELECT ... FOR UPDATE, reuse revokes the family

and prints, per N: the rounds in which exactly one refresh succeeded, the
fewest / most successes in a round, and how many of the refresh tokens the
winners received still work afterwards (each one is a login a thief could
keep). It runs on a scratch database (`<name>_refresh_race`, created and
dropped here, migrated with the token_blacklist app added), so neither the
project's settings nor its database change.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# config.settings refuses to run without keys unless told this is not production.
os.environ.setdefault("DEV_SERVER", "1")


def configure_django() -> None:
    """The project's settings, plus simplejwt's blacklist app and its rotation, on a scratch DB.

    Must run before anything imports rest_framework_simplejwt.tokens: its
    BlacklistMixin decides at import whether the blacklist app is installed.
    """
    import django
    from django.conf import settings

    import config.settings as project

    options = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    options["INSTALLED_APPS"] = [
        *project.INSTALLED_APPS, "rest_framework_simplejwt.token_blacklist",
    ]
    options["SIMPLE_JWT"] = {
        **project.SIMPLE_JWT, "ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True,
    }
    database = dict(project.DATABASES["default"])
    # One plain connection per thread (no pool): every racer really runs at once.
    database["OPTIONS"] = {}
    database["TEST"] = {"NAME": f"{database['NAME']}_refresh_race"}
    options["DATABASES"] = {"default": database}
    # The race is about tokens, not about the rate limiter.
    options["REST_FRAMEWORK"] = {**project.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    settings.configure(**options)
    django.setup()


@dataclass
class Round:
    succeeded: int  # refreshes that returned a new pair
    still_usable: int  # of the refresh tokens they returned, how many refresh again


def race(parallel: int, attempt: Callable[[], str | None]) -> list[str]:
    """Run `attempt` on `parallel` threads released together; the new refresh tokens won."""
    from django.db import connection

    barrier = threading.Barrier(parallel)
    won: list[str] = []
    lock = threading.Lock()

    def racer() -> None:
        try:
            connection.ensure_connection()  # connect first: the race is the refresh only
            barrier.wait(timeout=30)
            new_refresh = attempt()
            if new_refresh is not None:
                with lock:
                    won.append(new_refresh)
        finally:
            connection.close()

    threads = [threading.Thread(target=racer) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return won


def simplejwt_round(user: Any, parallel: int) -> Round:
    from rest_framework.test import APIRequestFactory
    from rest_framework_simplejwt.tokens import RefreshToken
    from rest_framework_simplejwt.views import TokenRefreshView

    view = TokenRefreshView.as_view()
    factory = APIRequestFactory()

    def refresh(token: str) -> str | None:
        response = view(factory.post("/token/refresh", {"refresh": token}, format="json"))
        return response.data["refresh"] if response.status_code == 200 else None

    token = str(RefreshToken.for_user(user))
    won = race(parallel, lambda: refresh(token))
    return Round(len(won), sum(refresh(new) is not None for new in won))


def project_round(user: Any, parallel: int) -> Round:
    from accounts.tokens import InvalidGrant, token_service

    def refresh(token: str) -> str | None:
        try:
            return token_service.rotate(token).refresh_token
        except InvalidGrant:
            return None

    token = token_service.issue_for_login(user).refresh_token
    won = race(parallel, lambda: refresh(token))
    return Round(len(won), sum(refresh(new) is not None for new in won))


CONTENDERS: dict[str, Callable[[Any, int], Round]] = {
    "simplejwt": simplejwt_round,
    "project": project_round,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parallel", type=int, nargs="+", default=[2, 8, 16])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database.", file=sys.stderr)
        return 2

    configure_django()
    from django.db import connection

    from accounts.models import User

    scratch = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = User.objects.create_user("racer", "racer@example.com", "Race-Condition-42")
        rows = []
        for parallel in args.parallel:
            for name, play in CONTENDERS.items():
                rounds = [play(user, parallel) for _ in range(args.rounds)]
                rows.append((name, parallel, rounds))
    finally:
        connection.creation.destroy_test_db(scratch, verbosity=0)

    print(f"\n{args.rounds} rounds per row; PostgreSQL; each racer on its own connection")
    print(f"{'':10} {'N':>3} {'exactly one':>12} {'successes min/median/max':>26} "
          f"{'winners still usable':>21}")
    for name, parallel, rounds in rows:
        wins = [r.succeeded for r in rounds]
        exactly_one = sum(w == 1 for w in wins)
        spread = f"{min(wins)} / {statistics.median(wins):g} / {max(wins)}"
        usable = sum(r.still_usable for r in rounds)
        print(f"{name:10} {parallel:3d} {exactly_one:>5d} of {len(rounds):<4d} {spread:>26} "
              f"{usable:>13d} of {sum(wins):<5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
