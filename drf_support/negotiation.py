"""How DRF picks the renderer of a response: JSON always, HTML for browsers.

DRF's DefaultContentNegotiation raises NotAcceptable (a 406, which the
contract forbids) when no renderer matches `Accept: application/xml` or
`text/plain`. The contract says: JSON whatever `Accept` says, except that a
request preferring `text/html` at /api/drf gets the browsable API. So:

- `Accept` prefers HTML (common.accept.prefers_html) and the view can render
  HTML -> the browsable API;
- otherwise DRF's own choice among the view's other renderers (so
  `Accept: application/json` on /openapi.json still names that type);
- nothing matches -> the view's first renderer (JSON), never an error.

The URL `?format=` override is off (REST_FRAMEWORK["URL_FORMAT_OVERRIDE"]):
`format` is an ordinary, ignored query parameter, as at the other prefixes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import BaseRenderer

from common.accept import HTML, prefers_html
from drf_support.parsers import ExactContentNegotiation


class ApiContentNegotiation(ExactContentNegotiation):
    """Exact parsers (see drf_support.parsers); a renderer for every `Accept`."""

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        candidates = list(renderers)
        html = [r for r in candidates if r.media_type == HTML]
        others = [r for r in candidates if r.media_type != HTML] or candidates
        if html and prefers_html(request.META.get("HTTP_ACCEPT")):
            return html[0], html[0].media_type
        try:
            renderer, accepted = super().select_renderer(request, others, format_suffix)
            return renderer, accepted
        except NotAcceptable:
            return others[0], others[0].media_type
