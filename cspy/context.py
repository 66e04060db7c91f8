"""Context (Go's ``context`` package): cancellation, deadlines and request-scoped values.

A context is an immutable node in a tree. ``background()`` is the root; ``with_cancel``,
``with_timeout``/``with_deadline`` and ``with_value`` derive children. Cancelling a node cancels
its whole subtree, never its ancestors.

Invariants of a cancelable node (``_CancelCtx``), all under its ``_lock``:
- ``_err`` goes from None to an error exactly once; nothing else in the node changes after that
  except dropping ``_children``.
- ``_done`` is created lazily (most contexts are never waited on) and is closed exactly once:
  by ``_cancel`` if it existed when ``_err`` was set, otherwise by ``done()`` when it creates it
  after the fact. Either way a task receiving from ``done()`` wakes once the context is
  cancelled -- ``done()`` is a channel so that it composes with ``cspy.select``.
- ``_children`` holds the cancelable descendants that registered with this node (the nearest
  cancelable ancestor, skipping value nodes); it is None once cancelled, so a child created
  after that is cancelled at once instead of registering.

Cancellation walks the subtree with an explicit stack rather than recursion: a chain of a
thousand nested contexts must not hit Python's recursion limit. Each node's lock is held only
to flip its own state (never two locks at once except parent -> child registration), and the
done channel is closed outside the lock.

A deadline node (``_TimerCtx``) owns one scheduler timer (``add_timer``) that cancels it with
``DeadlineExceeded``; cancelling early cancels the timer, so no timer outlives its context
(visible in ``cspy.stats().timers``). Deadlines are on the runtime clock (``cspy.scheduler.now``).

A parent that is not one of ours (a user subclass of ``Context``) is watched by a small task,
as Go does for foreign Context implementations.
"""

from __future__ import annotations

import threading
from typing import Any
from collections.abc import Callable

from cspy.channel import Chan, Recv, RecvChan, select
from cspy.scheduler import RuntimeTimer, add_timer, go, now

__all__ = [
    "Context",
    "Canceled",
    "DeadlineExceeded",
    "CancelFunc",
    "background",
    "todo",
    "with_cancel",
    "with_timeout",
    "with_deadline",
    "with_value",
]

CancelFunc = Callable[[], None]


class Canceled(Exception):
    """``ctx.err()`` of a context cancelled by its cancel function (Go's ``context.Canceled``)."""


class DeadlineExceeded(TimeoutError):
    """``ctx.err()`` of a context whose deadline passed (Go's ``context.DeadlineExceeded``).

    A ``TimeoutError``, so ``except TimeoutError`` catches it as it catches ``cspy.net.Timeout``.
    """


class Context:
    """The interface every context has. Build them with the module functions, not directly.

    - ``done()``: a channel closed when the context is cancelled; never closed for background.
    - ``err()``: None while active; afterwards a ``Canceled`` or ``DeadlineExceeded`` instance.
    - ``deadline()``: the monotonic (runtime clock) time it will be cancelled, or None.
    - ``value(key)``: the value bound to ``key`` here or in an ancestor, or None.
    """

    __slots__ = ()

    def done(self) -> RecvChan[None]:
        raise NotImplementedError

    def err(self) -> BaseException | None:
        raise NotImplementedError

    def deadline(self) -> float | None:
        raise NotImplementedError

    def value(self, key: object) -> Any:
        raise NotImplementedError


