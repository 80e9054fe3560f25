"""No test is left out of CI.

CI runs pytest over pyproject's `testpaths` (`python3 dev.py test --all`:
the slow tests too) and, in .ci/run, the folders that need more than the
suite does (a browser, a production-like server). A folder holding
`test_*.py` files that is covered by neither never runs, and neither does a
`slow` test if no CI line passes `--all`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def configured_testpaths() -> list[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [ROOT / path for path in config["tool"]["pytest"]["ini_options"]["testpaths"]]


def named_in_ci_script(folder: Path) -> bool:
    """`.ci/run` names the folder (or one above it) as a word of a command line."""
    relative = folder.relative_to(ROOT).as_posix()
    words = {
        word.strip("\"'").rstrip("/")
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if not line.lstrip().startswith("#")
        for word in line.split()
    }
    return any(relative == word or relative.startswith(word + "/") for word in words
               if word.startswith("tests/"))


def folders_with_tests() -> list[Path]:
    return sorted({path.parent for path in TESTS.rglob("test_*.py")
                   if "__pycache__" not in path.parts})


def test_the_finder_sees_the_known_folders() -> None:
    # Guards the guard: a broken glob would make the next test pass vacuously.
    found = {folder.relative_to(ROOT).as_posix() for folder in folders_with_tests()}
    assert {"tests/unit", "tests/contract", "tests/docs", "tests/e2e"} <= found


def test_every_folder_of_tests_runs_in_ci() -> None:
    covered = configured_testpaths()
    left_out = [
        folder.relative_to(ROOT).as_posix()
        for folder in folders_with_tests()
        if not any(folder == path or path in folder.parents for path in covered)
        and not named_in_ci_script(folder)
    ]
    assert left_out == [], (
        f"{left_out} hold tests that CI never runs: add them to `testpaths` in "
        "pyproject.toml, or to a `run_suite` line of .ci/run"
    )


def ci_suite_lines() -> list[str]:
    """The command lines of .ci/run that run the suite (`run_suite ...`)."""
    return [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
            if "run_suite " in line and not line.lstrip().startswith("#")]


def test_ci_runs_the_slow_tests_over_every_testpath() -> None:
    # `--all` with no path of its own: every folder of `testpaths`, `slow` included.
    everything = [line for line in ci_suite_lines()
                  if "--all" in line and not any(word.startswith("tests/")
                                                 for word in line.split())]
    assert everything, ".ci/run never runs `dev.py test --all`: the slow tests would never run"
