"""Listener and listen: a listening TCP socket whose ``accept`` parks only the calling task.

``accept`` tries the non-blocking ``accept`` first and parks on the netpoll (wait readable)
only when no connection is queued; several tasks may accept on one listener (they take turns,
FIFO). ``close`` wakes every task blocked in ``accept`` with :class:`~cspy.net.ClosedError`, the
way Go's ``Listener.Close`` makes a blocked ``Accept`` return ``net.ErrClosed`` -- the usual way
to stop a server's accept loop.
"""

from __future__ import annotations

import socket
from typing import Any

from cspy.net.conn import Conn, format_addr, new_conn
from cspy.net.errors import op_error
from cspy.net.fd import FD, READ, ctx_check, runtime_netpoll

__all__ = ["Listener", "listen"]

# Go uses the kernel's somaxconn; 128 is the traditional default of that setting.
DEFAULT_BACKLOG = 128


class Listener:
    """A listening TCP socket (Go's ``net.Listener``). Get one from :func:`listen`.

    >>> def main():
    ...     with cspy.net.listen("127.0.0.1", 0) as ln:
    ...         cspy.go(lambda: cspy.net.dial(*ln.addr).write(b"hi"))
    ...         return ln.accept().read(2)
    >>> cspy.run(main)
    b'hi'
    """

    __slots__ = ("_fd", "addr")

    def __init__(self, fd: FD, addr: tuple[Any, ...]) -> None:
        self._fd = fd
        self.addr: tuple[str, int] = (addr[0], addr[1])  # with the port the OS chose for port 0

    def accept(self, *, ctx: Any = None) -> Conn:
        """Wait for the next connection and return it. After ``close``: ClosedError."""
        if ctx is not None:
            ctx_check(ctx)
        fd = self._fd
        fd.begin(READ, "accept")
        try:
            while True:
                fd.enter(READ, "accept")
                try:
                    sock, _ = fd.sock.accept()
                    break
                except BlockingIOError:
                    pass
                except OSError as exc:
                    raise op_error("accept " + fd.name, exc) from None
                finally:
                    fd.lock.release()
                fd.wait(READ, "accept", ctx)
        finally:
            fd.end(READ)
        return new_conn(sock, fd.np)

    def close(self) -> None:
        """Stop listening. Tasks blocked in ``accept`` wake with ClosedError; closing twice is a
        no-op. Connections already accepted stay open."""
        self._fd.close()

    @property
    def closed(self) -> bool:
        return self._fd.closed

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Listener {self._fd.name}{' closed' if self._fd.closed else ''}>"


def listen(host: str, port: int, backlog: int = DEFAULT_BACKLOG) -> Listener:
    """Listen for TCP connections on ``host:port`` (port 0: the OS picks one; see ``addr``).

    >>> def main():
    ...     ln = cspy.net.listen("127.0.0.1", 0)
    ...     return ln.addr[1] > 0
    >>> cspy.run(main)
    True
    """
    if not isinstance(host, str):
        raise TypeError(f"cspy.net.listen() needs a host name or address (str), got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"cspy.net.listen() needs a port in 0..65535, got {port!r}")
    if isinstance(backlog, bool) or not isinstance(backlog, int) or backlog < 0:
        raise ValueError(f"cspy.net.listen() needs a backlog >= 0, got {backlog!r}")
    what = f"listen tcp {format_addr((host, port))}"
    poller = runtime_netpoll()
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.create_server(sockaddr[:2], family=family, backlog=backlog)
    except OSError as exc:
        raise op_error(what, exc) from None
    addr = sock.getsockname()
    return Listener(FD(sock, poller, f"tcp {format_addr(addr)}"), addr)
