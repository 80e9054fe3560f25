#!/usr/bin/env python
"""Django's command-line entry point: migrate, seed_demo, unlock, createsuperuser...

A settings mistake (RATE_LIMIT_ANON=abc, a missing SECRET_KEY) ends the
command with one line naming the variable, not a traceback: the settings
raise ImproperlyConfigured while loading (config/env.py).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["test"]:
        # `manage.py test` runs pytest (common/management/commands/test.py);
        # like `dev.py test`, it needs no production secrets.
        os.environ.setdefault("TESTING", "1")
    from django.core.management import execute_from_command_line

    from config.env import exit_on_setting_error

    exit_on_setting_error(lambda: execute_from_command_line(sys.argv))


if __name__ == "__main__":
    main()
