"""A WSGI app (Django's, Flask's) inside the ASGI process, typed as the project's ASGI app.

    django_app = wsgi_to_asgi(get_wsgi_application(), workers=10)

a2wsgi's WSGIMiddleware does the work. Its annotations use a2wsgi's own
TypedDicts for the WSGI environ and the ASGI scope, which neither Django's
nor Flask's stubs (an environ is a `dict[str, Any]` there) nor this
project's middleware (a scope is a MutableMapping, common/asgi/types.py)
spell the same way. At run time these are the same objects: a WSGI
callable in, an ASGI callable out. This function is the one place that
tells the type checker so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

from a2wsgi import WSGIMiddleware

from common.asgi.types import ASGIApp

if TYPE_CHECKING:
    from a2wsgi.wsgi_typing import WSGIApp


def wsgi_to_asgi(app: Callable[..., Iterable[bytes]], *, workers: int) -> ASGIApp:
    """`app` served on a pool of `workers` threads, as an ASGI app."""
    middleware = WSGIMiddleware(cast("WSGIApp", app), workers=workers)
    return cast(ASGIApp, middleware)
