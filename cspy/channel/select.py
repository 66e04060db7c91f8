"""select: wait on several channel operations at once (Go's ``selectgo``).

Algorithm (one call):

1. Validate the cases; resolve each to its underlying ``Chan`` (or None: never ready).
2. Lock every involved channel once, in ascending ``Chan.id`` order. One global order means two
   selects over the same channels can never each hold a lock the other needs. The order is
   checked while the cases are collected; only out-of-order channels are sorted.
3. Poll: collect the ready cases, pick one uniformly at random with the processor's seeded
   random source (so ``run(seed=...)`` replays the choice), and complete it. Go shuffles the poll
   order and takes the first ready case; picking among all ready ones is the same distribution
   and costs one random number.
4. Nothing ready: with ``default``, unlock and return ``(-1, None, False)``. Otherwise enqueue
   one ``Sudog`` per case (waitq.py), all sharing one ``SelectToken``, and park; the channel locks
   are released once the task is marked waiting. The first waker claims the token, records the
   case index and readies the task. Cases on *one* channel are enqueued in a random order (the
   processor's seeded source again): a peer takes that channel's queue head first, so a fixed
   order would always fire the first such case. Go gets the same effect by enqueuing in lock
   order, which it derives from the shuffled poll order (``TestPseudoRandomSend``). Cases on
   distinct channels sit in distinct queues, where the order is immaterial; a select without a
   repeated channel draws no random number here, so its seeded schedule is unchanged.
5. Woken: lock the channels again and remove the losing sudogs (O(1) each: the queues are
   intrusive lists), so a select looping on a channel that never fires leaves nothing behind.

A send case on a closed channel raises ``ChannelClosed`` when it is selected, whether found
closed while polling or woken by ``close``. A select with no cases and no default blocks forever
(``WaitReason.SELECT_NO_CASES``), which is a deadlock if nothing else can run.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from cspy.channel.chan import Chan
from cspy.channel.directional import RecvChan, RecvOnly, SendChan, SendOnly
from cspy.channel.waitq import SelectToken, Sudog, has_waiter
from cspy.errors import ChannelClosed
from cspy.scheduler.park import current_task, park, rand
from cspy.scheduler.task import WaitReason
from cspy.scheduler.testpoint import hook

__all__ = ["Recv", "Send", "select"]

T = TypeVar("T")

_by_id = attrgetter("id")
_SELECT, _SELECT_NO_CASES = WaitReason.SELECT, WaitReason.SELECT_NO_CASES


class _Case:
    """What every case has: its channel, or None (never ready). The base of Recv and Send, so
    the compiled build (``select.pxd``) reads a case's channel as a C field."""

    __slots__ = ("chan",)

    chan: Chan[Any] | None


class _Typed(Generic[T]):
    """The cases' type parameter, for the type checker (``Recv[int]``). At run time
    ``Recv[int]`` is Recv itself, so the cases' bases are plain classes, which a compiled class
    needs (as directional.py does for the channel interfaces)."""

    __slots__ = ()

    if not TYPE_CHECKING:

        def __class_getitem__(cls, item: object) -> type:
            return cls


class Recv(_Case, _Typed[T]):
    """A receive case for :func:`select`: ``cspy.Recv(ch)``; ``ch`` may be None (never ready)."""

    __slots__ = ()

    def __init__(self, ch: RecvChan[T] | None) -> None:
        if ch is None or type(ch) is Chan or isinstance(ch, Chan):
            self.chan = ch
        elif isinstance(ch, RecvOnly):
            self.chan = ch.chan
        elif isinstance(ch, SendOnly):
            raise TypeError(f"cspy.Recv() got a send-only channel {ch!r}: it cannot be received from")
        else:
            raise TypeError(f"cspy.Recv() needs a channel (or None), got {ch!r}")

    def __repr__(self) -> str:
        return f"Recv({self.chan!r})"


