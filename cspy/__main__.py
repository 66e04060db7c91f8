"""The ``cspy`` command (also ``python -m cspy``).

    cspy run SCRIPT.py [ARGS...] [--procs N] [--live] [--schedtrace MS] [--trace FILE] [--debug-addr HOST:PORT]
    cspy trace summary FILE
    cspy examples [...]
    cspy --help | --version

``run`` runs a program that calls ``cspy.run`` itself. The options become defaults through the
environment (``CSPY_PROCS``, ``CSPY_LIVE``, ``CSPY_SCHEDTRACE``), which ``cspy.run`` reads when it
is not given the keyword, so the script needs no change to be watched; the script runs as
``__main__`` (runpy) and sees only its own arguments in ``sys.argv``. ``--procs``, ``--live`` and
``--schedtrace`` are recognised anywhere after ``run``; arguments after ``--`` all go to the
script (``cspy run app.py -- --live`` passes ``--live`` to app.py).

A failure is reported the way Go reports it (cspy/failure.py): a deadlock as ``fatal error: all
tasks are asleep - deadlock!`` and every task's stack, exit status 2; an exception escaping a
task as its traceback and the task's name, status 1; Ctrl-C as status 130. The stacks show the
program's frames, not cspy's or runpy's (``CSPY_TRACEBACK=all`` shows those too).

``examples`` belongs to the example gallery (``cspy.gallery.main(argv) -> int``), imported only
when asked for.
"""

from __future__ import annotations

import argparse
import importlib
import os
import runpy
import sys

import cspy
from cspy.failure import report, traceback_setting

__all__ = ["main"]

DESCRIPTION = "Go-style CSP for Python: tasks, channels, select and an M:N scheduler."

EPILOG = """\
environment:
  CSPY_PROCS=N        processors for cspy.run when procs= is not given
  CSPY_LIVE=1         show the live dashboard on stdout, or on stderr when stdout is redirected
                      (schedtrace lines when neither is a terminal)
  CSPY_SCHEDTRACE=MS  print a scheduler line to stderr every MS milliseconds
  CSPY_TRACEBACK=all  show cspy's own frames in failures and task dumps (default: the program's)
  CSPY_TRACE=FILE     record an execution trace of each cspy.run (.json or .pftrace)
  CSPY_DEBUG_ADDR=HOST:PORT  serve Go's /debug/pprof/ routes (loopback only) during each cspy.run
  kill -USR1 <pid>    print every task's stack to stderr (the program goes on)

exit status of run: the script's own; 2 for a deadlock ("fatal error: all tasks are asleep -
deadlock!" and every task), 1 for an exception escaping a task, 130 for Ctrl-C.

examples:
  cspy run server.py --port 8080 --live
  cspy run pipeline.py --procs 2 --schedtrace 500
  cspy run pipeline.py --trace out.json && cspy trace summary out.json
  cspy examples
"""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cspy`` console script; returns the process exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if args and args[0] == "run":
        return _run(parser, args[1:])
    if args and args[0] == "examples":
        return _examples(args[1:])
    if args and args[0] == "trace":  # cspy trace summary FILE (cspy/trace/summary.py)
        from cspy.trace.summary import main as trace_main

        return trace_main(args[1:], sys.stdout)
    ns = parser.parse_args(args)  # --help, --version and unknown commands exit here
    if ns.command is None:
        parser.print_help()
        return 0
    parser.error(f"unknown command {ns.command!r}")
    return 2  # not reached: error() exits


def _version() -> str:
    """``cspy 0.1.0 (compiled: ...) on CPython 3.13.5, GIL off``: which build runs, and where."""
    from cspy import build

    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    impl = f"{sys.implementation.name} {sys.version.split()[0]}"
    return f"cspy {cspy.__version__} ({build.BUILD}: {build.REASON}) on {impl}, GIL {'on' if gil else 'off'}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cspy",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run a Python script that calls cspy.run (see: cspy run --help)", add_help=False)
    sub.add_parser("examples", help="the example gallery (see: cspy examples --help)", add_help=False)
    sub.add_parser("trace", help="summarise a trace written by run --trace (cspy trace summary FILE)", add_help=False)
    return parser


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cspy run",
        description="Run SCRIPT.py (which calls cspy.run) with these defaults for cspy.run.",
        epilog="Options are recognised anywhere after 'run'; everything after '--' goes to the script.",
        allow_abbrev=False,
    )
    p.add_argument("script", metavar="SCRIPT.py", help="the program to run, as __main__")
    p.add_argument("--procs", type=_positive, metavar="N", help="processors (sets CSPY_PROCS)")
    p.add_argument("--live", action="store_true", help="show the live dashboard (sets CSPY_LIVE=1)")
    p.add_argument(
        "--schedtrace", type=_positive, metavar="MS", help="scheduler line to stderr every MS ms (sets CSPY_SCHEDTRACE)"
    )
    p.add_argument("--trace", metavar="FILE", help="record an execution trace (.json or .pftrace; sets CSPY_TRACE)")
    p.add_argument("--debug-addr", metavar="HOST:PORT", help="serve /debug/pprof/ on a loopback address (sets CSPY_DEBUG_ADDR)")
    return p


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return n


def _run(parser: argparse.ArgumentParser, args: list[str]) -> int:
    ours, theirs = args, []
    if "--" in args:
        cut = args.index("--")
        ours, theirs = args[:cut], args[cut + 1 :]
    rp = _run_parser()
    ns, rest = rp.parse_known_args(ours)
    script = ns.script
    if not os.path.isfile(script):
        rp.error(f"no such script: {script!r} (give the path of a Python file that calls cspy.run)")
    if ns.procs is not None:
        os.environ["CSPY_PROCS"] = str(ns.procs)
    if ns.live:
        os.environ["CSPY_LIVE"] = "1"
    if ns.schedtrace is not None:
        os.environ["CSPY_SCHEDTRACE"] = str(ns.schedtrace)
    if ns.trace is not None:
        from cspy.trace.export import check_target

        try:
            check_target(ns.trace)
        except ValueError as exc:
            rp.error(f"--trace: {exc}")
        os.environ["CSPY_TRACE"] = ns.trace
    if ns.debug_addr is not None:
        from cspy.debug import parse_addr

        try:
            parse_addr(ns.debug_addr, "--debug-addr")
        except ValueError as exc:
            rp.error(str(exc))
        os.environ["CSPY_DEBUG_ADDR"] = ns.debug_addr
    try:
        traceback_setting()
    except ValueError as exc:
        rp.error(str(exc))
    return _run_script(script, [script, *rest, *theirs])


def _run_script(script: str, argv: list[str]) -> int:
    """Run ``script`` as ``__main__`` the way ``python SCRIPT.py`` would; its exit status."""
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(os.path.abspath(script), run_name="__main__")  # __file__ absolute, as python's
    except SystemExit as exc:
        return _exit_status(exc.code)
    except BaseException as exc:  # Go's way: the error, the tasks, the user's frames (failure.py)
        sys.stderr.flush()
        status = report(exc, sys.stderr)
        sys.stderr.flush()
        return status
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def _examples(args: list[str]) -> int:
    try:
        gallery = importlib.import_module("cspy.gallery")
    except ModuleNotFoundError as exc:
        if exc.name != "cspy.gallery":
            raise
        sys.stderr.write("cspy examples: the example gallery (cspy.gallery) is not part of this installation\n")
        return 2
    status = gallery.main(args)
    return int(status) if status is not None else 0


if __name__ == "__main__":
    sys.exit(main())
