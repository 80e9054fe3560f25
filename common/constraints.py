"""Every limit the API enforces on input, as plain constants: the one source.

The domain validation imports them (books.rules, books.filters,
accounts.rules, accounts.filters, common.pagination), and so does each
framework's schema code (DRF's serializers, the FastAPI and Flask Pydantic
models), which states them in its OpenAPI document. Change a number here and
both the check and the documentation change with it; nothing else may spell
these values out.

Framework-free on purpose: no Django, no DRF, no Pydantic.
"""

from __future__ import annotations

from datetime import date

# --- Users ---------------------------------------------------------------------

USERNAME_MIN = 3
USERNAME_MAX = 150
EMAIL_MAX = 254  # RFC 5321's limit on a forward path, and EmailField's max_length
ROLES = ("user", "admin")
BOOLEAN_QUERY_VALUES = ("true", "false")

# --- Books ---------------------------------------------------------------------

TITLE_MAX = 200
AUTHOR_MAX = 200
DESCRIPTION_MAX = 5000
# Movable-type printing in Europe starts around 1450 (the Gutenberg Bible).
# The upper bound is next year, so it moves every New Year.
YEAR_MIN = 1450


def year_max_on(today: date) -> int:
    """Next year: books are announced (and catalogued) before they are printed."""
    return today.year + 1

# --- List query parameters -------------------------------------------------------

SORT_FIELDS = ("id", "title", "author", "year", "created_at")
SORT_DIRECTIONS = ("asc", "desc")
DEFAULT_SORT = "id:asc"
# Longer search strings only make the LIKE pattern slower, never more useful.
SEARCH_MAX = 200
# A contains-search (`search`, `title_contains`) must hold this many letters or
# digits in a row: the fewest a trigram index can look up (books.listing,
# docs/measurements.md "Searches and deep pages").
SEARCH_RUN_MIN = 3
PAGE_MIN = 1
DEFAULT_PAGE_SIZE = 20
# Bounds the work (and the response size) one request can ask for.
MAX_PAGE_SIZE = 100
# Numbered pages reach this many rows (page * page_size); deeper rows are
# read with `?cursor=`, whose cost does not grow with depth (common.pagination).
PAGE_ROWS_MAX = 1_000

# --- Request bodies (common.json_body) ----------------------------------------------

# Objects and arrays inside each other, counted from the outermost (depth 1).
MAX_JSON_DEPTH = 64


def sort_pattern() -> str:
    r"""The grammar of `sort` as a regular expression (JSON Schema's dialect too).

    `field` or `field:asc|desc`, comma-separated, spaces around items
    allowed, empty meaning the default; the lookahead refuses a field named
    twice (`[\s\S]` rather than `.`, which would stop at a newline).
    """
    fields = "|".join(SORT_FIELDS)
    item = r"\s*(" + fields + r")(:(" + "|".join(SORT_DIRECTIONS) + r"))?\s*"
    no_repeat = r"(?![\s\S]*\b(" + fields + r")\b[\s\S]*\b\1\b)"
    return f"^{no_repeat}({item}(,{item})*)?$"


# A cursor longer than this is not one of ours: refused before any decoding.
CURSOR_MAX_LENGTH = 2000

# The query parameters of each list, and which of them are integers.
BOOK_LIST_PARAMS = (
    "search", "title_contains", "author", "year_from", "year_to", "sort", "page", "page_size",
    "cursor",
)
BOOK_LIST_INTEGERS = ("year_from", "year_to", "page", "page_size")
USER_LIST_PARAMS = ("search", "role", "is_active", "page", "page_size")
USER_LIST_INTEGERS = ("page", "page_size")
