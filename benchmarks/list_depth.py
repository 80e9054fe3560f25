"""How long one uncached GET /books takes in the database, by query shape: a table.

    DATABASE_URL=postgres://…/books1m python -m benchmarks.list_depth [--repeat 5]

Times `books.listing.book_list` + `common.pagination.paginate` (or
`common.keyset.keyset_page` for `cursor=`): what every prefix runs on a cache
MISS (filters, count, page), for short searches and deep pages, best and
median of `--repeat` runs, after `manage.py seed_books --count 1000000`. A shape the
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


def _list_page(params: dict[str, str]) -> object:
    # The domain calls the frameworks make once they have parsed the query
    # string (each parses it its own way; parsing costs microseconds).
    from books.listing import DEFAULT_SORT, BookFilters, book_list, order_by_fields, parse_sort
    from common.constraints import DEFAULT_PAGE_SIZE
    from common.keyset import keyset_page
    from common.pagination import PageParams, paginate

    sort = parse_sort(params["sort"]) if "sort" in params else DEFAULT_SORT
    year_from = params.get("year_from")
    filters = BookFilters(
        search=params.get("search"),
        title_contains=params.get("title_contains"),
        year_from=int(year_from) if year_from else None,
    )
    books = book_list(filters=filters, sort=sort)
    if "cursor" in params:
        return keyset_page(books, ordering=order_by_fields(sort), page_size=DEFAULT_PAGE_SIZE,
                           cursor=None)
    return paginate(books, PageParams(page=int(params.get("page", "1"))))


def _time(params: dict[str, str], repeat: int) -> tuple[float, float, str]:
    from common.errors import ValidationFailed

    times, outcome = [], "200"
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            _list_page(params)
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
