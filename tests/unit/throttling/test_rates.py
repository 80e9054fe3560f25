from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from throttling.rates import Rate, parse_rate, rate_setting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/second", Rate(10, 1)),
        ("100/minute", Rate(100, 60)),
        ("5/hour", Rate(5, 3600)),
        ("1000/day", Rate(1000, 86400)),
        (" 7 / Minute ", Rate(7, 60)),
    ],
)
def test_parse_rate_accepts_the_contract_forms(text: str, expected: Rate) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize(
    "text", ["", "10", "10/", "/minute", "ten/minute", "10/min", "10/m", "10/week", "0/minute",
             "-1/minute", "10/5m", "10/minute/extra"],
)
def test_parse_rate_refuses_junk(text: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


def test_rate_setting_reads_the_setting_now(settings) -> None:
    settings.RL_DEMO_PING = "2/second"
    assert rate_setting("RL_DEMO_PING") == Rate(2, 1)
    settings.RL_DEMO_PING = "junk"
    with pytest.raises(ImproperlyConfigured, match="RL_DEMO_PING"):
        rate_setting("RL_DEMO_PING")
