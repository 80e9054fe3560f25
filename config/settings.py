"""Django settings, read from the environment (and a `.env` file when present).

Every variable of the Settings table in docs/API.md is read here and
nowhere else. The defaults give the embedded set-up (an SQLite database file,
and a cache in SQLite files under .cache/ that every process shares);
`DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis without a code
change.
"""

from __future__ import annotations

import os
import secrets
import sys
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common.logs import logging_config
from config import env

BASE_DIR = Path(__file__).resolve().parent.parent

# A `.env` file is a convenience for development; real environment variables win.
env.read_dotenv(BASE_DIR / ".env")

DEBUG = env.flag("DEBUG", False)
# Under pytest the generated development keys are fine (see _secret below).
TESTING = env.flag("TESTING", False) or "pytest" in sys.modules


def _secret(name: str) -> str:
    """A secret from the environment; generated per process only in development.

    A generated key changes at every start, which logs everyone out: fine for a
    laptop, never for production, hence the refusal when DEBUG is off.
    """
    value = env.text(name)
    if value:
        return value
    if DEBUG or TESTING or env.flag("DEV_SERVER", False):
        return secrets.token_urlsafe(48)
    raise ImproperlyConfigured(f"{name} is required when DEBUG is off")


SECRET_KEY = _secret("SECRET_KEY")
# The JWT key is its own secret: rotating it logs everyone out without touching
# sessions, CSRF tokens or password-reset links signed with SECRET_KEY.
JWT_SIGNING_KEY = _secret("JWT_SIGNING_KEY")
if len(JWT_SIGNING_KEY.encode()) < 32:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must hold at least 256 bits (32 bytes)")

ALLOWED_HOSTS = env.items("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
if not ALLOWED_HOSTS and not DEBUG:
    # Django would start and then answer every request 400.
    raise env.SettingError("ALLOWED_HOSTS", "", "a comma list of host names (api.example.com)")
if TESTING:
    ALLOWED_HOSTS.append("testserver")

INSTALLED_APPS = [
    # First: its `createsuperuser` replaces django.contrib.auth's (the first
    # app that has a command of a given name wins).
    "accounts",
    # Before django.contrib.staticfiles: config's `runserver` (uvicorn serving
    # the composed app) replaces staticfiles' and Django's own. config is an
    # app for its management command only (no models).
    "config",
    "common",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "books",
    "throttling",
    # Django's Tasks API (backport) and its ORM backend: durable email jobs
    # (common.mail_tasks), worked by `manage.py db_worker` (common's, which
    # replaces django_tasks_db's: it also takes back the jobs of a dead worker).
    "django_tasks",
    "django_tasks_db",
    # Only for `manage.py bench` (benchmarks/): no models, nothing on the request path.
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and Swagger UI's assets from the installed packages,
    # so the docs pages work offline with no collectstatic step.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Tells the composition root's /metrics which URL pattern answered.
    "common.asgi.metrics.RouteTemplateMiddleware",
]

ROOT_URLCONF = "config.urls"
# The contract has no trailing slashes; don't redirect `/books` to `/books/`.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"


# --- Database ---------------------------------------------------------------


_POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
_DATABASE_URL_EXAMPLE = "postgres://user:pass@host:5432/name or sqlite:///path/to/file"
_REPLICA_URL_EXAMPLE = "postgres://user:pass@replica-host:5432/name"

# DB_PGBOUNCER=true: DATABASE_URL (and DATABASE_REPLICA_URL) lead to pgbouncer in
# transaction mode, where consecutive transactions of one client may run on
# different server connections (docs/scaling.md, "pgbouncer").
DB_PGBOUNCER = env.flag("DB_PGBOUNCER", False)


def _database_from_env() -> dict[str, Any] | dj_database_url.DBConfig:
    # PostgreSQL or SQLite: the two backends the suite runs on. Any other
    # scheme (mysql2://, a typo) is refused here, not by a driver's import error.
    url = env.url(
        "DATABASE_URL", schemes=(*_POSTGRES_SCHEMES, "sqlite"), example=_DATABASE_URL_EXAMPLE
    )
    if not url:
        # SQLite, tuned for many threads: WAL lets readers run beside one
        # writer, the busy timeout waits instead of failing with "database is
        # locked", and IMMEDIATE transactions take the write lock at BEGIN so
        # two writers never deadlock upgrading a read lock.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": BASE_DIR / "test_db.sqlite3"},
        }
    return _parsed_database("DATABASE_URL", url, _DATABASE_URL_EXAMPLE)


