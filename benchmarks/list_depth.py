"""How long one uncached GET /books takes in the database, by query shape: a table.

    DATABASE_URL=postgres://…/books1m python -m benchmarks.list_depth [--repeat 5]

Times `books.selectors.book_page` (what every prefix runs on a cache MISS:
filters, count, page) for short searches and deep pages, best and median
of `--repeat` runs, after `manage.py seed_books --count 1000000`. A shape the
list refuses (422) is printed as refused, with the time the refusal took.
Run it before and after a change to the list's rules (docs/measurements.md,
"Searches and deep pages").
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

SHAPES: list[tuple[str, dict[str, str]]] = [
    ("search=ab", {"search": "ab"}),
    ("search=qz (2 rare letters)", {"search": "qz"}),
    ("title_contains=qz", {"title_contains": "qz"}),
    ("search=x y (no 3 in a row)", {"search": "x y"}),
    ("search=the (3 letters, common)", {"search": "the"}),
    ("search=qzx (3 letters, no match)", {"search": "qzx"}),
    ("search=harbor", {"search": "harbor"}),
    ("page=50", {"page": "50"}),
    ("year_from=1990&sort=title&page=50", {"year_from": "1990", "sort": "title", "page": "50"}),
    ("year_from=1990&sort=title&page=51", {"year_from": "1990", "sort": "title", "page": "51"}),
    ("year_from=1990&sort=title&page=500", {"year_from": "1990", "sort": "title", "page": "500"}),
    ("search=harbor&sort=title&page=500",
     {"search": "harbor", "sort": "title", "page": "500"}),
    ("year_from=1990&page=5000", {"year_from": "1990", "page": "5000"}),
    ("year_from=1990&sort=title&cursor=", {"year_from": "1990", "sort": "title", "cursor": ""}),
]


def _time(params: dict[str, str], repeat: int) -> tuple[float, float, str]:
    from django.http import QueryDict

    from books.selectors import book_page
    from common.errors import ValidationFailed

    query = QueryDict(mutable=True)
    query.update(params)
    times, outcome = [], "200"
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            book_page(params=query)
        except ValidationFailed as failed:
            outcome = "422 " + ",".join(detail.field for detail in failed.details)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print("| query | answer | best ms | median ms |")
    print("|---|---|---|---|")
    for label, params in SHAPES:
        best, median, outcome = _time(params, args.repeat)
        print(f"| `{label}` | {outcome} | {best * 1000:.1f} | {median * 1000:.1f} |")


if __name__ == "__main__":
    main()