class Send(_Case, _Typed[T]):
    """A send case for :func:`select`: ``cspy.Send(ch, value)``; ``ch`` may be None (never ready)."""

    __slots__ = ("value",)

    def __init__(self, ch: SendChan[T] | None, value: T) -> None:
        if ch is None or type(ch) is Chan or isinstance(ch, Chan):
            self.chan = ch
        elif isinstance(ch, SendOnly):
            self.chan = ch.chan
        elif isinstance(ch, RecvOnly):
            raise TypeError(f"cspy.Send() got a receive-only channel {ch!r}: it cannot be sent on")
        else:
            raise TypeError(f"cspy.Send() needs a channel (or None), got {ch!r}")
        self.value = value

    def __repr__(self) -> str:
        return f"Send({self.chan!r}, {self.value!r})"


def select(*cases: Recv[Any] | Send[Any], default: bool = False) -> tuple[int, Any, bool]:
    """Wait until one of ``cases`` can proceed, do it, and return ``(index, value, ok)``.

    For a ``Recv`` case: its value and ``ok`` (False, value None, if the channel is closed and
    drained). For a ``Send`` case: ``(index, None, True)``. Several ready: one at random.
    ``default=True``: return ``(-1, None, False)`` at once if none is ready.

    >>> def main():
    ...     a, b = cspy.Chan[int](1), cspy.Chan[str](1)
    ...     b.send("hi")
    ...     return cspy.select(cspy.Recv(a), cspy.Recv(b))
    >>> cspy.run(main)
    (1, 'hi', True)
    """
    return _select(cases, default)


def _select(cases: tuple[Recv[Any] | Send[Any], ...], default: bool) -> tuple[int, Any, bool]:
    """select's body (compiled: a C function; ``*cases`` makes ``select`` itself a Python one)."""
    chans: list[Chan[Any]] = []  # the cases' channels in the global lock order (by Chan.id)
    last = None
    unsorted = False
    for o in cases:
        cls = type(o)
        if cls is not Recv and cls is not Send:
            raise _bad_case(cases)
        c: _Case = o  # (compiled: a typed local, so c.chan is a C read)
        ch = c.chan
        if ch is not None:
            if last is not None and ch.id < last.id:
                unsorted = True
            chans.append(ch)
            last = ch
    if last is None:
        return _select_nil(cases, default)
    if unsorted:
        chans.sort(key=_by_id)
    repeat = len(chans) > 1 and _has_repeat(chans)  # (sorted: repeats are adjacent)
    if repeat:
        chans = list(dict.fromkeys(chans))  # each channel once (the order is kept)
    for ch in chans:
        ch._lock.acquire()
    while True:
        ready = _poll(cases)
        nready = len(ready)
        if not nready:
            break
        i = ready[0] if nready == 1 else ready[int(rand().random() * nready)]
        result = _complete(cases, i)
        if result is not None:
            _unlock(chans)
            if hook.point is not None:  # cspy.testing: a scheduling point in exploration
                hook.point()
            if result is _CLOSED:
                raise ChannelClosed(f"send on closed channel {cases[i].chan!r} (select case {i})")
            return result
        # The ready waiter was claimed by another select meanwhile: poll again.
    if default:
        _unlock(chans)
        if hook.point is not None:
            hook.point()
        return -1, None, False
    return _block(cases, chans, repeat)


def _bad_case(cases: tuple[object, ...]) -> TypeError:
    for i, c in enumerate(cases):
        if c.__class__ is not Recv and c.__class__ is not Send:
            return TypeError(
                f"cspy.select() argument {i} must be cspy.Recv(ch) or cspy.Send(ch, value), "
                f"got {c!r}"
            )
    raise AssertionError("no bad case")  # pragma: no cover


_CLOSED: Any = (-2, None, False)  # _complete's marker: a send case found its channel closed


def _select_nil(cases: tuple[Recv[Any] | Send[Any], ...], default: bool) -> tuple[int, Any, bool]:
    """No case can ever fire (none, or only None channels): default, or block forever."""
    if default:
        return -1, None, False
    current_task()  # outside a task: a clear error rather than a park that cannot happen
    park(_SELECT if cases else _SELECT_NO_CASES)  # nothing will ever ready us: Go's block()
    raise AssertionError("a select with no live case was woken")  # pragma: no cover


