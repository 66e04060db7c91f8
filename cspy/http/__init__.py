"""cspy.http: HTTP/1.1 for tasks -- Go's ``net/http`` server and client, on h11 and ``cspy.net``.

- server.py: ``serve`` and ``Server`` (the accept loop, connection states, graceful shutdown);
- serverconn.py: one connection's task (keep-alive, timeouts, limits, request contexts);
- client.py: ``Client`` (requests, retries); pool.py: the per-host connection pool and its cap;
- message.py: ``Request``, ``Response``, ``Query``; headers.py: ``Headers``.

h11 parses and frames the protocol (nothing here parses HTTP by hand); cspy.net moves the bytes,
so a connection waiting for its next request is a parked task, as in Go.

>>> def main():
...     ln = cspy.net.listen("127.0.0.1", 0)
...     ctx, stop = cspy.context.with_cancel(cspy.context.background())
...     def hello(req):
...         return cspy.http.Response(body=f"hello, {req.query.get('name', 'world')}")
...     cspy.go(cspy.http.serve, ln, hello, ctx=ctx)
...     with cspy.http.Client() as client:
...         r = client.get(f"http://127.0.0.1:{ln.addr[1]}/?name=gopher")
...     stop()
...     return r.status, r.text
>>> cspy.run(main)
(200, 'hello, gopher')
"""

from cspy.http.client import Client, ProtocolError
from cspy.http.headers import Headers
from cspy.http.message import Query, Request, Response
from cspy.http.server import Handler, Server, serve

__all__ = ["Client", "Handler", "Headers", "ProtocolError", "Query", "Request", "Response", "Server", "serve"]
