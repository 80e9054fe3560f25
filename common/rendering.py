"""Values rendered the way DRF renders them, for the frameworks that are not DRF.

DRF is the reference implementation: its fields decide how a value looks in
a response body. FastAPI (a Pydantic serializer) and Flask (plain dicts)
call these functions so every prefix prints the same bytes, and neither has
to import the other's machinery to do it.
"""

from __future__ import annotations

from datetime import UTC, datetime

_UTC_OFFSET = "+00:00"


def drf_datetime(value: datetime) -> str:
    """DRF's DateTimeField.to_representation, with TIME_ZONE = "UTC".

    ISO 8601, UTC written "Z", microseconds only when non-zero.
    """
    text = value.astimezone(UTC).isoformat()
    if text.endswith(_UTC_OFFSET):
        text = text[: -len(_UTC_OFFSET)] + "Z"
    return text
