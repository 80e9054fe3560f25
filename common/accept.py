"""Reading the `Accept` header: does this client prefer HTML to JSON?

The contract answers JSON whatever `Accept` says (RFC 9110 lets a server
ignore it), with one exception: a browser at /api/drf gets DRF's browsable
API. "A browser" is decided here, once, by RFC 9110 §12.5.1's rules:

    Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8
        -> HTML (q=1) beats JSON (only through */*, q=0.8)
    Accept: text/html; q=1.0, */*          (DRF's own forms send this)
        -> HTML: same quality, but named, while JSON only matches */*
    Accept: */*   |   text/html, application/json   |   application/xml   |   garbage
        -> JSON: a tie, or no HTML at all, leaves the API's default

So HTML wins only when `text/html` is acceptable and ranks strictly above
`application/json`: by quality first, then by how specifically the client
named it (exact type > `text/*` > `*/*`). Malformed items are skipped, never
an error: a bad `Accept` gets JSON, not a 406 or a 500.
"""

from __future__ import annotations

HTML = "text/html"
JSON = "application/json"

# How specifically a media range names a type: an exact match beats `type/*`,
# which beats `*/*` (RFC 9110: "more specific media ranges override").
_EXACT, _SUBTYPE_WILDCARD, _ANY = 2, 1, 0
_NO_MATCH = (0.0, -1)


def _quality(params: list[str]) -> float | None:
    """The `q` parameter (default 1); None when it is not a number in 0..1."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            return quality if 0.0 <= quality <= 1.0 else None
    return 1.0


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """`(type, subtype, q)` for each well-formed media range of the header."""
    ranges = []
    for item in accept.split(","):
        media_range, *params = item.split(";")
        main, slash, sub = media_range.strip().lower().partition("/")
        quality = _quality(params)
        if not slash or not main or not sub or quality is None:
            continue  # "garbage", "text/", "text/html;q=x": skipped
        ranges.append((main, sub, quality))
    return ranges


def _rank(media_type: str, ranges: list[tuple[str, str, float]]) -> tuple[float, int]:
    """`(quality, specificity)` of `media_type`, from the most specific range naming it."""
    main, _, sub = media_type.partition("/")
    best: tuple[float, int] = _NO_MATCH
    best_specificity = -1
    for range_main, range_sub, quality in ranges:
        if (range_main, range_sub) == (main, sub):
            specificity = _EXACT
        elif range_main == main and range_sub == "*":
            specificity = _SUBTYPE_WILDCARD
        elif (range_main, range_sub) == ("*", "*"):
            specificity = _ANY
        else:
            continue
        if specificity > best_specificity:
            best, best_specificity = (quality, specificity), specificity
    return best


def prefers_html(accept: str | None) -> bool:
    """True when `accept` ranks `text/html` strictly above `application/json`."""
    if not accept:
        return False
    ranges = _ranges(accept)
    html = _rank(HTML, ranges)
    return html[0] > 0.0 and html > _rank(JSON, ranges)
