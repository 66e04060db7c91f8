"""Request and Response: lazy parsing of the target, body normalisation, bad input."""

from __future__ import annotations

import pytest

from cspy.http import Query, Request, Response


def test_request_parses_path_and_query_on_demand() -> None:
    r = Request("GET", "/a%2Fb/c%20d?x=1&x=2&empty=&s=%C3%A9#frag")
    assert r.path == "/a/b/c d"
    assert r.query["x"] == "1" and r.query.get_all("x") == ["1", "2"]
    assert r.query["empty"] == "" and r.query["s"] == "é"
    assert Request("GET", "http://proxy.example/p?q=1").path == "/p"
    assert Request("OPTIONS", "*").path == "*"
    assert r.body == b"" and r.headers.raw == []


def test_request_ctx_defaults_to_background_outside_a_server() -> None:
    import cspy

    r = Request("GET", "/")
    assert r.ctx is cspy.context.background() and r.ctx.err() is None


def test_response_bodies() -> None:
    assert Response().status == 200 and Response().body == b""
    r = Response(body="ünï")
    assert r.body == "ünï".encode() and r.headers["content-type"] == "text/plain; charset=utf-8"
    assert Response(body="x", headers={"Content-Type": "text/html"}).headers.get_all("content-type") == ["text/html"]
    assert Response(body=bytearray(b"ab")).body == b"ab"
    assert Response(body=memoryview(b"cd")).body == b"cd"
    stream = Response(body=iter([b"a", b"b"]))
    assert stream.stream is not None and stream.body == b""
    assert repr(Response(204)) == "<Response 204 0 bytes>"


def test_response_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="100..599"):
        Response(99)
    with pytest.raises(ValueError, match="100..599"):
        Response("200")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes, str or an iterable of bytes"):
        Response(body=3)  # type: ignore[arg-type]


def test_query_repr_and_len() -> None:
    q = Query("a=1&b=2&a=3")
    assert len(q) == 2 and list(q) == ["a", "b"] and repr(q) == "Query('a=1&b=2&a=3')"
