"""The greenlet operations of the hot path: greenlet's Python API here, its C API when compiled.

``glet.pxd`` declares the same names as inline C functions over greenlet's C API
(``greenlet/greenlet.h``), so a compiled module that does ``from cspy.scheduler import glet`` and
calls ``glet.getcurrent()`` or ``glet.switch(g)`` makes a C call where this module makes a
Python one (gevent declares greenlet's C API the same way). Only the calls on every switch go
through here; the rest of the scheduler uses greenlet directly.
"""

from __future__ import annotations

from typing import Any

from greenlet import getcurrent, greenlet

__all__ = ["getcurrent", "greenlet", "switch"]


def switch(g: greenlet) -> Any:
    """Switch to ``g`` with no arguments; returns what is passed back."""
    return g.switch()
