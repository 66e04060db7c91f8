"""The network errors of ``cspy.net``, in one place so every module of the package can raise them.

Hierarchy (the builtin classes are kept, so ``except ConnectionRefusedError`` and
``except TimeoutError`` work as they do with plain sockets)::

    OSError
    ├── TimeoutError
    │   └── Timeout            a deadline passed (Go's os.ErrDeadlineExceeded, "i/o timeout")
    ├── ClosedError            use of a closed connection or listener (Go's net.ErrClosed)
    └── ConnectionError        refused, reset by peer, broken pipe: the builtin subclasses,
                               re-raised with a message naming the operation and the addresses

Messages follow Go's ``net.OpError``: ``"read tcp 127.0.0.1:5000->127.0.0.1:41234: i/o timeout"``.
"""

from __future__ import annotations

import errno
import os

__all__ = ["Timeout", "ClosedError", "op_error"]


class Timeout(TimeoutError):
    """A deadline set with ``set_deadline`` (or a dial timeout) passed before the operation finished.

    The connection stays usable: set a new deadline (or clear it with ``None``) and retry.
    """

    def __init__(self, what: str) -> None:
        super().__init__(errno.ETIMEDOUT, f"{what}: i/o timeout")


class ClosedError(OSError):
    """An operation on a connection or listener that was closed (before or while it waited)."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.EBADF, f"{what}: use of closed network connection")


def op_error(what: str, exc: OSError) -> OSError:
    """The same kind of error as ``exc`` (``ConnectionResetError``...), its message naming ``what``."""
    reason = exc.strerror or str(exc)
    if exc.errno:
        text = os.strerror(exc.errno)
        reason = text[:1].lower() + text[1:]  # Go's style: "address already in use"
    if exc.errno == errno.ECONNRESET:
        reason = "connection reset by peer"
    elif exc.errno == errno.ECONNREFUSED:
        reason = "connection refused"
    elif exc.errno == errno.EPIPE:
        reason = "broken pipe"
    try:
        new = type(exc)(exc.errno, f"{what}: {reason}")
    except TypeError:  # a subclass with another constructor
        new = OSError(exc.errno, f"{what}: {reason}")
    return new