def _has_repeat(chans: list[Chan[Any]]) -> bool:
    """Whether a channel occurs twice in ``chans`` (sorted by id, so repeats are adjacent)."""
    prev = None
    for ch in chans:
        if ch is prev:
            return True
        prev = ch
    return False


def _unlock(chans: list[Chan[Any]]) -> None:
    """Unlock the distinct channels ``chans`` (locked in this order), last first."""
    for ch in reversed(chans):
        ch._lock.release()


def _poll(cases: tuple[Recv[Any] | Send[Any], ...]) -> list[int]:
    """Caller holds every case's channel lock: the indexes of the cases that can proceed now."""
    ready = []
    for i, c in enumerate(cases):
        ch = c.chan
        if ch is None:
            continue
        if type(c) is Recv:
            if ch._buf or ch._closed:
                ready.append(i)
            else:
                if has_waiter(ch._sendq):
                    ready.append(i)
        elif ch._closed or len(ch._buf) < ch._cap:
            ready.append(i)
        else:
            if has_waiter(ch._recvq):
                ready.append(i)
    return ready


def _complete(cases: tuple[Recv[Any] | Send[Any], ...], i: int) -> tuple[int, Any, bool] | None:
    """Caller holds the locks: do ready case ``i``. None if it turned out not ready after all."""
    c = cases[i]
    ch = c.chan
    assert ch is not None
    if type(c) is Recv:
        r = ch.try_recv_locked()
        return None if r is None else (i, r[0], r[1])
    if ch._closed:
        return _CLOSED  # type: ignore[no-any-return]
    return (i, None, True) if ch.try_send_locked(cases[i].value) else None  # type: ignore[union-attr]


def _block(
    cases: tuple[Recv[Any] | Send[Any], ...], chans: list[Chan[Any]], repeat: bool
) -> tuple[int, Any, bool]:
    """Caller holds the locks of ``chans`` (distinct, in lock order): enqueue a sudog per case
    and park until one fires. ``repeat``: some channel has several cases."""
    try:
        task = current_task()
    except RuntimeError:
        _unlock(chans)
        raise RuntimeError(
            "cspy.select() would block outside a cspy task (e.g. in a cspy.blocking() thread): "
            "only tasks can wait; pass default=True or select from a task"
        ) from None
    token = SelectToken(task, chans)
    n = len(cases)
    sudogs: list[Sudog | None] = [None] * n
    order: range | list[int] = range(n)
    if repeat:
        order = list(order)
        rand().shuffle(order)  # cases on one channel queue in random order (Go's lock order)
    for i in order:
        c = cases[i]
        ch = c.chan
        if ch is None:
            continue
        if type(c) is Recv:
            sg = Sudog(token, i, None)
            ch._enqueue_waiter(sg, False)
        else:
            sg = Sudog(token, i, cases[i].value)  # type: ignore[union-attr]
            ch._enqueue_waiter(sg, True)
        sudogs[i] = sg
    try:
        park(_SELECT, token, token, task)  # releases every channel lock
    finally:
        _dequeue_losers(cases, chans, sudogs, token.index)
    i = token.index
    v, ok = task.val, task.ok
    task.val = None
    task.ok = True
    if type(cases[i]) is Send:
        if not ok:
            raise ChannelClosed(
                f"send on closed channel {cases[i].chan!r} (select case {i}, closed while waiting)"
            )
        return i, None, True
    return i, v, ok


def _dequeue_losers(
    cases: tuple[Recv[Any] | Send[Any], ...],
    chans: list[Chan[Any]],
    sudogs: list[Sudog | None],
    fired: int,
) -> None:
    """Remove this select's sudogs, except the one that fired (its waker dequeued it)."""
    for ch in chans:
        ch._lock.acquire()
    for i, sg in enumerate(sudogs):
        if sg is None or i == fired:
            continue
        c = cases[i]
        cch = c.chan
        assert cch is not None
        q = cch._recvq if type(c) is Recv else cch._sendq
        q.remove(sg)  # O(1); False if a waker already dropped it as dead
    _unlock(chans)
