"""The media type of a Content-Type header, read one way for every framework.

DRF, Starlette and werkzeug each have their own header parser; the bodies
the contract accepts (JSON objects, the token endpoint's form) are decided
by the shared code in `common.json_body` and `accounts.oauth`, which take
the raw header value and ask this module what it names.
"""

from __future__ import annotations

from email.message import Message

JSON_MEDIA_TYPE = "application/json"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def media_type(content_type: str | None) -> str | None:
    """`"application/json; charset=utf-8"` -> `"application/json"`; None without a header.

    Lower-cased, parameters dropped (the standard library's MIME parser, so
    quoting and spacing follow RFC 2045 rather than a hand-written split).
    """
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    return message.get_content_type()
