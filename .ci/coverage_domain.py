#!/usr/bin/env python3
"""The domain's coverage, from the data `python3 dev.py test --cov` left; fails under 90 %.

    .venv/bin/python .ci/coverage_domain.py        (from .ci/run, after the measured pass)

"The domain" is the list of modules mypy checks strictly outside common/
(pyproject.toml, the first [[tool.mypy.overrides]]): models, rules,
selectors, services and the token, lockout and rate-limit cores of books/,
accounts/ and throttling/; not their HTTP adapters (views, serializers,
filters, throttles, middleware), the admin or the management commands.
One list, so what is type-checked strictly and what must be tested are the
same code.

Prints coverage's table for those files, then two figures, each checked
against FAIL_UNDER:
- coverage.py's own percentage (statements and branch directions together),
  the one `coverage report --fail-under` judges;
- branch directions alone: taken / possible, the stricter of the two.
"""

from __future__ import annotations

import json
import sys
import tempfile
import tomllib
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
FAIL_UNDER = 90.0
DOMAIN_PACKAGES = ("books", "accounts", "throttling")


def domain_files() -> list[str]:
    """The strictly type-checked modules of the domain packages, as file paths."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    modules = config["tool"]["mypy"]["overrides"][0]["module"]
    files = []
    for module in modules:
        if module.split(".")[0] not in DOMAIN_PACKAGES:
            continue
        path = ROOT / (module.replace(".", "/") + ".py")
        if not path.exists():
            sys.exit(f"coverage_domain: {module} is in the mypy list but {path} does not exist")
        files.append(str(path))
    return files


def main() -> int:
    files = domain_files()
    measured = coverage.Coverage(data_file=str(ROOT / ".coverage"))
    measured.load()
    print(f"Domain: {len(files)} modules of {', '.join(DOMAIN_PACKAGES)}")
    overall = measured.report(include=files, show_missing=True, skip_empty=True)
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "domain.json"
        measured.json_report(include=files, outfile=str(report))
        totals = json.loads(report.read_text())["totals"]
    branches, taken = totals["num_branches"], totals["covered_branches"]
    branch_only = 100.0 * taken / branches if branches else 100.0
    print(f"Domain coverage (statements + branches): {overall:.1f}%")
    print(f"Domain branch coverage (branches alone): {branch_only:.1f}% ({taken}/{branches})")
    failed = [name for name, value in (("coverage", overall), ("branch coverage", branch_only))
              if value < FAIL_UNDER]
    if failed:
        print(f"Domain {' and '.join(failed)} under {FAIL_UNDER:.0f}%")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
