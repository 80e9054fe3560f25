"""ContractJSONProvider: DRF's bytes from Flask's public JSON-provider API."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify


def test_a_view_returning_a_dict_gets_drfs_bytes(flask_app: Flask) -> None:
    @flask_app.get("/rendering-probe")
    def probe() -> dict:
        return {"title": "Ünïcode — ok", "a": [1, 2], "b": None}

    response = flask_app.test_client().get("/rendering-probe")
    assert response.mimetype == "application/json"
    # Insertion order, UTF-8 (not \\u escapes), compact, no trailing newline.
    assert response.data == '{"title":"Ünïcode — ok","a":[1,2],"b":null}'.encode()


def test_jsonify_follows_the_documented_argument_rules(flask_app: Flask) -> None:
    with flask_app.app_context():
        assert jsonify({"z": 1, "a": 2}).data == b'{"z":1,"a":2}'
        assert jsonify(1, "two").data == b'[1,"two"]'
        assert jsonify(z=1).data == b'{"z":1}'
        assert jsonify().data == b"null"
        with pytest.raises(TypeError):
            jsonify(1, z=2)


def test_nan_is_refused(flask_app: Flask) -> None:
    with flask_app.app_context(), pytest.raises(ValueError):
        jsonify({"x": float("nan")})