class _EmptyCtx(Context):
    """background() and todo(): never cancelled, no deadline, no values."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def done(self) -> RecvChan[None]:
        # Go returns a nil channel (never ready). A fresh channel that nobody closes behaves the
        # same for recv and select, and shares no state between runtimes.
        return Chan[None]().recv_only()

    def err(self) -> BaseException | None:
        return None

    def deadline(self) -> float | None:
        return None

    def value(self, key: object) -> Any:
        return None

    def __repr__(self) -> str:
        return self._name


_BACKGROUND = _EmptyCtx("context.background()")
_TODO = _EmptyCtx("context.todo()")


def background() -> Context:
    """The root context: never cancelled, no deadline, no values (Go's ``context.Background``).

    >>> ctx, cancel = cspy.context.with_cancel(cspy.context.background())
    """
    return _BACKGROUND


def todo() -> Context:
    """Like ``background()``; marks code where the right context is not yet decided."""
    return _TODO


class _CancelCtx(Context):
    __slots__ = ("_parent", "_lock", "_done", "_done_view", "_err", "_children", "_registered")

    def __init__(self, parent: Context) -> None:
        self._parent = parent
        self._lock = threading.Lock()
        self._done: Chan[None] | None = None
        self._done_view: RecvChan[None] | None = None
        self._err: BaseException | None = None
        self._children: set[_CancelCtx] | None = set()
        self._registered: _CancelCtx | None = None  # the ancestor whose _children holds us

    def done(self) -> RecvChan[None]:
        with self._lock:
            if self._done_view is None:
                self._done = Chan[None]()
                self._done_view = self._done.recv_only()
                if self._err is not None:
                    self._done.close()
            return self._done_view

    def err(self) -> BaseException | None:
        with self._lock:
            return self._err

    def deadline(self) -> float | None:
        return self._parent.deadline()

    def value(self, key: object) -> Any:
        return self._parent.value(key)

    def _cancel(self, err: BaseException, remove_from_parent: bool) -> None:
        """Cancel this node and its subtree with ``err``; optionally unregister from the parent."""
        stack: list[_CancelCtx] = [self]
        while stack:
            c = stack.pop()
            with c._lock:
                if c._err is not None:
                    continue  # already cancelled, and so is its subtree
                c._err = err
                done = c._done
                children, c._children = c._children, None
            if done is not None:
                done.close()
            c._stop_timer()
            if children:
                stack.extend(children)
        if remove_from_parent:
            self._unregister()

    def _stop_timer(self) -> None:
        pass

    def _unregister(self) -> None:
        anc = self._registered
        if anc is None:
            return
        self._registered = None
        with anc._lock:
            if anc._children is not None:
                anc._children.discard(self)

    def _attach(self) -> None:
        """Link to the nearest cancelable ancestor, so cancelling it cancels us (Go's
        ``propagateCancel``). Called once, right after construction."""
        parent = self._parent
        while isinstance(parent, _ValueCtx):
            parent = parent._parent
        if isinstance(parent, _EmptyCtx):
            return  # never cancelled
        if isinstance(parent, _CancelCtx):
            with parent._lock:
                err = parent._err
                if err is None:
                    assert parent._children is not None
                    parent._children.add(self)
                    self._registered = parent
            if err is not None:
                self._cancel(err, remove_from_parent=False)
            return
        err = parent.err()
        if err is not None:
            self._cancel(err, remove_from_parent=False)
            return
        go(_watch_foreign_parent, parent, self, name="context watcher")

    def _name(self) -> str:
        return "with_cancel"

    def __repr__(self) -> str:
        return f"{self._parent!r}.{self._name()}"


def _watch_foreign_parent(parent: Context, child: _CancelCtx) -> None:
    index, _, _ = select(Recv(parent.done()), Recv(child.done()))
    if index == 0:
        err = parent.err()
        child._cancel(err if err is not None else Canceled("context canceled"), True)


class _TimerCtx(_CancelCtx):
    __slots__ = ("_deadline", "_timer")

    def __init__(self, parent: Context, deadline: float) -> None:
        super().__init__(parent)
        self._deadline = deadline
        self._timer: RuntimeTimer | None = None

    def deadline(self) -> float | None:
        return self._deadline

    def _arm(self) -> None:
        remaining = self._deadline - now()
        if remaining <= 0:
            self._cancel(DeadlineExceeded("context deadline exceeded"), remove_from_parent=True)
            return
        with self._lock:
            if self._err is not None:  # the parent was already cancelled
                return
            self._timer = add_timer(remaining, _deadline_passed, self, "cspy.context.with_deadline()")

    def _stop_timer(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _name(self) -> str:
        return f"with_deadline({self._deadline:.6f})"


def _deadline_passed(ctx: _TimerCtx) -> None:
    # Runs in a processor's scheduling loop: only non-blocking work (locks held briefly,
    # channel closes, timer cancels).
    ctx._cancel(DeadlineExceeded("context deadline exceeded"), remove_from_parent=True)


class _ValueCtx(Context):
    __slots__ = ("_parent", "_key", "_val")

    def __init__(self, parent: Context, key: object, val: Any) -> None:
        self._parent = parent
        self._key = key
        self._val = val

    def done(self) -> RecvChan[None]:
        return self._parent.done()

    def err(self) -> BaseException | None:
        return self._parent.err()

    def deadline(self) -> float | None:
        return self._parent.deadline()

    def value(self, key: object) -> Any:
        ctx: Context = self
        while isinstance(ctx, _ValueCtx):  # a loop, not recursion: chains may be long
            if ctx._key == key:
                return ctx._val
            ctx = ctx._parent
        return ctx.value(key)

    def __repr__(self) -> str:
        return f"{self._parent!r}.with_value({self._key!r})"


def _check_parent(parent: object, what: str) -> Context:
    if not isinstance(parent, Context):
        raise TypeError(
            f"context.{what}() needs a parent Context (start from context.background()), got {parent!r}"
        )
    return parent


def _canceler(ctx: _CancelCtx) -> CancelFunc:
    def cancel() -> None:
        ctx._cancel(Canceled("context canceled"), remove_from_parent=True)

    return cancel


def with_cancel(parent: Context) -> tuple[Context, CancelFunc]:
    """A child of ``parent`` and a function that cancels it (and its subtree).

    Call ``cancel()`` when the work is done, even if it finished normally: it releases the
    child's link to its parent. Calling it again does nothing.

    >>> def main():
    ...     ctx, cancel = cspy.context.with_cancel(cspy.context.background())
    ...     cancel()
    ...     ctx.done().recv_ok()  # returns at once: done is closed
    ...     return type(ctx.err()).__name__
    >>> cspy.run(main)
    'Canceled'
    """
    ctx = _CancelCtx(_check_parent(parent, "with_cancel"))
    ctx._attach()
    return ctx, _canceler(ctx)


def with_deadline(parent: Context, monotonic_deadline: float) -> tuple[Context, CancelFunc]:
    """A child cancelled with ``DeadlineExceeded`` at ``monotonic_deadline`` (runtime clock:
    ``cspy.scheduler.now()``, which is ``time.monotonic()`` unless a clock was injected), or
    earlier by ``cancel()`` or its parent. Must be called from a task (it arms a timer).

    If the parent's deadline is earlier, the child simply inherits it (as in Go).
    """
    _check_parent(parent, "with_deadline")
    if isinstance(monotonic_deadline, bool) or not isinstance(monotonic_deadline, (int, float)):
        raise TypeError(f"context.with_deadline() needs a monotonic time in seconds, got {monotonic_deadline!r}")
    if monotonic_deadline != monotonic_deadline:
        raise ValueError("context.with_deadline() got a NaN deadline")
    current = parent.deadline()
    if current is not None and current <= monotonic_deadline:
        return with_cancel(parent)
    ctx = _TimerCtx(parent, float(monotonic_deadline))
    ctx._attach()
    ctx._arm()
    return ctx, _canceler(ctx)


def with_timeout(parent: Context, seconds: float) -> tuple[Context, CancelFunc]:
    """``with_deadline(parent, now() + seconds)``: a child cancelled after ``seconds``.

    >>> def main():
    ...     ctx, cancel = cspy.context.with_timeout(cspy.context.background(), 0.01)
    ...     ctx.done().recv_ok()
    ...     cancel()
    ...     return isinstance(ctx.err(), TimeoutError)
    >>> cspy.run(main)
    True
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"context.with_timeout() needs a number of seconds, got {seconds!r}")
    return with_deadline(parent, now() + seconds)


def with_value(parent: Context, key: object, value: Any) -> Context:
    """A child that carries ``value`` for ``key`` (request-scoped data, not optional arguments).

    Use a key type of your own (a class or an object()) so packages cannot collide.

    >>> USER = object()
    >>> ctx = cspy.context.with_value(cspy.context.background(), USER, "ann")
    >>> ctx.value(USER)
    'ann'
    """
    _check_parent(parent, "with_value")
    try:
        hash(key)
    except TypeError:
        raise TypeError(f"context.with_value() needs a hashable key, got {key!r}") from None
    return _ValueCtx(parent, key, value)
