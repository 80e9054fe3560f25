"""The `.env` file is read by every reader of config/env.py; the real environment wins.

Each case runs in its own interpreter: the file's values stay in the process
that read them, so they cannot leak into the rest of the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

READ_BACK = """
import sys
from pathlib import Path
from config import env
env.read_dotenv(Path(sys.argv[1]))
print(env.text("SECRET_KEY"), env.integer("MAX_BODY_BYTES", 1), env.flag("DEBUG", False),
      env.rate("RATE_LIMIT_ANON", "1/minute"), env.items("ALLOWED_HOSTS"))
"""


def read_back(dotenv: Path, **real: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(dotenv)],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", **real},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_every_kind_of_value_is_read_from_the_file(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "SECRET_KEY=from-the-file\nMAX_BODY_BYTES=2048\nDEBUG=yes\n"
        "RATE_LIMIT_ANON=7/hour\nALLOWED_HOSTS=a.example, b.example\n"
    )
    assert read_back(dotenv) == "from-the-file 2048 True 7/hour ['a.example', 'b.example']"


def test_the_real_environment_wins_over_the_file(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SECRET_KEY=from-the-file\nMAX_BODY_BYTES=2048\n")
    assert read_back(dotenv, SECRET_KEY="from-the-shell", MAX_BODY_BYTES="4096").startswith(
        "from-the-shell 4096 "
    )


def test_a_bad_value_in_the_file_is_named_like_one_in_the_shell(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("MAX_BODY_BYTES=lots\n")
    result = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(dotenv)],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "MAX_BODY_BYTES='lots' is invalid" in result.stderr
