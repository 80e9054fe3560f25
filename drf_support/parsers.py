"""How DRF reads a request body, made as strict as the other two frameworks.

DRF's default negotiation lets `Content-Type: application/*` (or `*/*`)
select the JSON parser, and its JSONParser decodes by the `charset`
parameter (`latin-1` included). FastAPI and Flask here accept exactly
`application/json` (parameters allowed) and read UTF-8, as RFC 8259 says
JSON exchanged between systems is. Same request, same answer: these two
classes give DRF the same rule.

One exception, for browsers: the browsable API's HTML forms post
`multipart/form-data`. `BrowserFormParser` reads them, and the negotiation
picks it only for a request the browsable API answers (its `Accept`
prefers HTML: a browser). Any other client sending a form gets the
contract's 400, as at the other prefixes. (Not "only when the session
authenticated it": the session's CSRF check reads the form itself, so the
parser cannot wait for authentication. A browser's form without a session
is refused anyway, 401, before its body is read.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer

from common.json_body import loads_json
from common.media_types import media_type


class ExactContentNegotiation(DefaultContentNegotiation):
    """A parser is chosen only by its exact media type, never by a wildcard."""

    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> BaseParser | None:
        # The one reading of Content-Type that FastAPI and Flask use too.
        requested = media_type(request.content_type)
        for parser in parsers:
            if parser.media_type != requested:
                continue
            if getattr(parser, "browsers_only", False) and not _browser_request(request):
                continue
            return parser
        return None  # DRF answers UnsupportedMediaType: our 400 bad_request


def _browser_request(request: Any) -> bool:
    """A request the browsable API renders (drf_support.negotiation chose it for a browser)."""
    return isinstance(getattr(request, "accepted_renderer", None), BrowsableAPIRenderer)


def is_form_request(request: Any) -> bool:
    """The body is an HTML form (read by BrowserFormParser), so every value is text."""
    return media_type(request.content_type) == BrowserFormParser.media_type


class BrowserFormParser(MultiPartParser):
    """DRF's MultiPartParser, for the browsable API's HTML forms only (see the module doc)."""

    browsers_only = True


class Utf8JSONParser(JSONParser):
    """JSON bodies under the shared rule (`common.json_body.loads_json`).

    UTF-8 whatever `charset` the client declares, no NaN, at most 64 levels
    deep, no lone surrogates: a `BadRequest` from here reaches the
    exception handler as the contract's 400.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        return loads_json(stream.read())