def _parsed_database(name: str, url: str, example: str) -> dj_database_url.DBConfig:
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except (ValueError, KeyError):  # dj-database-url's UnknownSchemeError is a ValueError
        raise env.SettingError(name, env.redact(url), example) from None
    if config["ENGINE"] == "django.db.backends.postgresql":
        # CONN_MAX_AGE=0 plus psycopg's pool: each request borrows a connection
        # and gives it back. Persistent per-thread connections leak under ASGI
        # (a new thread per request, see the README, "Architecture"); the pool caps the
        # process at DB_POOL_MAX_SIZE connections however many threads ask.
        config["OPTIONS"] = {
            "pool": {
                "min_size": env.integer("DB_POOL_MIN_SIZE", 2, minimum=0),
                "max_size": env.integer("DB_POOL_MAX_SIZE", 10, minimum=1),
                # How long a request waits for a connection before its 503. A
                # server that cannot hand one out in 2 s is down for a client.
                "timeout": env.seconds("DB_POOL_TIMEOUT", 2),
                # Give up a failed reconnection after 2 s (psycopg's default is
                # 5 min of backoff, 1, 2, 4 ... 32 s apart: after an outage the
                # pool kept answering 503 for ~36 s). The next request that
                # needs a connection starts a fresh attempt at once.
                "reconnect_timeout": env.seconds("DB_POOL_RECONNECT_TIMEOUT", 2),
            },
            # No server-side prepared statements (Django's default with psycopg
            # 3, written out because pgbouncer in transaction mode depends on it:
            # a statement prepared on one server connection is unknown on the next).
            "prepare_threshold": None,
        }
        # With the pool, Django turns this into psycopg's `check`: a pooled
        # connection is tested before it is handed out, so connections broken
        # by an outage are replaced, never used for a request.
        config["CONN_HEALTH_CHECKS"] = True
        # A named cursor (QuerySet.iterator()) lives in one server session,
        # which transaction pooling does not keep between statements.
        config["DISABLE_SERVER_SIDE_CURSORS"] = DB_PGBOUNCER
    return config


def _replica_from_env(primary: dict[str, Any] | dj_database_url.DBConfig) -> dict[str, Any] | None:
    """DATABASE_REPLICA_URL: a streaming replica of DATABASE_URL, or None (no replica).

    Only reads common.db_router proves safe go there; a replica of SQLite
    does not exist, so the variable needs a PostgreSQL DATABASE_URL.
    """
    url = env.url("DATABASE_REPLICA_URL", schemes=_POSTGRES_SCHEMES, example=_REPLICA_URL_EXAMPLE)
    if not url:
        return None
    if primary["ENGINE"] != "django.db.backends.postgresql":
        raise env.SettingError(
            "DATABASE_REPLICA_URL", env.redact(url),
            "unset, or a replica of a PostgreSQL DATABASE_URL (DATABASE_URL is not PostgreSQL)",
        )
    config = dict(_parsed_database("DATABASE_REPLICA_URL", url, _REPLICA_URL_EXAMPLE))
    # Tests run on the primary's test database alone: no second one is made.
    config["TEST"] = {"MIRROR": "default"}
    return config


DATABASES = {"default": _database_from_env()}
_replica = _replica_from_env(DATABASES["default"])
if _replica is not None:
    DATABASES["replica"] = _replica
    # common.db_router sends a read to "replica" only when it is provably
    # as fresh as the primary for that read; everything else stays on "default".
    DATABASE_ROUTERS = ["common.db_router.ReplicaRouter"]
