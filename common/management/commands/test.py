"""`manage.py test` runs the project's pytest suite, not Django's test runner.

The suite is written for pytest (fixtures, parametrised prefixes), so
Django's own runner found nothing and said "Ran 0 tests ... OK", which
reads like success. This command hands its arguments to pytest instead:

    python manage.py test                       # the whole suite
    python manage.py test -k password_reset -x  # any pytest arguments

`python3 dev.py test` is the same run from a fresh machine (it creates the
virtual environment and installs the requirements first).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

ROOT = Path(__file__).resolve().parents[3]


class Command(BaseCommand):
    help = (
        "Run the test suite with pytest (arguments go to pytest). "
        "From a fresh machine: python3 dev.py test."
    )

    def run_from_argv(self, argv: list[str]) -> None:
        """Every argument after `test` is pytest's, `--help` included: no Django parsing."""
        pytest_args = argv[2:]
        self.stdout.write(f"Running pytest {' '.join(pytest_args)}".rstrip())
        environment = dict(os.environ, TESTING="1")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=environment
        )
        sys.exit(result.returncode)

    def handle(self, *args: str, **options: object) -> None:  # call_command("test")
        self.run_from_argv(["manage.py", "test", *args])
