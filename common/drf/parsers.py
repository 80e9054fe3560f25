"""How DRF reads a request body, made as strict as the other two frameworks.

DRF's default negotiation lets `Content-Type: application/*` (or `*/*`)
select the JSON parser, and its JSONParser decodes by the `charset`
parameter (`latin-1` included). FastAPI and Flask here accept exactly
`application/json` (parameters allowed) and read UTF-8, as RFC 8259 says
JSON exchanged between systems is. Same request, same answer: these two
classes give DRF the same rule.
"""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser

from common.json_body import loads_json
from common.media_types import media_type


class ExactContentNegotiation(DefaultContentNegotiation):
    """A parser is chosen only by its exact media type, never by a wildcard."""

    def select_parser(self, request: Any, parsers: list[BaseParser]) -> BaseParser | None:
        # The one reading of Content-Type that FastAPI and Flask use too.
        requested = media_type(request.content_type)
        for parser in parsers:
            if parser.media_type == requested:
                return parser
        return None  # DRF answers UnsupportedMediaType: our 400 bad_request


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
