"""The contract's rule for a JSON request body, for the frameworks that are not DRF.

DRF applies it with its JSONParser (STRICT_JSON) and its "no content" case;
FastAPI (`routing.ContractRoute`) and Flask (`parsing.json_object`) each
read the raw bytes and the Content-Type header from their own request
object and call `json_object_body`, so the rule is written once:

- empty body                        -> `{}` (missing fields then say "This field is required.")
- content type not application/json -> 400 "Content type must be application/json."
- not UTF-8, not JSON, NaN/Infinity -> 400 "Request body is not valid JSON."
- valid JSON but not an object      -> 400 "Request body must be a JSON object."
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from common.errors import MSG_NOT_AN_OBJECT, MSG_UNSUPPORTED_MEDIA, BadRequest
from common.media_types import JSON_MEDIA_TYPE, media_type


def _reject_constant(name: str) -> NoReturn:
    # NaN / Infinity are not JSON; Python's json module accepts them by
    # default, DRF's parser (STRICT_JSON) refuses them.
    raise ValueError(f"{name} is not valid JSON")


def json_object_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body `raw`, sent with `content_type`, as a JSON object.

    :raise BadRequest: wrong content type, not JSON, or not an object (400).
    """
    if not raw:
        return {}
    if media_type(content_type) != JSON_MEDIA_TYPE:
        raise BadRequest(MSG_UNSUPPORTED_MEDIA)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest() from None
    if not isinstance(data, dict):
        raise BadRequest(MSG_NOT_AN_OBJECT)
    return data
