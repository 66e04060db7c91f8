"""Ctrl-C: SIGINT stops the runtime cleanly instead of landing in the middle of the scheduler.

Python raises KeyboardInterrupt in the main thread at whatever bytecode that thread is running.
Here that is processor 0's thread, which may be inside a channel operation or the run queue,
holding a lock the exception would never release: the processors that then unwind their tasks
wait on that lock forever, and Ctrl-C hangs the program instead of ending it.

So while a runtime runs on the main thread, the SIGINT handler only *records* the interrupt
(one attribute write: no lock, safe at any bytecode). sysmon, on its own thread and at most
SYSMON_INTERVAL later, fails the runtime with KeyboardInterrupt exactly as if a task had raised
it: every processor stops at its next switch and unwinds its tasks, and ``run`` raises
KeyboardInterrupt. An interrupt recorded after sysmon has stopped is raised by ``run`` itself.

We do not preempt, so a task that never yields is not stopped by that. A second Ctrl-C while
the first is pending raises KeyboardInterrupt where the main thread is, as plain Python would:
the way out of a stuck program, with the risk described above.

The handler is installed only when ``run`` is called on the main thread and SIGINT still has
Python's default handler (a program's own handler, or SIG_IGN, is left alone), and the default
is put back when ``run`` returns.

A Python signal handler runs on the main thread between bytecodes, so a main thread asleep in
processor 0's idle wait would not run it until the wait ends (on 3.13t even a signal during the
wait waits for it, and an idle program with no timer never ends it). So, unless the program has
one of its own, a signal wake-up fd (``signal.set_wakeup_fd``) is installed too, and processor
0's note watches it (note.py): the signal wakes the processor, the handler runs.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

__all__ = ["deferred_sigint"]


class _Interruptible(Protocol):
    interrupted: bool


class _Watcher(Protocol):
    def watch(self, fd: int) -> None: ...


@contextmanager
def deferred_sigint(rt: _Interruptible, note: _Watcher) -> Iterator[None]:
    """While inside, SIGINT sets ``rt.interrupted`` (a second one raises KeyboardInterrupt), and
    wakes ``note`` (processor 0's) so that the handler runs even while it sleeps."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if rt.interrupted:
            raise KeyboardInterrupt
        rt.interrupted = True

    signal.signal(signal.SIGINT, on_sigint)
    wakeup = _install_wakeup_fd(note)
    try:
        yield
    finally:
        if wakeup is not None:
            _remove_wakeup_fd(note, *wakeup)
        if signal.getsignal(signal.SIGINT) is on_sigint:  # not replaced by the program meanwhile
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _install_wakeup_fd(note: _Watcher) -> tuple[int, int] | None:
    """A signal wake-up pipe that ``note`` watches; None if the program has a wake-up fd."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    if old != -1:  # the program's own: put it back and do without
        signal.set_wakeup_fd(old)
        os.close(r)
        os.close(w)
        return None
    note.watch(r)
    return r, w


def _remove_wakeup_fd(note: _Watcher, r: int, w: int) -> None:
    note.watch(-1)
    current = signal.set_wakeup_fd(-1)
    if current != w:  # the program installed its own meanwhile: keep it
        signal.set_wakeup_fd(current)
    os.close(r)
    os.close(w)
