"""A processor's wake-up: one bit another thread sets to end its idle wait (Go's ``note``).

Why not ``threading.Event``: its ``wait`` is a condition variable over interpreter locks, and
the wake-up round trip through it was measured at ~135 us on 3.13t and ~55 us on 3.11 here,
against ~30 us for a kernel object the sleeper polls: a wake-up is a syscall on each side and
nothing else. And on 3.13t a signal that arrives while the main thread waits on an Event does
not run its Python handler until the wait ends -- with no timer pending, never: Ctrl-C of an
idle program hung (processor 0 runs on the main thread).

So a note is an eventfd (a pipe where there is none) plus a flag. ``set`` raises the flag and
writes; ``wait`` returns at once if the flag is up, else sleeps in ``select`` on the fd -- and
on one more fd if given one (``watch``): the signal wake-up fd that sigint.py installs, so a
Ctrl-C wakes processor 0 and its handler runs. Only the owner waits and clears; any thread
sets. ``select`` has microsecond timeouts (timers need them); an fd beyond FD_SETSIZE falls
back to ``poll``, whose timeouts are whole milliseconds.

No lost wake-up: the owner clears the note *before* it publishes that it is idle (under its
lock, processor.py), and a waker sets it only after seeing it idle, so a set either comes
after the clear or is seen as the flag by ``wait``. ``close`` and ``set`` share a lock, so a
late ``set`` from another thread never writes to a closed (and maybe reused) fd.
"""

from __future__ import annotations

import os
import select
import threading

__all__ = ["Note"]

_EVENTFD = hasattr(os, "eventfd")
_WAIT_MAX = 86_400.0  # select wants a timeout that fits a timeval; the caller re-waits anyway


class Note:
    __slots__ = ("flag", "_r", "_w", "_watch", "_lock", "_poll", "_written")

    def __init__(self) -> None:
        self.flag = False
        self._written = False  # a write since the last drain (under _lock)
        if _EVENTFD:
            self._r = self._w = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:
            self._r, self._w = os.pipe()
            os.set_blocking(self._r, False)
            os.set_blocking(self._w, False)
        self._watch = -1
        self._lock = threading.Lock()
        self._poll: select.poll | None = None

    def is_set(self) -> bool:
        return self.flag

    def set(self) -> None:
        """Any thread: wake the owner (now, or its next ``wait`` returns at once)."""
        self.flag = True
        with self._lock:
            if self._w < 0:
                return
            try:
                if _EVENTFD:
                    os.eventfd_write(self._w, 1)
                else:
                    os.write(self._w, b"x")
            except BlockingIOError:  # a full pipe is readable already
                pass
            self._written = True  # after the write: a clear that misses it drains it next time

    def clear(self) -> None:
        """Owner only."""
        self.flag = False
        if self._written:  # nothing written since the last drain: no read (a syscall) needed
            self._written = False
            _drain(self._r)

    def watch(self, fd: int) -> None:
        """Owner only: readiness of ``fd`` ends a wait too (-1: none). ``wait`` drains it."""
        self._watch = fd
        self._poll = None

    def wait(self, timeout: float | None = None) -> bool:
        """Owner only: sleep until set, or ``timeout`` seconds; whether it is set."""
        if self.flag:
            return True
        fds = [self._r] if self._watch < 0 else [self._r, self._watch]
        if timeout is not None:
            timeout = min(max(timeout, 0.0), _WAIT_MAX)
        try:
            ready, _, _ = select.select(fds, [], [], timeout)
        except ValueError:  # an fd beyond FD_SETSIZE
            ready = self._poll_wait(fds, timeout)
        if self._watch in ready:
            _drain(self._watch)
        return self.flag

    def _poll_wait(self, fds: list[int], timeout: float | None) -> list[int]:
        if self._poll is None:
            self._poll = select.poll()
            for fd in fds:
                self._poll.register(fd, select.POLLIN)
        ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
        return [fd for fd, _ in self._poll.poll(ms)]

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """Once no thread waits any more; a later ``set`` is a no-op."""
        with self._lock:
            r, w = self._r, self._w
            self._r = self._w = -1
        if w >= 0:
            os.close(w)
            if r != w:
                os.close(r)


def _drain(fd: int) -> None:
    if fd < 0:
        return
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, InterruptedError):
        pass