# How long the router leaves a replica that failed to answer alone (reads go
# to the primary meanwhile).
DB_REPLICA_RETRY_SECONDS = env.seconds("DB_REPLICA_RETRY_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Cache --------------------------------------------------------------------

REDIS_URL = env.url("REDIS_URL", schemes=("redis", "rediss", "unix"),
                    example="redis://127.0.0.1:6379/0")
# Redis behind Sentinel (docs/redis.md): the sentinels' host:port list and the
# name they monitor the master under. REDIS_URL then only gives the password,
# database number and scheme (rediss:// for TLS); its host is the master's name.
REDIS_SENTINELS = env.items("REDIS_SENTINELS")
REDIS_SENTINEL_MASTER = env.text("REDIS_SENTINEL_MASTER", "mymaster")


def _sentinel_addresses(values: list[str]) -> list[tuple[str, int]]:
    addresses = []
    for value in values:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise env.SettingError("REDIS_SENTINELS", ",".join(values),
                                   "a comma list of host:port (10.0.0.5:26379,10.0.0.6:26379)")
        addresses.append((host.strip("[]"), int(port)))
    return addresses


def _sentinel_location(url: str, master: str) -> str:
    """REDIS_URL with the master's name as its host: how django-redis names a Sentinel service."""
    parts = urlsplit(url or "redis://")
    if parts.scheme == "unix":
        raise env.SettingError("REDIS_URL", env.redact(url),
                               "redis:// or rediss:// when REDIS_SENTINELS is set")
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{master}" if credentials else master
    return parts._replace(netloc=netloc, path=parts.path or "/0").geturl()


REDIS_SENTINEL_ADDRESSES = _sentinel_addresses(REDIS_SENTINELS)
# Redis Cluster (docs/redis.md): REDIS_URL names any one node of the cluster;
# redis-py's cluster client learns the others and follows MOVED and ASK.
REDIS_CLUSTER = env.flag("REDIS_CLUSTER", False)
if REDIS_CLUSTER and (REDIS_SENTINEL_ADDRESSES or not REDIS_URL
                      or urlsplit(REDIS_URL).scheme == "unix"
                      or urlsplit(REDIS_URL).path.strip("/") not in ("", "0")):
    # A cluster has one database (0) and no Sentinel; a socket names no node.
    raise env.SettingError(
        "REDIS_CLUSTER", "true",
        "REDIS_URL=redis://host:port/0 (or rediss://) naming one node of the cluster, "
        "and no REDIS_SENTINELS",
    )
CACHES: dict[str, dict[str, Any]]
if REDIS_URL or REDIS_SENTINEL_ADDRESSES:
    _redis_options: dict[str, Any] = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        # redis-py's client, counting failed commands for /metrics.
        "REDIS_CLIENT_CLASS": "common.redis_metrics.CountingRedis",
        # Fail fast when Redis is down: callers degrade (cache MISS,
        # fail-open limits, 503 on login) instead of hanging.
        "SOCKET_CONNECT_TIMEOUT": 0.5,
        "SOCKET_TIMEOUT": 0.5,
    }
    if REDIS_SENTINEL_ADDRESSES:
        # django-redis's Sentinel support: the pool asks the sentinels where
        # the master is, and again after a failover.
        _redis_options.update(
            CLIENT_CLASS="django_redis.client.SentinelClient",
            CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
            SENTINELS=REDIS_SENTINEL_ADDRESSES,
            SENTINEL_KWARGS={"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        )
    if REDIS_CLUSTER:
        # django-redis has no cluster client: ours is DefaultClient on redis-py's
        # RedisCluster (common/redis_cluster.py).
        _redis_options.update(CLIENT_CLASS="common.redis_cluster.ClusterCacheClient")
        del _redis_options["REDIS_CLIENT_CLASS"]
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": (_sentinel_location(REDIS_URL, REDIS_SENTINEL_MASTER)
                         if REDIS_SENTINEL_ADDRESSES else REDIS_URL),
            "KEY_PREFIX": env.text("CACHE_KEY_PREFIX", "api"),
            # Redis's run_id in every key: a Redis back with an older past
            # (a snapshot, a lagging replica) serves none of it.
            "KEY_FUNCTION": "common.redis_epoch.make_key",
            "OPTIONS": _redis_options,
        }
    }
