"""Conn and dial: a TCP connection with blocking-style calls that park only the calling task.

``Conn`` is Go's ``net.Conn`` over an :class:`~cspy.net.fd.FD`: ``read`` and ``write`` try the
socket first and park on the runtime's netpoll only when it would block (see fd.py for why, and for the
invariants on closing). One task at a time reads and one at a time writes; others queue.

Deadlines are Go's, with one difference of form: Go's ``SetDeadline`` takes an absolute time,
``set_deadline(seconds)`` takes *seconds from now* (``None`` clears). A deadline applies to calls
in progress and to later calls until it is changed; once passed, every call in that direction
raises :class:`~cspy.net.Timeout` -- and the connection stays usable after a new deadline.

``dial`` resolves the name (a numeric address without any hop; a host name with the system
resolver on the offload pool, see ``cspy.blocking``) and connects without blocking the processor, trying each address in
turn as Go does.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from typing import Any

from cspy.net.errors import ClosedError, Timeout, op_error
from cspy.net.fd import FD, READ, WRITE, ctx_check, deadline_after, runtime_netpoll
from cspy.scheduler import blocking

__all__ = ["Conn", "dial", "format_addr"]

# Default size of one read: enough for a typical message, small enough to allocate per call.
DEFAULT_READ = 65536


class Conn:
    """A TCP connection (Go's ``net.Conn``). Get one from :func:`dial` or ``Listener.accept``.

    >>> def main():
    ...     ln = cspy.net.listen("127.0.0.1", 0)
    ...     cspy.go(lambda: (c := ln.accept()).write(c.read(5).upper()))
    ...     with cspy.net.dial(*ln.addr) as conn:
    ...         conn.write(b"hello")
    ...         return conn.read(5)
    >>> cspy.run(main)
    b'HELLO'
    """

    __slots__ = ("_fd", "local_addr", "remote_addr", "_rname", "_wname")

    def __init__(self, fd: FD, local_addr: tuple[Any, ...], remote_addr: tuple[Any, ...]) -> None:
        self._fd = fd
        self.local_addr = local_addr[:2]
        self.remote_addr = remote_addr[:2]
        self._rname = "read " + fd.name
        self._wname = "write " + fd.name

    def read(self, max_bytes: int = DEFAULT_READ, *, ctx: Any = None) -> bytes:
        """Read up to ``max_bytes`` (at least one), blocking the task until some arrive.

        Returns ``b""`` at end of stream. Raises :class:`~cspy.net.Timeout` past the read
        deadline, :class:`~cspy.net.ClosedError` if the connection is (or gets) closed,
        ``ConnectionResetError`` when the peer reset it, and ``ctx``'s error if the context
        is cancelled first.
        """
        if type(max_bytes) is not int or max_bytes < 1:
            raise ValueError(f"Conn.read() needs max_bytes >= 1, got {max_bytes!r}")
        if ctx is not None:
            ctx_check(ctx)
        fd = self._fd
        # Fast path: nobody else reading, no deadline, data already there -- one lock, no hop.
        lock = fd.lock
        must_wait = False
        lock.acquire()
        if fd.closed or fd.busy[READ] or fd.deadline[READ] is not None:
            lock.release()
            fd.begin(READ, "read")
        else:
            try:
                return fd.sock.recv(max_bytes)
            except BlockingIOError:
                fd.busy[READ] = must_wait = True  # take the turn: we are going to wait
            except OSError as exc:
                raise op_error(self._rname, exc) from None
            finally:
                lock.release()
        try:
            while True:
                if must_wait:
                    fd.wait(READ, "read", ctx)
                fd.enter(READ, "read")
                try:
                    return fd.sock.recv(max_bytes)
                except BlockingIOError:
                    must_wait = True
                except OSError as exc:
                    raise op_error(self._rname, exc) from None
                finally:
                    fd.lock.release()
        finally:
            fd.end(READ)

    def write(self, data: bytes | bytearray | memoryview, *, ctx: Any = None) -> int:
        """Write all of ``data``, blocking the task while the socket's buffer is full; returns
        ``len(data)``. Errors as for :meth:`read` (``BrokenPipeError`` once the peer is gone).
        """
        view = memoryview(data)
        if view.itemsize != 1 or view.ndim != 1:
            view = view.cast("B")
        total = len(view)
        if ctx is not None:
            ctx_check(ctx)
        fd = self._fd
        # Fast path: nobody else writing, no deadline, room for all of it -- one lock, no hop.
        lock = fd.lock
        sent = 0
        must_wait = False
        lock.acquire()
        if fd.closed or fd.busy[WRITE] or fd.deadline[WRITE] is not None:
            lock.release()
            fd.begin(WRITE, "write")
        else:
            try:
                sent = fd.sock.send(view)
            except BlockingIOError:
                pass
            except OSError as exc:
                lock.release()
                raise op_error(self._wname, exc) from None
            if sent >= total:
                lock.release()
                return total
            fd.busy[WRITE] = must_wait = True  # take the turn: we are going to wait
            lock.release()
        try:
            while True:
                if must_wait:
                    fd.wait(WRITE, "write", ctx)
                fd.enter(WRITE, "write")
                try:
                    sent += fd.sock.send(view[sent:] if sent else view)
                except BlockingIOError:
                    pass
                except OSError as exc:
                    raise op_error(self._wname, exc) from None
                finally:
                    fd.lock.release()
                if sent >= total:
                    return total
                must_wait = True  # none or part of it went: the buffer is full
        finally:
            fd.end(WRITE)

    def close_write(self) -> None:
        """Shut down the writing side (the peer reads end of stream); reading still works."""
        fd = self._fd
        fd.enter(WRITE, "close_write")
        try:
            fd.sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise op_error("close_write " + fd.name, exc) from None
        finally:
            fd.lock.release()

    def close(self) -> None:
        """Close the connection. Tasks blocked in ``read``/``write`` wake with ClosedError.
        Closing twice is allowed (a no-op)."""
        self._fd.close()

    @property
    def closed(self) -> bool:
        return self._fd.closed

    def set_deadline(self, seconds: float | None) -> None:
        """Read and write deadline, ``seconds`` from now (Go takes an absolute time); None clears.

        >>> conn.set_deadline(2.0)   # both directions time out 2 s from now  # doctest: +SKIP
        """
        dl = deadline_after(seconds, "Conn.set_deadline()")
        self._fd.set_deadline(READ, dl)
        self._fd.set_deadline(WRITE, dl)

    def set_read_deadline(self, seconds: float | None) -> None:
        """Read deadline, ``seconds`` from now; None clears."""
        self._fd.set_deadline(READ, deadline_after(seconds, "Conn.set_read_deadline()"))

    def set_write_deadline(self, seconds: float | None) -> None:
        """Write deadline, ``seconds`` from now; None clears."""
        self._fd.set_deadline(WRITE, deadline_after(seconds, "Conn.set_write_deadline()"))

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Conn {self._fd.name}{' closed' if self._fd.closed else ''}>"


def format_addr(addr: tuple[Any, ...]) -> str:
    host = str(addr[0])
    return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"


def new_conn(sock: socket.socket, poller: Any) -> Conn:
    """Wrap a connected socket (from accept or dial) as a Conn."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Go does
        local, remote = sock.getsockname(), sock.getpeername()
    except OSError:
        sock.close()
        raise
    fd = FD(sock, poller, f"tcp {format_addr(local)}->{format_addr(remote)}")
    return Conn(fd, local, remote)


def dial(host: str, port: int, timeout: float | None = None, *, ctx: Any = None) -> Conn:
    """Connect to ``host:port`` over TCP; only the calling task waits.

    ``timeout`` (seconds) bounds the whole dial, name resolution included: past it,
    :class:`~cspy.net.Timeout`. ``ctx`` (a ``cspy.context`` context) cancels the dial when done.
    A refused connection raises ``ConnectionRefusedError`` naming the address.

    >>> conn = cspy.net.dial("127.0.0.1", 8080, timeout=5.0)  # doctest: +SKIP
    """
    if not isinstance(host, str):
        raise TypeError(f"cspy.net.dial() needs a host name or address (str), got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"cspy.net.dial() needs a port in 0..65535, got {port!r}")
    deadline = deadline_after(timeout, "cspy.net.dial() timeout")
    ctx_check(ctx)
    target = f"dial tcp {format_addr((host, port))}"
    poller = runtime_netpoll()
    addrs = _resolve(host, port, target, deadline)
    last: OSError | None = None
    for family, type_, proto, _, sockaddr in addrs:
        try:
            return _connect(poller, family, type_, proto, sockaddr, target, deadline, ctx)
        except (Timeout, ClosedError):
            raise
        except OSError as exc:
            last = exc
    assert last is not None
    raise last


def _resolve(host: str, port: int, target: str, deadline: float | None) -> list[Any]:
    try:  # a numeric address: no lookup, nothing to wait for
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass
    # A name: the system resolver blocks, so it runs on the offload pool (joined by ``run``;
    # trio's resolver would leave a cached worker thread behind ``run``). It cannot be
    # interrupted: the deadline is checked when it returns.
    try:
        addrs = blocking(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise socket.gaierror(exc.errno, f"{target}: lookup {host}: {exc.strerror}") from None
    if deadline is not None and time.monotonic() >= deadline:
        raise Timeout(target)
    return addrs


def _connect(
    poller: Any,
    family: int,
    type_: int,
    proto: int,
    sockaddr: tuple[Any, ...],
    target: str,
    deadline: float | None,
    ctx: Any,
) -> Conn:
    sock = socket.socket(family, type_, proto)
    fd = FD(sock, poller, target[len("dial ") :])
    fd.set_deadline(WRITE, deadline)
    try:
        fd.begin(WRITE, "dial")
        try:
            err = sock.connect_ex(sockaddr)
            while err in (errno.EINPROGRESS, errno.EAGAIN, errno.EALREADY, errno.EINTR):
                fd.wait(WRITE, "dial", ctx)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err == 0 and not _connected(sock):
                    err = errno.EINPROGRESS  # a spurious wake-up: wait again (as Go does)
        finally:
            fd.end(WRITE)
        if err not in (0, errno.EISCONN):
            raise op_error(target, OSError(err, os.strerror(err)))  # e.g. ConnectionRefusedError
        local, remote = sock.getsockname(), sock.getpeername()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        fd.close()
        raise
    fd.set_deadline(WRITE, None)
    fd.name = f"tcp {format_addr(local)}->{format_addr(remote)}"
    return Conn(fd, local, remote)


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True
