"""`manage.py runserver` serves the composed ASGI app under uvicorn, with autoreload.

Django's own development server only knows Django: /api/fastapi and
/api/flask answered 404 under it, although the landing page links to them.
This command starts the same server `python3 dev.py serve` starts
(config.asgi:application, all three prefixes plus /, /admin/ and /compare),
with the same uvicorn flags (config/serving.py), and keeps Django's
usual arguments:

    python manage.py runserver                    # 127.0.0.1:8000, reloads on changes
    python manage.py runserver 8001
    python manage.py runserver 0.0.0.0:8000       # every interface
    python manage.py runserver [::1]:8000
    python manage.py runserver --noreload         # one process, no file watching

Which `runserver` wins: Django takes a command from the first app in
INSTALLED_APPS that defines it, and django.contrib.staticfiles defines one
too, so `config` is listed before it in config/settings.py. Static files
need no special serving here: WhiteNoise serves them in every process.

Unlike `dev.py serve`, this neither migrates nor seeds the demo data: it
warns about unapplied migrations, as Django's runserver does.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from config.serving import server_command  # the uvicorn flags `dev.py serve` uses too

ROOT = Path(__file__).resolve().parents[3]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

# The folders the reloader watches: the project's code and templates, not
# .venv (thousands of files) or .cache (the embedded cache writes there).
WATCHED_DIRS = (
    "accounts", "benchmarks", "books", "common", "config", "mounted_apis",
    "templates", "throttling",
)
# uvicorn watches *.py by default; templates change what pages show, too.
WATCHED_PATTERNS = ("*.py", "*.html")

# Django's own addrport grammar: "8000", "host:8000", "[ipv6]:8000".
_ADDRPORT = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+):)?(?P<port>\d+)$")


def parse_addrport(addrport: str) -> tuple[str, int]:
    """(host, port) from Django's `[addrport]` argument; CommandError when it is not one."""
    match = _ADDRPORT.match(addrport)
    if match is None:
        raise CommandError(f'"{addrport}" is not a port number or address:port pair.')
    port = int(match["port"])
    if not 0 < port < 65536:
        raise CommandError(f"{port} is not a valid port number (1-65535).")
    host = (match["host"] or DEFAULT_HOST).strip("[]")
    return host, port


def runserver_command(python: str, *, host: str, port: int, reload: bool) -> list[str]:
    """dev.py's uvicorn command line, plus the reloader's flags when `reload`."""
    command = server_command(python, host=host, port=port)
    if reload:
        # --reload runs one worker in a child process that restarts on changes;
        # uvicorn refuses --workers with it, so that flag goes.
        at = command.index("--workers")
        del command[at:at + 2]
        command.append("--reload")
        for folder in WATCHED_DIRS:
            command += ["--reload-dir", str(ROOT / folder)]
        for pattern in WATCHED_PATTERNS:
            command += ["--reload-include", pattern]
    return command


class Command(BaseCommand):
    help = (
        "Serve the whole project (Django, DRF, FastAPI and Flask in one ASGI app) with "
        "uvicorn, restarting when a .py or .html file changes. Same uvicorn flags as "
        "`python3 dev.py serve`, which also migrates and seeds the demo data first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "addrport", nargs="?", default=f"{DEFAULT_HOST}:{DEFAULT_PORT}",
            help=f"port, or address:port, to listen on (default {DEFAULT_HOST}:{DEFAULT_PORT}; "
            "0.0.0.0:8000 for every interface)",
        )
        parser.add_argument(
            "--noreload", action="store_false", dest="use_reloader",
            help="do not watch files and restart the server when they change",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_addrport(options["addrport"])
        self.check_migrations()
        command = runserver_command(
            sys.executable, host=host, port=port, reload=options["use_reloader"]
        )
        display_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"Serving the composed app at http://{display_host}:{port}/ "
            f"(/api/drf, /api/fastapi, /api/flask, /admin/, /compare)\n"
            f"+ {' '.join(command[1:])}\nQuit with CONTROL-C."
        )
        self.stdout.flush()
        server = subprocess.Popen(command, cwd=ROOT)
        # A `kill` of manage.py stops uvicorn too, instead of orphaning it.
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            server.wait()
        except KeyboardInterrupt:  # Ctrl+C reached uvicorn as well; let it finish
            server.wait()
            return
        if server.returncode not in (0, None):
            sys.exit(server.returncode)
