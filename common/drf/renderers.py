"""JSONRenderer that lets an already rendered JSON body through.

    return Response(stored_bytes)      # a cache HIT: sent as it is
    return Response({"data": [...]})   # anything else: DRF's JSONRenderer

The cached reads keep the bytes JSONRenderer wrote the first time
(BookViewSet.list / retrieve). Answering a HIT through `Response`, rather
than a plain HttpResponse, keeps DRF's whole path (content negotiation,
`finalize_response`, the `Allow` and `Vary` headers) and costs no second
encoding.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer


class CachedJSONRenderer(JSONRenderer):
    """JSONRenderer, except that `bytes` are taken to be JSON already rendered by it."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return super().render(data, accepted_media_type, renderer_context)
