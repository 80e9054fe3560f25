"""The contract's rule for a JSON request body, written once for all three frameworks.

DRF applies it through its parser (`drf_support.parsers.Utf8JSONParser`
calls `loads_json`); FastAPI (`routing.ContractRoute`) and Flask
(`parsing.json_object`) each read the raw bytes and the Content-Type header
from their own request object and call `json_object_body`:

- empty body                        -> `{}` (missing fields then say "This field is required.")
- content type not application/json -> 400 "Content type must be application/json."
- not UTF-8, not JSON, NaN/Infinity -> 400 "Request body is not valid JSON."
- nested deeper than MAX_JSON_DEPTH -> 400 (Python's parser would recurse until it crashes)
- a string with a lone surrogate    -> 400 (valid JSON, but not Unicode text: no
                                       encoder or database can store it)
- valid JSON but not an object      -> 400 "Request body must be a JSON object."

Bodies larger than MAX_BODY_BYTES never get here: the edge
(`common.asgi.edge`) refuses them before they are read.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from common.constraints import MAX_JSON_DEPTH
from common.errors import (
    MSG_LONE_SURROGATE,
    MSG_NOT_AN_OBJECT,
    MSG_TOO_DEEP,
    MSG_UNSUPPORTED_MEDIA,
    BadRequest,
)
from common.media_types import JSON_MEDIA_TYPE, media_type

# After decoding, a valid pair "\ud83d\ude00" is one character; any surrogate
# code point left in a string came from a lone "\ud800" escape.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _reject_constant(name: str) -> NoReturn:
    # NaN / Infinity are not JSON; Python's json module accepts them by default.
    raise ValueError(f"{name} is not valid JSON")


def _check_value(data: Any) -> None:
    """Walk the parsed value without recursion: depth and lone surrogates.

    :raise BadRequest: deeper than MAX_JSON_DEPTH, or a string (key or
        value) holding a lone surrogate.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise BadRequest(MSG_LONE_SURROGATE)
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadRequest(MSG_TOO_DEEP.format(limit=MAX_JSON_DEPTH))
            items = value.values() if isinstance(value, dict) else value
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in items)


def json_integer(value: Any) -> int | None:
    """A JSON number that is an integer, as JSON Schema's `integer` means it; else None.

    `1999` and `1999.0` are the same number in JSON (and both match
    `{"type": "integer"}` in the OpenAPI documents); `1999.5`, `"1999"` and
    `true` are not integers. Every framework's integer field reads through here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def loads_json(raw: bytes) -> Any:
    """Parse a UTF-8 JSON document under the contract's rules (any JSON value).

    :raise BadRequest: not UTF-8, not JSON, too deep, or a lone surrogate.
    """
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest() from None
    except RecursionError:
        # Thousands of levels: the C scanner gives up before we can count.
        raise BadRequest(MSG_TOO_DEEP.format(limit=MAX_JSON_DEPTH)) from None
    _check_value(data)
    return data


def json_object_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body `raw`, sent with `content_type`, as a JSON object.

    :raise BadRequest: wrong content type, not JSON, or not an object (400).
    """
    if not raw:
        return {}
    if media_type(content_type) != JSON_MEDIA_TYPE:
        raise BadRequest(MSG_UNSUPPORTED_MEDIA)
    data = loads_json(raw)
    if not isinstance(data, dict):
        raise BadRequest(MSG_NOT_AN_OBJECT)
    return data
