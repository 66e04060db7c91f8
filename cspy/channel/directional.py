"""Directional channel types: ``SendChan[T]`` (Go's ``chan<- T``) and ``RecvChan[T]`` (``<-chan T``).

Both are interfaces: ``Chan`` subclasses both, so a ``Chan[int]`` is accepted wherever a
``SendChan[int]`` or a ``RecvChan[int]`` is expected, by isinstance() and by mypy. ``SendChan``
is contravariant in ``T`` and ``RecvChan`` covariant, like Go's conversion rules allow: a
``RecvChan[bool]`` is a ``RecvChan[int]``.

``ch.send_only()`` / ``ch.recv_only()`` return *views*: small objects sharing the channel that
have only their direction's operations, so a missing one is an ``AttributeError`` at run time
(and unknown to mypy), not a method that raises. Why views and not the channel with a narrower
static type: a static type alone would let ``view.recv()`` succeed at run time.

Nominal classes rather than Protocols: ``isinstance(x, RecvChan)`` then works without
``runtime_checkable``'s slow structural check, and ``select`` can tell a send-only view from a
receivable channel when it validates its cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar
from collections.abc import Iterator

if TYPE_CHECKING:
    from cspy.channel.chan import Chan

__all__ = ["SendChan", "RecvChan", "SendOnly", "RecvOnly"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
T_contra = TypeVar("T_contra", contravariant=True)


class _Either:
    """What both directions have: ``len(ch)``, ``ch.cap``, ``ch.closed``."""

    __slots__ = ()

    if not TYPE_CHECKING:

        def __class_getitem__(cls, item: object) -> type:
            # ``SendChan[int]`` is for the type checker; at run time it is the class itself (as
            # ``Chan[int]`` is), so Chan's bases are plain classes, which a compiled class needs.
            return cls

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def cap(self) -> int:
        """The buffer's capacity."""
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """Whether the channel is closed."""
        raise NotImplementedError


class SendChan(_Either, Generic[T_contra]):
    """A channel you may only send on (and close): Go's ``chan<- T``. See :class:`cspy.Chan`.

    >>> def produce(out: cspy.SendChan[int]) -> None:
    ...     out.send(1)
    ...     out.close()
    >>> def main() -> tuple[list[int], bool]:
    ...     ch = cspy.Chan[int](1)
    ...     produce(ch.send_only())  # a Chan itself would do too: it is a SendChan
    ...     return list(ch), hasattr(ch.send_only(), "recv")
    >>> cspy.run(main)
    ([1], False)
    """

    __slots__ = ()

    def send(self, value: T_contra) -> None:
        """Block until ``value`` is buffered or handed to a receiver."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the channel."""
        raise NotImplementedError


class RecvChan(_Either, Generic[T_co]):
    """A channel you may only receive from: Go's ``<-chan T``. See :class:`cspy.Chan`.

    >>> def consume(inp: cspy.RecvChan[int]) -> int:
    ...     return sum(inp)
    >>> def main() -> tuple[int, bool]:
    ...     ch = cspy.Chan[int](3)
    ...     for i in (1, 2, 3):
    ...         ch.send(i)
    ...     ch.close()
    ...     return consume(ch.recv_only()), hasattr(ch.recv_only(), "send")
    >>> cspy.run(main)
    (6, False)
    """

    __slots__ = ()

    def recv(self) -> T_co:
        """Block until a value arrives; ``ChannelClosed`` once closed and drained."""
        raise NotImplementedError

    def recv_ok(self) -> tuple[T_co | None, bool]:
        """``(value, True)``, or ``(None, False)`` once closed and drained."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class _View:
    """What both views pass straight to their channel: ``len``, ``cap``, ``closed``."""

    __slots__ = ("chan",)

    def __init__(self, chan: Chan[Any]) -> None:
        self.chan = chan

    def __len__(self) -> int:
        return len(self.chan)

    @property
    def cap(self) -> int:
        return self.chan.cap

    @property
    def closed(self) -> bool:
        return self.chan.closed


class SendOnly(_View, SendChan[T]):
    """The send-only view of a channel (``ch.send_only()``)."""

    __slots__ = ()
    chan: Chan[T]

    def send(self, value: T) -> None:
        self.chan.send(value)

    def close(self) -> None:
        self.chan.close()

    def __repr__(self) -> str:
        return f"<SendChan of {self.chan!r}>"


class RecvOnly(_View, RecvChan[T]):
    """The receive-only view of a channel (``ch.recv_only()``)."""

    __slots__ = ()
    chan: Chan[T]

    def recv(self) -> T:
        return self.chan.recv()

    def recv_ok(self) -> tuple[T | None, bool]:
        return self.chan.recv_ok()

    def __iter__(self) -> Iterator[T]:
        return iter(self.chan)

    def __repr__(self) -> str:
        return f"<RecvChan of {self.chan!r}>"