else:
    # The embedded default: SQLite files that the server, each of its workers
    # and every manage.py command open, so counters, lockouts and the books
    # cache version are shared by all of them (common/disk_cache.py). Under
    # pytest each run gets a directory of its own (tests clear the cache, and
    # two runs on one machine must not clear each other's); tests/conftest.py
    # removes it at the end.
    CACHE_DIR = Path(
        env.text("CACHE_DIR")
        or BASE_DIR / ".cache" / (f"test-{os.getpid()}" if TESTING else "default")
    ).resolve()
    CACHES = {
        "default": {
            "BACKEND": "common.disk_cache.SharedDiskCache",
            "LOCATION": str(CACHE_DIR),
            # Seconds an operation waits for a write-locked file before failing
            # like a Redis that is down (callers degrade: miss, fail-open, 503).
            "LOCK_WAIT": 0.5,
            # Evicts least-recently-stored entries past 1 GiB on disk.
            "OPTIONS": {"size_limit": 2**30},
        }
    }

# Milliseconds between each server process's looks at the outbox of promised
# cache writes (common/retry.py): pending bumps and revocations a dead process
# left. 0 turns it off; the pytest process itself does not look (its tests
# drain by hand), the servers tests start do.
CACHE_OUTBOX_POLL_MS = env.integer(
    "CACHE_OUTBOX_POLL_MS", 0 if "pytest" in sys.modules else 1000, minimum=0
)


# --- Auth ---------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

# Argon2id first: new hashes use it; older PBKDF2 hashes still verify and are
# upgraded on the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# djangorestframework-simplejwt signs and checks the JWTs (accounts/jwt_tokens.py);
# the login families, locked rotation, reuse detection and revocation on top
# of it are the project's own (accounts/tokens.py). Code reads these through
# rest_framework_simplejwt.settings.api_settings, never as flat settings.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.seconds("ACCESS_TOKEN_LIFETIME", 900)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.seconds("REFRESH_TOKEN_LIFETIME", 604_800)),
    # The pin: TokenBackend hands PyJWT `algorithms=[ALGORITHM]`, so a token
    # whose header says "none", HS512, RS256... is refused unread.
    "ALGORITHM": "HS256",
    # Its own secret, not simplejwt's default (SECRET_KEY).
    "SIGNING_KEY": JWT_SIGNING_KEY,
    # Set on every token and required on every token.
    "AUDIENCE": env.text("JWT_AUDIENCE", "three-frameworks-api"),
    "ISSUER": env.text("JWT_ISSUER", "three-frameworks-api"),
    # The registered claim for "who", holding the user id as a string.
    "USER_ID_CLAIM": "sub",
    "USER_ID_FIELD": "id",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("accounts.jwt_tokens.LoginAccessToken",),
    # simplejwt's own rotation + blacklist stays off: it lets several
    # concurrent refreshes of one token succeed and never notices reuse.
    # accounts.tokens.TokenService.rotate replaces it.
    "ROTATE_REFRESH_TOKENS": False,
    "BLACKLIST_AFTER_ROTATION": False,
    "UPDATE_LAST_LOGIN": False,
}
# However often a login is refreshed, its chain ends this long after the
# password was given (the project's own setting: simplejwt has no login chain).
REFRESH_FAMILY_LIFETIME = timedelta(seconds=env.seconds("REFRESH_FAMILY_LIFETIME", 30 * 86_400))


# --- Rate limiting and brute force ----------------------------------------------

