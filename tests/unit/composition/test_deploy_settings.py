"""Production settings come from the environment, and `check --deploy` is then clean.

Each case runs `manage.py` in a fresh process, because settings are read
once, at import, from the environment.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from django.conf import settings

# What a production deployment sets (besides DATABASE_URL, REDIS_URL...).
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "api.example.com",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}
SECURITY_VARIABLES = [
    name for name in PRODUCTION if name.startswith(("SECURE_", "SESSION_", "CSRF_"))
]


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SECURITY_VARIABLES}
    base.pop("TESTING", None)  # as in production: no test-only relaxations
    base.pop("TRUSTED_PROXIES", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_them_check_deploy_names_what_is_missing() -> None:
    """The control: the defaults are the development ones (0 / false)."""
    development = {k: v for k, v in PRODUCTION.items() if k not in SECURITY_VARIABLES}
    result = manage("check", "--deploy", env=development)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout, warning


def _setting(name: str, env: dict[str, str]) -> str:
    code = f"from django.conf import settings; print(repr(settings.{name}))"
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's own notices


def test_the_values_are_read_from_the_environment() -> None:
    assert _setting("SECURE_HSTS_SECONDS", PRODUCTION) == "31536000"
    assert _setting("SESSION_COOKIE_SECURE", PRODUCTION) == "True"
    assert _setting("SECURE_SSL_REDIRECT", {**PRODUCTION, "SECURE_SSL_REDIRECT": ""}) == "False"


def test_django_never_believes_x_forwarded_proto_itself() -> None:
    """The edge decides the scheme from TRUSTED_PROXIES; Django's setting would trust anyone."""
    assert _setting("SECURE_PROXY_SSL_HEADER", PRODUCTION) == "None"
    behind_proxy = {**PRODUCTION, "TRUSTED_PROXIES": "10.0.0.0/8"}
    assert _setting("SECURE_PROXY_SSL_HEADER", behind_proxy) == "None"
