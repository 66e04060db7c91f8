"""The scheduling-point hook of schedule exploration (cspy.testing): ``hook.point``, None unless exploring.

Under ``cspy.testing.explore`` and ``replay``, every channel operation, select, sync operation and
``go`` is a point where another task may be scheduled, *even when the operation did not block*:
that is how a race between a non-blocking send and the program's next line is found. Each of
those operations ends with

    if hook.point is not None:
        hook.point()

and that check is all the hook costs when exploration is off: a global and a slot in pure
Python; compiled, one C field read, since the compiled modules hold ``hook`` as a typed global
(``testpoint.pxd``), where a module attribute would cost a dictionary lookup per operation
(docs/testing.md has the measurements). cspy.testing sets ``point`` only while an exploring
runtime runs (one runtime runs per process at a time) and clears it when that runtime ends; the
function it sets does nothing outside that runtime's tasks (a timer callback in the scheduling
loop, an offload thread), and nothing inside a cspy operation that holds a lock of its own while
it calls another one (cspy/testing/points.py lists them).

Why a process-wide object rather than an attribute of the runtime: a channel or a lock does not
know the runtime it is used in, and finding it costs more than this check.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Hook", "hook"]


class Hook:
    """Holds the function called at every scheduling point (``point``), or None."""

    __slots__ = ("point",)

    def __init__(self) -> None:
        self.point: Callable[[], None] | None = None


hook = Hook()
