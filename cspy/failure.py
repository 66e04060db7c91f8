"""How ``cspy run`` reports a program that failed: Go's way, with the user's frames only.

Go ends a deadlocked program with ``fatal error: all goroutines are asleep - deadlock!`` and the
goroutines' stacks, showing the program's frames and not the runtime's, and exits with status 2.
``cspy run`` does the same::

    fatal error: all tasks are asleep - deadlock!

    task 1 'main' [chan receive]:
      waiting on <Chan 'results' cap=0 len=0 senders=0 receivers=1>
      main(...)
          /app/prog.py:10

Exit statuses (``report``): 2 for a deadlock; 1 for an exception escaping a task or the script
(Python's traceback, then the note ``cspy: raised in task 2 ('parser')`` that names the task,
like Go's ``panic: ...`` and ``goroutine N [running]:``); 130 for Ctrl-C, as a shell reports
a program killed by SIGINT.

Which frames are "cspy's own" (``internal``): files inside the cspy package directory -- except
``cspy/examples/``, the example programs, which are user code -- and runpy's, which ``cspy run``
uses to start the script. They are left out of what the user sees: the deadlock's task dump
(made by cspy/scheduler/dump.py; filtered here, by its documented two-line frame format), the
traceback of an exception (every exception of its chain and group), and the SIGUSR1 dump.
``CSPY_TRACEBACK=all`` shows everything (Go's ``GOTRACEBACK=system``, roughly); unset or
``user`` is the default. When frames were left out, one last line says so and how to see them.

Only string and path operations: no file is read, so the SIGUSR1 handler may use ``user_dump``.
"""

from __future__ import annotations

import os
import re
import runpy
import traceback
from typing import TextIO

from cspy.errors import DeadlockError

__all__ = [
    "TRACEBACK_ENV",
    "HIDDEN_NOTE",
    "internal",
    "report",
    "show_all",
    "traceback_setting",
    "user_dump",
    "user_traceback",
]

TRACEBACK_ENV = "CSPY_TRACEBACK"
_SETTINGS = ("", "user", "all")

HIDDEN_NOTE = f"cspy: frames inside cspy left out ({TRACEBACK_ENV}=all shows them)"

EXIT_EXCEPTION = 1
EXIT_DEADLOCK = 2  # Go's status for a fatal error
EXIT_INTERRUPTED = 130  # 128 + SIGINT

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_EXAMPLES = os.path.join(_PACKAGE, "examples")
_RUNPY = os.path.abspath(runpy.__file__) if getattr(runpy, "__file__", None) else "<frozen runpy>"

# The task dump's frame: a function line, then its file line (see cspy/scheduler/dump.py).
_FRAME_FN = re.compile(r"^  \S.*\(\.\.\.\)$")
_FRAME_FILE = re.compile(r"^      (?P<file>.+):(?P<line>\d+)$")


def traceback_setting() -> str:
    """``CSPY_TRACEBACK`` checked: '' (default, the user's frames) or 'all'; ValueError otherwise."""
    value = os.environ.get(TRACEBACK_ENV, "").strip().lower()
    if value not in _SETTINGS:
        raise ValueError(f"{TRACEBACK_ENV} must be 'all' (show cspy's own frames too) or unset, got {value!r}")
    return "" if value == "user" else value


def show_all() -> bool:
    """Whether cspy's own frames are shown (``CSPY_TRACEBACK=all``); a bad value counts as unset."""
    try:
        return traceback_setting() == "all"
    except ValueError:
        return False


def internal(filename: str) -> bool:
    """Whether a frame in ``filename`` is cspy's own machinery (not the program's).

    >>> import cspy.channel.chan as chan
    >>> internal(chan.__file__), internal("/app/prog.py"), internal("<frozen runpy>")
    (True, False, True)
    >>> internal("cspy/scheduler/runner.py")  # a compiled frame's name for its source
    True
    """
    if filename in ("<frozen runpy>", _RUNPY):
        return True
    if filename.startswith("<"):  # <stdin>, <string>, a doctest: the program's
        return False
    if not os.path.isabs(filename) and filename.replace("\\", "/").startswith("cspy/"):
        # The compiled build's frames name their source relative to the build ("cspy/chan.py"),
        # wherever the package is installed: resolve it against the package's own directory.
        filename = os.path.join(os.path.dirname(_PACKAGE), filename)
    path = os.path.abspath(filename)
    return path.startswith(_PACKAGE + os.sep) and not path.startswith(_EXAMPLES + os.sep)


def user_dump(text: str) -> tuple[str, int]:
    """A task dump with cspy's own frames left out; and how many were."""
    lines = text.split("\n")
    out: list[str] = []
    hidden = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and _FRAME_FN.match(line):
            m = _FRAME_FILE.match(lines[i + 1])
            if m is not None:
                if internal(m["file"]):
                    hidden += 1
                else:
                    out.extend((line, lines[i + 1]))
                i += 2
                continue
        out.append(line)
        i += 1
    return "\n".join(out), hidden


def user_traceback(exc: BaseException) -> tuple[str, int]:
    """``exc`` formatted as Python does, with cspy's own frames left out; and how many were."""
    te = traceback.TracebackException.from_exception(exc)
    hidden = _filter(te, set())
    return "".join(te.format()), hidden


def _filter(te: traceback.TracebackException, seen: set[int]) -> int:
    if id(te) in seen:
        return 0
    seen.add(id(te))
    kept = [f for f in te.stack if not internal(f.filename)]
    hidden = len(te.stack) - len(kept)
    te.stack = traceback.StackSummary.from_list(kept)
    for other in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
        if other is not None:
            hidden += _filter(other, seen)
    return hidden


def report(exc: BaseException, out: TextIO) -> int:
    """Write the failure ``exc`` (escaped from the script) to ``out``; the exit status."""
    if isinstance(exc, KeyboardInterrupt):
        out.write("cspy: interrupted\n")
        return EXIT_INTERRUPTED
    everything = show_all()
    if isinstance(exc, DeadlockError):
        message = str(exc)
        headline, _, dump = message.partition("\n\n")
        hidden = 0
        if not everything:
            dump, hidden = user_dump(dump)
        text = f"fatal error: {headline}\n"
        if dump.strip():
            text += "\n" + dump.rstrip("\n") + "\n"
        if everything:  # and where the runtime raised it: runpy, the cspy command, cspy.run
            text += "\nTraceback (most recent call last):\n"
            text += "".join(traceback.format_tb(exc.__traceback__))
            text += f"{type(exc).__module__}.{type(exc).__qualname__}: {headline}\n"
        status = EXIT_DEADLOCK
    elif everything:
        text, hidden = "".join(traceback.format_exception(exc)), 0
        status = EXIT_EXCEPTION
    else:
        text, hidden = user_traceback(exc)
        status = EXIT_EXCEPTION
    if hidden:
        text += f"\n{HIDDEN_NOTE}\n"
    out.write(text)
    return status
