"""docs/sql.md shows the SQL three requests run: this test runs them and holds the page to it.

At every prefix, on the database the suite runs on (SQLite, or PostgreSQL
with DATABASE_URL), each request's statements are captured from every
thread (common.sql_log.capture) and compared, shape by shape, with the
page's block for that request and database: `<!-- sql: NAME VENDOR -->`
above a fenced block. Shapes, not values: the SQL as Django writes it has
`%s` where the values go, whitespace is not compared (the page wraps long
lines) and savepoint names are normalized. The three prefixes run the same
domain code, so they must run the same SQL.

After a change of the queries, rewrite the blocks of the database you run
on with `SQL_DOC_WRITE=1` and read the difference before committing it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from common.sql_log import Statement, capture
from tests.contract.conftest import Account, Api, Tokens

SQL_DOC = Path(settings.BASE_DIR) / "docs" / "sql.md"
INJECTION = "'; DROP TABLE books; --"
_BLOCK = re.compile(
    r"<!-- sql: (?P<name>[\w-]+) (?P<vendor>\w+) -->\n```sql\n(?P<body>.*?)```", re.S
)
_SAVEPOINT = re.compile(r'"s\d+_x\d+"')
# Where the page breaks a statement: before these words, and at commas past the width.
_CLAUSES = re.compile(
    r" (?=FROM |WHERE |ORDER BY |LIMIT |INNER JOIN |LEFT OUTER JOIN |SET |VALUES |RETURNING "
    r"|GROUP BY )"
)
WIDTH = 88


def shape(sql: str) -> str:
    """A statement with its names and placeholders, without values or layout."""
    return " ".join(_SAVEPOINT.sub('"s…_x1"', sql).split())


def _pretty(sql: str) -> str:
    """One statement as the page prints it: a clause per line, long lines wrapped at commas."""
    lines = []
    for clause in _CLAUSES.split(shape(sql)):
        line = ""
        for part in clause.split(", "):
            candidate = f"{line}, {part}" if line else part
            if len(candidate) > WIDTH and line:
                lines.append(line + ",")
                line = "    " + part
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines[:1] + ["  " + line for line in lines[1:]]) + ";"


def _block(statements: list[Statement], *, with_values: bool = False) -> str:
    parts = []
    for statement in statements:
        text = _pretty(statement.sql)
        if with_values:
            text += f"\n-- values: {statement.params!r}"
            if statement.vendor == "postgresql":
                text += f"\n-- sent by psycopg: {shape(statement.executed)}"
        parts.append(text)
    return "\n\n".join(parts) + "\n"


def _doc_blocks() -> dict[tuple[str, str], str]:
    return {(m["name"], m["vendor"]): m["body"] for m in _BLOCK.finditer(SQL_DOC.read_text())}


def _compare(name: str, block: str) -> None:
    """The page's block for `name` on this database, written first if SQL_DOC_WRITE is set."""
    vendor = connection.vendor
    if os.environ.get("SQL_DOC_WRITE"):
        text = SQL_DOC.read_text()
        marker = f"<!-- sql: {name} {vendor} -->\n```sql\n"
        start = text.index(marker) + len(marker)
        end = text.index("```", start)
        SQL_DOC.write_text(text[:start] + block + text[end:])
    shown = _doc_blocks().get((name, vendor))
    assert shown is not None, f"docs/sql.md has no block <!-- sql: {name} {vendor} -->"
    assert [shape(s) for s in shown.split(";")] == [shape(s) for s in block.split(";")], (
        f"docs/sql.md, {name} on {vendor}: the SQL run is now\n{block}"
    )


def _run(send: Callable[[], httpx.Response], status: int) -> list[Statement]:
    with capture() as statements:
        response = send()
    assert response.status_code == status, response.text
    return statements


@pytest.fixture
def alice(make_user: Callable[..., Account]) -> Account:
    return make_user("alice")


@pytest.fixture
def dune(alice: Account) -> int:
    from books.models import Book

    book = Book.objects.create(
        title="Dune", author="Frank Herbert", year=1965, created_by_id=alice.id
    )
    return book.pk


@pytest.fixture
def tokens(api: Api, alice: Account) -> Tokens:
    return api.login(alice.username)


def test_a_filtered_sorted_list(api: Api, tokens: Tokens, dune: int) -> None:
    statements = _run(
        lambda: api.get("/books?search=dune&year_from=1960&sort=year:desc,title",
                        headers=tokens.headers),
        200,
    )
    _compare("list", _block(statements))


def test_a_login_at_the_token_endpoint(api: Api, alice: Account) -> None:
    statements = _run(lambda: api.password_grant(alice.username), 200)
    _compare("login", _block(statements))


def test_a_patch_of_a_book(api: Api, tokens: Tokens, dune: int) -> None:
    statements = _run(
        lambda: api.patch(f"/books/{dune}", json={"title": "Dune Messiah"}, headers=tokens.headers),
        200,
    )
    _compare("patch", _block(statements))


def test_a_search_for_sql_stays_a_value(api: Api, dune: int) -> None:
    """The text reaches the database as a parameter, never as part of the statement."""
    statements = _run(lambda: api.get("/books", params={"search": INJECTION}), 200)
    assert statements
    for statement in statements:
        assert INJECTION not in statement.sql
    assert any(f"%{INJECTION}%" in statement.params for statement in statements)
    _compare("search-injection", _block(statements, with_values=True))
    # The table is there, and the book with it.
    assert api.get(f"/books/{dune}").status_code == 200