TRUSTED_PROXIES = env.networks("TRUSTED_PROXIES")
RATE_LIMIT_ANON = env.rate("RATE_LIMIT_ANON", "100/minute")
RATE_LIMIT_USER = env.rate("RATE_LIMIT_USER", "1000/minute")
RL_DEMO_PING = env.rate("RL_DEMO_PING", "10/minute")
RL_DEMO_LOGIN_SIM = env.rate("RL_DEMO_LOGIN_SIM", "3/minute")
RATE_LIMIT_FAIL_OPEN = env.flag("RATE_LIMIT_FAIL_OPEN", True)
# django-ratelimit's own master switch. Off only in `manage.py bench`'s
# "limiter off" runs, which measure what counting costs; never in production.
RATELIMIT_ENABLE = env.flag("RATELIMIT_ENABLE", True)
LOGIN_MAX_FAILURES = env.integer("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_FAILURE_WINDOW = env.seconds("LOGIN_FAILURE_WINDOW", 900)
LOGIN_LOCKOUT = env.seconds("LOGIN_LOCKOUT", 900)
# An IP has its own, higher threshold: one person's typos behind a shared
# address (an office, the admin's own machine) lock no one else out.
LOGIN_MAX_FAILURES_PER_IP = env.integer("LOGIN_MAX_FAILURES_PER_IP", 20, minimum=1)
# A username's failures across all addresses before it is slowed (not locked):
# high enough that only a distributed guess reaches it.
LOGIN_MAX_FAILURES_PER_USERNAME = env.integer("LOGIN_MAX_FAILURES_PER_USERNAME", 100, minimum=1)
CORS_ALLOWED_ORIGINS = env.items("CORS_ALLOWED_ORIGINS")

# --- Serving ---------------------------------------------------------------------

# Worker threads of the two WSGI frameworks (a2wsgi); each borrows a pooled
# database connection only while it handles a request (config/asgi.py).
DJANGO_WORKERS = env.integer("DJANGO_WORKERS", 10, minimum=1, maximum=256)
FLASK_WORKERS = env.integer("FLASK_WORKERS", 10, minimum=1, maximum=256)

# --- Request bodies ---------------------------------------------------------------

# Larger bodies get 413 before they are read (common/asgi/edge.py).
MAX_BODY_BYTES = env.integer("MAX_BODY_BYTES", 1_048_576, minimum=1)
# Django's own cap agrees, so it never fires first with a 500 through DRF.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
# A body not fully received within this many seconds gets 408 at the edge.
BODY_TIMEOUT = env.seconds("BODY_TIMEOUT", 10)
# What the bodies of all requests in flight may hold together, in bytes: a new
# body beyond it gets 503 before it is read (common/asgi/body.py).
MAX_BODY_BYTES_IN_FLIGHT = env.integer("MAX_BODY_BYTES_IN_FLIGHT", 64 * 1_048_576, minimum=1)
# More query parameters or form fields than this: 400 at the edge. Django's
# own cap agrees, so a QueryDict never raises TooManyFieldsSent behind it.
MAX_QUERY_PARAMS = env.integer("MAX_QUERY_PARAMS", 1000, minimum=1)
DATA_UPLOAD_MAX_NUMBER_FIELDS = MAX_QUERY_PARAMS
# All request header lines together, in bytes: more gets 431 at the edge.
MAX_HEADER_BYTES = env.integer("MAX_HEADER_BYTES", 16_384, minimum=1024)
# On SIGTERM, how long the process fails /ready but keeps serving before it
# stops accepting (common/asgi/drain.py); 0 stops at once. The systemd unit sets it.
SHUTDOWN_DRAIN_SECONDS = env.integer("SHUTDOWN_DRAIN_SECONDS", 0, minimum=0, maximum=600)
# Who may read GET /metrics; anyone else gets 404.
METRICS_ALLOWED_IPS = env.networks("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])


# --- HTTPS (production) -----------------------------------------------------------
# Off by default: development is plain HTTP on localhost. Production sets them
# (and DEBUG off, real keys, its ALLOWED_HOSTS); `manage.py check --deploy`
# is then clean.

# Seconds browsers remember "HTTPS only" (Strict-Transport-Security). Start
# small: a long value cannot be taken back from browsers that saw it.
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 0, minimum=0)
# Only meaningful with SECURE_HSTS_SECONDS; check --deploy asks for both.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env.flag("SECURE_HSTS_PRELOAD", False)
# Redirect plain HTTP to HTTPS (Django's pages: the admin, /api/drf, /).
SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", False)
# Session and CSRF cookies (the admin, the browsable API) only over HTTPS.
SESSION_COOKIE_SECURE = env.flag("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env.flag("CSRF_COOKIE_SECURE", False)
# Behind a TLS-terminating proxy the connection is plain HTTP and the proxy
# says "https" in X-Forwarded-Proto. No SECURE_PROXY_SSL_HEADER: Django would
# believe that header from anyone. The edge (common/asgi/edge.py) believes it
# only from TRUSTED_PROXIES and sets the request's scheme, which Django reads
# (wsgi.url_scheme) like FastAPI and Flask do. The server runs with
# --no-proxy-headers (dev.py), so uvicorn does not rewrite it on its own.

# --- Password reset by email ----------------------------------------------------------

# EMAIL_URL -> EMAIL_BACKEND, EMAIL_HOST, ... (config/env.py lists the forms).
# Unset: the console backend, which prints each email (development). Under
# pytest Django swaps in the locmem backend whatever this says.
globals().update(env.email_settings("EMAIL_URL", "console://"))
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Books API <noreply@localhost>")
# How long a reset link works (Django's own setting; its default is 3 days).
PASSWORD_RESET_TIMEOUT = env.seconds("PASSWORD_RESET_TIMEOUT", 3 * 3_600)
# Reset requests per client IP (over it: 429).
RATE_LIMIT_PASSWORD_RESET = env.rate("RATE_LIMIT_PASSWORD_RESET", "5/hour")
# Reset emails per hour to one address: from one client IP, and from all IPs.
PASSWORD_RESET_PER_ADDRESS_IP = env.integer("PASSWORD_RESET_PER_ADDRESS_IP", 5, minimum=1)
PASSWORD_RESET_PER_ADDRESS = env.integer("PASSWORD_RESET_PER_ADDRESS", 20, minimum=1)
# Seconds a mail server may take per SMTP operation before the send gives up.
EMAIL_TIMEOUT = env.seconds("EMAIL_TIMEOUT", 10)
# Where emails wait (docs/mail.md): "tasks", rows in the database (Django's
# Tasks API, django-tasks-db), sent by `manage.py db_worker` beside the
# server, retried with backoff, kept across restarts; or "outbox", this
# process's sender threads (nothing else to run; queued emails die with it).
MAIL_QUEUE = env.choice("MAIL_QUEUE", "tasks", ("tasks", "outbox"))
# Seconds a worker may hold a mail job before another worker takes it back
# (its worker died mid-send). Above the longest send: an SMTP exchange is
# about a dozen operations of up to EMAIL_TIMEOUT each.
MAIL_JOB_LEASE = env.seconds("MAIL_JOB_LEASE", 12 * EMAIL_TIMEOUT + 30)
# Seconds before a failed email's second attempt; doubled for each next one
# (5 attempts: 30 s, 1, 2, 4 min, then the job stays FAILED: `manage.py failed_mail`).
MAIL_RETRY_BACKOFF = env.seconds("MAIL_RETRY_BACKOFF", 30)
# The pytest process itself runs each job as it is stored (the task, the
# compose function and the send, all real); the servers and workers tests
# start use the database backend, as production does.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if "pytest" in sys.modules
            else "django_tasks_db.DatabaseBackend"
        )
    }
}
# The origin links in emails point at (https://books.example.com). Unset:
# the scheme and host the request came in on, never a port the client chose.
PUBLIC_URL = env.url(
    "PUBLIC_URL", schemes=("http", "https"), example="https://books.example.com"
).rstrip("/")


