"""docs/walkthrough.md runs: each ```sh block, in order, in one bash session, on a live server.

The server is what a reader starts with `python3 dev.py serve`, on the
embedded default: uvicorn on a free port, a fresh SQLite file, the shared
cache in its own folder, `manage.py migrate` and `manage.py seed_demo`, its
mail worker (`manage.py db_worker`), and EMAIL_URL pointing to a file folder
so the password-reset block can read the email. REDIS_URL and DATABASE_URL
of the test run are not passed on: the walkthrough is about the set-up a
newcomer has.

Each block must exit 0: the blocks use `curl -sf` (fails on 4xx/5xx) and
explicit `test` checks, under `set -e -o pipefail`. README.md's blocks run
too, after the walkthrough's, when they opt in with a first line `# run`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.shell_blocks import (
    blocks_passed,
    last_block_started,
    number_blocks,
    runnable_blocks,
    session_script,
    silent_blocks,
)
from tests.support.network import free_port, wait_until_answering
from tests.support.processes import MailWorker

ROOT = Path(__file__).resolve().parents[2]
WALKTHROUGH = ROOT / "docs" / "walkthrough.md"
README = ROOT / "README.md"

# What the pages say; the session swaps in the test server and folder.
PAGE_BASE_URL = "http://127.0.0.1:8000"
PAGE_MAIL_DIR = "/tmp/books-mail"

SESSION_TIMEOUT_S = 120
SERVER_START_TIMEOUT_S = 60

# Slow (--all, CI): a fresh server and every block of the walkthrough in bash.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough uses curl"),
]


def _server_env(folder: Path) -> dict[str, str]:
    """The embedded default in `folder`, with email written to files there."""
    env = {
        name: value for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CACHE_DIR", "TESTING"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        CACHE_DIR=str(folder / "cache"),
        EMAIL_URL=f"file://{folder / 'mail'}",
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, mail folder) of a freshly seeded server, as `dev.py serve` leaves it."""
    env = _server_env(tmp_path)
    _manage(env, "migrate", "--verbosity", "0")
    _manage(env, "seed_demo")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        # The command line dev.py serve uses (--no-proxy-headers included).
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        # dev.py serve's mail worker: it sends the emails the server stores as jobs.
        with MailWorker(env, cwd=ROOT):
            wait_until_answering(f"{base_url}/health", server, SERVER_START_TIMEOUT_S)
            yield base_url, tmp_path / "mail"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_every_walkthrough_block_runs_in_order(demo_server: tuple[str, Path]) -> None:
    base_url, mail_dir = demo_server
    blocks = number_blocks([
        ("docs/walkthrough.md", runnable_blocks(WALKTHROUGH.read_text(), run_by_default=True)),
        ("README.md", runnable_blocks(README.read_text(), run_by_default=False)),
    ])
    assert len(blocks) >= 20, "the walkthrough lost its examples"
    script = session_script(blocks, {PAGE_BASE_URL: base_url, PAGE_MAIL_DIR: str(mail_dir)})

    result = subprocess.run(
        ["bash", "--noprofile", "--norc"], input=script, capture_output=True, text=True,
        cwd=mail_dir.parent, timeout=SESSION_TIMEOUT_S,
    )

    passed = blocks_passed(result.stdout)
    if result.returncode != 0 or passed != {block.number for block in blocks}:
        failed_number = last_block_started(result.stdout)
        failed = next((block for block in blocks if block.number == failed_number), None)
        pytest.fail(
            f"exit status {result.returncode}; failed in "
            f"{failed.source if failed else 'no block'}:\n{failed.text if failed else ''}\n"
            f"--- stdout (end) ---\n{result.stdout[-3000:]}\n"
            f"--- stderr (end) ---\n{result.stderr[-3000:]}"
        )
    silent = [block.source for block in blocks if block.number in silent_blocks(result.stdout)]
    assert silent == [], f"blocks that print nothing, so a reader sees no check: {silent}"
