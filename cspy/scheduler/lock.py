"""Lock: the mutex that guards the hot path's shared state (channels, wait queues).

In pure Python it is ``threading.Lock``, the interpreter's own, which nothing written in Python
can beat. The compiled build has ``lock.pyx`` beside this file instead: the same interface over
the same C lock, whose ``acquire`` and ``release`` the other compiled modules call as C
(``lock.pxd``). A ``threading.Lock`` called from C costs
a method lookup and keyword-argument parsing per ``acquire``, which was a quarter of a compiled
buffered send. The one module with two sources: its pure form is a single name.
"""

from __future__ import annotations

from threading import Lock

__all__ = ["Lock"]
