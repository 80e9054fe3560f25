"""At start: a Redis that refuses this server's credentials stops it, in one line.

    exit_on_setting_error(check_redis_credentials)     # config/asgi.py, after django.setup

A Redis that is down or slow is an outage: the server starts and degrades
(cache MISS, limits by RATE_LIMIT_FAIL_OPEN, 503 on login) until Redis
answers. A Redis that answers "wrong password" (or "no password given", or
"this user may not run that") is a setting that cannot work: waiting will
not fix it, and a server that starts with it runs with its cache off and its
rate limits failing open for as long as nobody reads the warnings. So it
stops like any other bad variable: an ImproperlyConfigured whose message
is one line in config/env.py's form, which the entry points print.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import AuthenticationError, RedisError, ResponseError

from common.redis_client import sync_redis

logger = logging.getLogger(__name__)

# Error replies that mean "these credentials do not work here" (Redis 6+ ACLs included).
REFUSALS = ("NOAUTH", "WRONGPASS", "NOPERM")


def check_redis_credentials() -> None:
    """PING the cache's Redis. :raise ImproperlyConfigured: Redis refused the credentials."""
    client = sync_redis()
    if client is None:
        return
    try:
        client.ping()
    except AuthenticationError as exc:
        _refused(exc)
    except ResponseError as exc:
        if str(exc).startswith(REFUSALS):
            _refused(exc)
        raise
    except RedisError as exc:  # down, refused, timed out: an outage, not a setting
        logger.warning("Redis did not answer at start (%s): starting without it, "
                       "cache misses and limits per RATE_LIMIT_FAIL_OPEN until it does",
                       exc.__class__.__name__)


def _refused(exc: RedisError) -> None:
    reason = " ".join(str(exc).split())  # one line, whatever Redis said
    raise ImproperlyConfigured(
        f"REDIS_URL={_without_credentials(settings.REDIS_URL)!r} is invalid: expected a user "
        f"and password this Redis accepts (it answered: {reason})."
    ) from None


def _without_credentials(url: str) -> str:
    """The URL with no user or password: what the message may show."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