# --- Django REST framework ------------------------------------------------------

REST_FRAMEWORK = {
    # Bearer is the API's authentication; the session only serves pages of the
    # browsable API, to browsers (accounts/session.py).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.session.BrowsableApiSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON first: the answer to every `Accept` except a browser's (drf_support/negotiation.py).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "drf_support.browsable.BrowsableApiRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["drf_support.parsers.Utf8JSONParser"],
    # Parsers: exactly application/json, as FastAPI and Flask accept it (no
    # wildcards). Renderers: JSON for any Accept, never a 406.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "drf_support.negotiation.ApiContentNegotiation",
    # `?format=` is an ordinary (ignored) query parameter, as at the other prefixes.
    "URL_FORMAT_OVERRIDE": None,
    # drf-spectacular's AutoSchema, security read from each view's classes (drf_support/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "drf_support.openapi.ContractAutoSchema",
    "EXCEPTION_HANDLER": "drf_support.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    # No OPTIONS metadata bodies: OPTIONS is not part of the contract (405).
    "DEFAULT_METADATA_CLASS": None,
    # One exact limiter for every view (throttling/throttles.py); demo views set their own.
    "DEFAULT_THROTTLE_CLASSES": ["throttling.throttles.DefaultRateThrottle"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Books API: Django REST framework",
    "DESCRIPTION": (
        "The shared contract, served by Django REST framework at /api/drf.\n\n"
        "Authorize with a username and password (OAuth2 password flow): the access "
        "token is then sent as `Authorization: Bearer ...` on every call. Every error "
        'answers `{"error": {"code", "message", "details"?}}`, except the token '
        "endpoint's RFC 6749 errors."
    ),
    "VERSION": "1.0.0",
    # As FastAPI and spectree write theirs: OpenAPI 3.1, tags and paths in
    # the contract's order, not sorted.
    "OAS_VERSION": "3.1.0",
    "TAGS": [
        {"name": "auth", "description": "Accounts and tokens: register, log in (OAuth2), "
                                        "refresh, log out, password reset."},
        {"name": "users", "description": "User accounts: list (admin), read, change, "
                                         "soft-delete."},
        {"name": "books", "description": "The book catalogue: public reads, authenticated "
                                         "writes."},
        {"name": "demos", "description": "Watch rate limiting and brute-force lockout happen."},
        {"name": "health", "description": "Whether the database and the cache answer."},
    ],
    "SORT_OPERATIONS": False,
    "SORT_OPERATION_PARAMETERS": False,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/drf",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # The document describes the API's Bearer tokens, not the browsable API's session.
    "AUTHENTICATION_WHITELIST": ["accounts.authentication.BearerTokenAuthentication"],
    # Enums stay inline where a field states them (no `RoleEnum` component):
    # the documents of the three prefixes spell them alike.
    "POSTPROCESSING_HOOKS": [],
}


# --- Internationalisation, static files ------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True
# With finders on, an absent STATIC_ROOT (no collectstatic run) is expected.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
WHITENOISE_AUTOREFRESH = DEBUG

# LOG_FORMAT=json|text: one JSON object per line in production (what a log
# collector parses), readable text in development. Default: json when DEBUG is off.
LOG_FORMAT = env.choice("LOG_FORMAT", "text" if DEBUG else "json", ("json", "text"))
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOGGING = logging_config(
    log_format=LOG_FORMAT, level=env.choice("LOG_LEVEL", "info", LOG_LEVELS).upper()
)
# LOG_SQL=true: every SQL statement, its parameters and duration on the `sql`
# logger, with the request's id (common/sql_log.py). For development: the
# parameters include what users sent. `python3 dev.py serve --sql` sets it.
LOG_SQL = env.flag("LOG_SQL", False)
