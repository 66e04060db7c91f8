"""Request and Response: the messages a handler receives and returns (and a Client returns).

A ``Request`` is built by the server from h11's events with as little work as possible up
front: ``path`` and ``query`` are parsed from the raw target on first use, ``headers`` wraps
h11's list without copying it, and ``ctx`` (the request's ``cspy.context`` context) is created
only when a handler asks for it -- a hello-world handler pays for none of them.

A ``Response`` normalises what the handler gave it once, at construction: ``str`` bodies become
UTF-8 bytes (with ``content-type: text/plain; charset=utf-8`` unless the handler set one),
``bytes``-like bodies become ``bytes``, and any other iterable is kept as a *stream*: the server
sends each chunk as it is produced, with chunked transfer coding (an addition to the contract).
The client returns the same class with the body read in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Union
from urllib.parse import parse_qsl, unquote

from cspy.http.headers import Headers, HeadersLike

if TYPE_CHECKING:
    from cspy.context import Context

__all__ = ["Body", "Query", "Request", "Response", "reason_phrase"]

Body = Union[bytes, bytearray, memoryview, str, Iterable[bytes]]

_REASONS: dict[int, bytes] = {s.value: s.phrase.encode("ascii") for s in HTTPStatus}


def reason_phrase(status: int) -> bytes:
    """The standard reason phrase of ``status`` (``b""`` for an unregistered code)."""
    return _REASONS.get(status, b"")


class Query(Mapping[str, str]):
    """The decoded query string (Go's ``url.Values``): ``q[name]`` is the first value, as Go's
    ``Values.Get``; ``get_all(name)`` lists every value.

    >>> q = Query("a=1&b=x%20y&a=2")
    >>> q["a"], q.get_all("a"), q["b"], "c" in q
    ('1', ['1', '2'], 'x y', False)
    """

    __slots__ = ("raw", "_values")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self._values: dict[str, list[str]] = {}
        for name, value in parse_qsl(raw, keep_blank_values=True):
            self._values.setdefault(name, []).append(value)

    def __getitem__(self, name: str) -> str:
        return self._values[name][0]

    def get_all(self, name: str) -> list[str]:
        return list(self._values.get(name, ()))

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Query({self.raw!r})"


class Request:
    """An HTTP request as a handler sees it (Go's ``*http.Request``, with the body read).

    ``method`` (``"GET"``), ``target`` (the raw request target, ``"/a%20b?x=1"``), ``path`` (its
    decoded path, ``"/a b"``), ``query`` (:class:`Query`), ``headers`` (:class:`Headers`),
    ``body`` (``bytes``, read in full), ``http_version`` (``"1.1"``), ``remote_addr`` (the
    client's ``(host, port)``) and ``ctx``: a ``cspy.context`` context cancelled when the client
    goes away, when the server's ``handler_timeout`` passes, or once the response is sent.

    >>> r = Request("GET", "/items/a%20b?page=2", headers=[("Host", "example.org")])
    >>> r.path, r.query["page"], r.headers["host"]
    ('/items/a b', '2', 'example.org')
    """

    __slots__ = ("method", "target", "headers", "body", "http_version", "remote_addr",
                 "_path", "_query", "_ctx", "_ctx_source")

    def __init__(
        self,
        method: str,
        target: str,
        *,
        headers: HeadersLike = None,
        body: bytes = b"",
        http_version: str = "1.1",
        remote_addr: tuple[str, int] = ("", 0),
        ctx_source: Callable[[Request], Context] | None = None,
    ) -> None:
        self.method = method
        self.target = target
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body
        self.http_version = http_version
        self.remote_addr = remote_addr
        self._path: str | None = None
        self._query: Query | None = None
        self._ctx: Context | None = None
        self._ctx_source = ctx_source

    @property
    def path(self) -> str:
        path = self._path
        if path is None:
            raw = self.target.partition("?")[0].partition("#")[0]
            if "://" in raw:  # absolute form (a proxy request): keep the path part only
                raw = "/" + raw.split("://", 1)[1].partition("/")[2]
            path = self._path = unquote(raw) if "%" in raw else raw
        return path

    @property
    def query(self) -> Query:
        query = self._query
        if query is None:
            query = self._query = Query(self.target.partition("?")[2].partition("#")[0])
        return query

    @property
    def ctx(self) -> Context:
        ctx = self._ctx
        if ctx is None:
            if self._ctx_source is not None:
                ctx = self._ctx_source(self)
            else:
                from cspy.context import background

                ctx = background()
            self._ctx = ctx
        return ctx

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target}>"


class Response:
    """An HTTP response: what a handler returns, and what ``Client`` requests return.

    ``Response(status=200, body=b"", headers=None)``: ``body`` may be ``bytes``, ``str`` (sent
    as UTF-8, ``text/plain`` unless ``headers`` say otherwise) or an iterable of ``bytes``, sent
    chunk by chunk as it is produced (chunked transfer coding). ``headers`` is a mapping, a list
    of ``(name, value)`` pairs or a :class:`Headers`; the server adds ``content-length``, ``date``
    and, when the connection ends, ``connection: close``.

    >>> r = Response(201, "créé", {"X-Id": "7"})
    >>> r.status, r.body, r.headers["content-type"], r.text
    (201, b'cr\\xc3\\xa9\\xc3\\xa9', 'text/plain; charset=utf-8', 'créé')
    """

    __slots__ = ("status", "body", "headers", "reason", "stream", "http_version")

    def __init__(self, status: int = 200, body: Body = b"", headers: HeadersLike = None) -> None:
        if type(status) is not int or not 100 <= status <= 599:
            raise ValueError(f"Response status must be an int in 100..599, got {status!r}")
        self.status = status
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.reason = ""
        self.http_version = "1.1"
        self.stream: Iterable[bytes] | None = None
        if type(body) is bytes:
            self.body = body
        elif isinstance(body, str):
            self.body = body.encode("utf-8")
            if "content-type" not in self.headers:
                self.headers.raw.append((b"content-type", b"text/plain; charset=utf-8"))
                self.headers._index = None
        elif isinstance(body, (bytes, bytearray, memoryview)):
            self.body = bytes(body)
        elif isinstance(body, Iterable):
            self.body = b""
            self.stream = body
        else:
            raise TypeError(
                f"Response body must be bytes, str or an iterable of bytes, got {type(body).__name__}"
            )

    @classmethod
    def received(cls, status: int, reason: str, headers: Headers, body: bytes, http_version: str) -> Response:
        """A response as the client read it (no validation: it is what the server sent)."""
        r = cls.__new__(cls)
        r.status, r.reason, r.headers, r.body = status, reason, headers, body
        r.http_version, r.stream = http_version, None
        return r

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        kind = "stream" if self.stream is not None else f"{len(self.body)} bytes"
        return f"<Response {self.status} {kind}>"
