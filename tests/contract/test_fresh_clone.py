"""A newcomer's first command, exactly as they run it: a fresh clone, a clean shell.

The project's files (what `git clone` gives: tracked files, plus new ones not
yet committed) are copied to a temporary folder, and `python3 dev.py serve`
runs there with an environment holding only PATH, HOME and LANG: no
TESTING, no keys, no DATABASE_URL. The one shortcut is the virtualenv: the
copy's `.venv` links to this checkout's installed packages and carries the
stamp `dev.py` writes after installing `requirements/base.txt`, so the
two-minute install is skipped and nothing is written to the shared one.

Started once for the module: it writes `.env`, migrates a new SQLite file,
seeds the demo and serves. Then the demo accounts the README lists log in at
every prefix, and `manage.py` works in the same clean shell.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from books.management.commands.seed_demo import DEMO_USERS
from tests.contract.conftest import PREFIXES
from tests.support.network import free_port, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
# Migrations of a new database, 304 books and three users, then uvicorn's start.
FIRST_START_TIMEOUT_S = 240
# dev.py prints its banner just after the server first answers.
BANNER_TIMEOUT_S = 10
# The README's demo table: | `alice` | `Looking-Glass-7316` | user |
README_ACCOUNT = re.compile(r"^\|\s*`(?P<username>[a-z]+)`\s*\|\s*`(?P<password>[^`]+)`\s*\|")


@dataclass(frozen=True)
class FreshClone:
    folder: Path
    base_url: str
    env: dict[str, str]
    log: Path


def clean_environment(home: Path) -> dict[str, str]:
    """What `env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=<home> LANG=C.UTF-8` leaves."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def copy_as_cloned(destination: Path) -> None:
    """The files a clone of this checkout would hold (ignored ones such as .env stay out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree, not yet committed
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def load_dev_script(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fresh_dev_script", folder / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(folder))  # dev.py imports config.serving from its own folder
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


def link_installed_venv(folder: Path) -> None:
    """`.venv` made of links to the installed one, stamped as `dev.py serve` stamps it."""
    installed = (ROOT / ".venv").resolve()
    venv = folder / ".venv"
    venv.mkdir()
    for entry in installed.iterdir():
        if not entry.name.startswith(".installed-"):
            (venv / entry.name).symlink_to(entry)
    dev = load_dev_script(folder)
    assert venv == dev.VENV
    stamp = dev.install_stamp(dev.SERVE_REQUIREMENTS)
    stamp.write_text(dev.requirements_digest(dev.SERVE_REQUIREMENTS))


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshClone]:
    if shutil.which("git") is None:
        pytest.fail("git is needed to list the files a clone holds")
    home = tmp_path_factory.mktemp("home")
    folder = tmp_path_factory.mktemp("clone") / "books-api"
    folder.mkdir()
    copy_as_cloned(folder)
    link_installed_venv(folder)
    env = clean_environment(home)
    port = free_port()
    log = home / "serve.log"
    with log.open("wb") as output:
        serve = subprocess.Popen(
            ["python3", "dev.py", "serve", "--port", str(port)],
            cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # its uvicorn is stopped with it, whatever happens
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_answering(f"{base_url}/health", serve, timeout_s=FIRST_START_TIMEOUT_S)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n--- dev.py serve said:\n{log.read_text()}")
        yield FreshClone(folder=folder, base_url=base_url, env=env, log=log)
    finally:
        serve.terminate()  # dev.py passes SIGTERM on to uvicorn
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()


def readme_accounts() -> dict[str, str]:
    rows = (README_ACCOUNT.match(line) for line in (ROOT / "README.md").read_text().splitlines())
    return {row["username"]: row["password"] for row in rows if row}


def test_the_readme_lists_the_accounts_the_seed_creates() -> None:
    assert readme_accounts() == {demo.username: demo.password for demo in DEMO_USERS}


def test_serve_writes_development_keys_and_answers(fresh_clone: FreshClone) -> None:
    keys = (fresh_clone.folder / ".env").read_text()
    assert "SECRET_KEY=" in keys and "JWT_SIGNING_KEY=" in keys
    assert httpx.get(f"{fresh_clone.base_url}/health", timeout=10).status_code == 200
    deadline = time.monotonic() + BANNER_TIMEOUT_S
    while "Ready. Open:" not in fresh_clone.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Ready. Open:" in fresh_clone.log.read_text()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_demo_books_are_there(fresh_clone: FreshClone, prefix: str) -> None:
    response = httpx.get(f"{fresh_clone.base_url}{prefix}/books?page_size=1", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["total"] > 0


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("username", [demo.username for demo in DEMO_USERS])
def test_each_readme_account_logs_in(fresh_clone: FreshClone, prefix: str, username: str) -> None:
    password = readme_accounts()[username]
    response = httpx.post(
        f"{fresh_clone.base_url}{prefix}/auth/token",
        data={"username": username, "password": password}, timeout=10,
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = httpx.get(
        f"{fresh_clone.base_url}{prefix}/auth/me",
        headers={"Authorization": f"Bearer {token}"}, timeout=10,
    )
    assert me.status_code == 200, me.text
    assert me.json()["data"]["username"] == username


def test_manage_py_works_in_the_same_clean_shell(fresh_clone: FreshClone) -> None:
    result = subprocess.run(
        [".venv/bin/python", "manage.py", "unlock", "--username", "bob"],
        cwd=fresh_clone.folder, env=fresh_clone.env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "bob" in result.stdout
