"""db.py: every request gives its database connections back, even when it fails."""

from __future__ import annotations

from django.db import connection
from flask import Flask
from flask.testing import FlaskClient


def _add_probe_routes(app: Flask, seen: dict[str, bool]) -> None:
    def touches_the_database() -> dict[str, bool]:
        connection.ensure_connection()
        seen["open_during_request"] = connection.connection is not None
        return {"ok": True}

    def fails_after_a_query() -> dict[str, bool]:
        connection.ensure_connection()
        seen["open_during_request"] = connection.connection is not None
        raise RuntimeError("boom")

    app.add_url_rule("/probe", view_func=touches_the_database)
    app.add_url_rule("/probe-fails", view_func=fails_after_a_query)


def test_the_connection_is_closed_when_the_request_ends(
    flask_app: Flask, flask_client: FlaskClient, transactional_db: None
) -> None:
    seen: dict[str, bool] = {}
    _add_probe_routes(flask_app, seen)
    assert flask_client.get("/probe").status_code == 200
    assert seen["open_during_request"] is True
    # Flask's test client runs the request on this thread: its connection is ours to see.
    assert connection.connection is None


def test_the_connection_is_closed_when_the_view_raises(
    flask_app: Flask, flask_client: FlaskClient, transactional_db: None
) -> None:
    seen: dict[str, bool] = {}
    _add_probe_routes(flask_app, seen)
    response = flask_client.get("/probe-fails")
    assert response.status_code == 500
    assert seen["open_during_request"] is True
    assert connection.connection is None


def test_a_real_endpoint_leaves_no_connection_open(
    flask_client: FlaskClient, transactional_db: None
) -> None:
    assert flask_client.get("/health").status_code == 200  # SELECT 1 on the database
    assert connection.connection is None
