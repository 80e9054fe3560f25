"""URL rules that route the contract's way: exact methods, digits-only ids.

Three of werkzeug's defaults differ from the contract:

- a rule with GET also matches HEAD, and Flask adds OPTIONS to every rule;
  the contract answers OPTIONS with 405 and leaves both out of `Allow`.
  A HEAD never reaches Flask: the edge in front of every
  framework (common/asgi/edge.py) passes it on as a GET and drops the body.
  `ContractRule` drops HEAD (the factory turns off PROVIDE_AUTOMATIC_OPTIONS),
  so werkzeug itself raises the 405 with the right list of methods;
- werkzeug strips leading slashes before matching (`//books` is `/books`,
  even with `merge_slashes` off); `reject_empty_segments` makes it the 404
  it is at the other prefixes;
- `<int:...>` matches any Unicode digit ("٣" is 3); `<digits:...>`
  (`DigitsConverter`) takes ASCII digits only, as the other prefixes do, so
  /books/abc and /books/٣ are the plain 404 of an unknown path.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter, Rule


class ContractRule(Rule):
    """A Rule that does not add HEAD to GET (a HEAD reaches Flask as a GET, from the edge)."""

    def __init__(self, string: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(string, *args, **kwargs)
        if self.methods is not None:
            self.methods.discard("HEAD")


class DigitsConverter(BaseConverter):
    """`<digits:book_id>`: one or more ASCII digits, passed to the view as an int."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


def reject_empty_segments() -> None:
    """before_request: a path with an empty segment (`//books`) names nothing.

    Reads PATH_INFO itself: `request.path` has the leading slashes stripped.
    """
    if "//" in request.environ.get("PATH_INFO", ""):
        raise NotFound()
