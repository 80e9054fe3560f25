"""The cluster client is built at its first command: a cluster down at start is an outage."""

from __future__ import annotations

from typing import Any

import pytest
from redis.exceptions import AuthenticationError, ConnectionError, RedisClusterException

from common.redis_cluster import LazyCluster


class _Built:
    def ping(self) -> bool:
        return True


def _unreachable(cause: Exception | None) -> Any:
    def build() -> Any:
        raise RedisClusterException("Redis Cluster cannot be connected") from cause
    return build


def test_it_is_built_once_at_the_first_command() -> None:
    builds: list[_Built] = []

    def build() -> _Built:
        builds.append(_Built())
        return builds[-1]

    client = LazyCluster(build)
    assert builds == []
    assert client.ping() is True and client.ping() is True
    assert len(builds) == 1


def test_no_node_answering_is_a_connection_error_and_the_next_call_tries_again() -> None:
    answers: list[Any] = [_unreachable(None), _Built]
    client = LazyCluster(lambda: answers.pop(0)())

    with pytest.raises(ConnectionError):
        client.ping()
    assert client.ping() is True


def test_a_refused_password_is_raised_as_the_node_answered_it() -> None:
    client = LazyCluster(_unreachable(AuthenticationError("invalid username-password pair")))

    with pytest.raises(AuthenticationError, match="invalid username-password pair"):
        client.ping()
