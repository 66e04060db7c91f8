"""The examples gallery behind ``cspy examples``: list the programs, run one, or tour them all.

The programs live in the repository's top-level ``examples/`` folder, which is installed as the
package ``cspy.examples`` (pyproject.toml maps it), so the gallery works the same from a source
checkout, an editable install and a wheel. Layout, and the invariants the gallery relies on:

- one sub-folder per chapter (``basics``, ``patterns``, ``cookbook``); the first line of its
  ``__init__.py`` docstring is the chapter's title; chapters are shown in ``CHAPTERS`` order;
- one file per example, ``NN_name.py``: ``NN`` orders the chapter, ``name`` is what the user
  types and is unique across chapters; the first docstring line is the one-line summary;
- every example is a standalone script: ``main(argv)`` parses its own flags and calls
  ``cspy.run`` once, so ``CSPY_PROCS`` in its environment picks its processors.

Examples always run in a child process: each one starts and ends a runtime of its own, a crash
or a hang stays contained (the tour kills a child at its timeout), and ``--procs`` / ``--live``
reach the child through ``CSPY_PROCS`` / ``CSPY_LIVE`` without the gallery touching the runtime.
The files are read, never imported, to list them: listing costs no example's import time.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cspy

__all__ = ["CHAPTERS", "Example", "examples_root", "discover", "find", "listing", "main", "tour"]

# Chapter folders in reading order: first the Go by Example basics, then the classic patterns
# built from them, then the cookbook of bottlenecks that needs both, then testing all of it.
CHAPTERS = ("basics", "patterns", "cookbook", "testing")

# A tour runs ~35 programs that aim at ~1 s each; 60 s leaves room for a loaded shared machine
# while still catching a hung example long before CI's own limit.
TOUR_TIMEOUT = 60.0

_FILE_RE = re.compile(r"^(\d+)_([a-z][a-z0-9_]*)\.py$")


@dataclass(frozen=True)
class Example:
    """One program of the gallery: its name, chapter, one-line summary and file."""

    name: str
    chapter: str
    chapter_title: str
    summary: str
    path: Path


def examples_root() -> Path:
    """The folder that holds the chapters: the installed ``cspy.examples`` or ``./examples``.

    >>> (examples_root() / "basics").is_dir()
    True
    """
    spec = importlib.util.find_spec("cspy.examples")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    # A source checkout run through PYTHONPATH: the folder sits beside the cspy package.
    root = Path(cspy.__file__).resolve().parent.parent / "examples"
    if not root.is_dir():
        raise FileNotFoundError(
            f"the examples are not installed (looked for cspy.examples and {root}); "
            "reinstall cspy with `pip install cspy` or run from a source checkout"
        )
    return root


def _first_doc_line(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return doc.strip().splitlines()[0] if doc else ""


def discover(root: Path | None = None) -> list[Example]:
    """Every example, in chapter order and then by number.

    >>> [e.name for e in discover()][:2]
    ['tasks', 'channels']
    """
    root = examples_root() if root is None else root
    found: list[Example] = []
    for chapter in CHAPTERS:
        folder = root / chapter
        if not folder.is_dir():
            continue
        title = _first_doc_line(folder / "__init__.py") if (folder / "__init__.py").exists() else chapter
        numbered: list[tuple[int, str, Path]] = []
        for path in folder.iterdir():
            m = _FILE_RE.match(path.name)
            if m:
                numbered.append((int(m.group(1)), m.group(2), path))
        for _, name, path in sorted(numbered):
            found.append(Example(name, chapter, title, _first_doc_line(path), path))
    return found


def find(name: str, root: Path | None = None) -> Example:
    """The example called ``name``; ``LookupError`` naming close matches if there is none.

    >>> find("prime_sieve").chapter
    'patterns'
    """
    examples = discover(root)
    for ex in examples:
        if ex.name == name:
            return ex
    close = [ex.name for ex in examples if name in ex.name or ex.name in name]
    hint = f" -- did you mean {', '.join(close)}?" if close else ""
    raise LookupError(f"no example called {name!r}{hint} (`cspy examples` lists them all)")


def _child_env(procs: int | None, live: bool) -> dict[str, str]:
    """The environment of an example's process: the same cspy, and the runner's choices."""
    env = dict(os.environ)
    # The child runs the example by path, so make sure it imports this very cspy.
    cspy_parent = str(Path(cspy.__file__).resolve().parent.parent)
    paths = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = cspy_parent + (os.pathsep + paths if paths else "")
    if procs is not None:
        env["CSPY_PROCS"] = str(procs)
    if live:
        env["CSPY_LIVE"] = "1"
    return env


def _command(ex: Example, args: list[str]) -> list[str]:
    return [sys.executable, str(ex.path), *args]


def listing(examples: list[Example]) -> str:
    """The examples grouped by chapter: a title line, then a line per example."""
    width = max((len(ex.name) for ex in examples), default=0)
    lines: list[str] = []
    chapter = None
    for ex in examples:
        if ex.chapter != chapter:
            chapter = ex.chapter
            lines += ["", ex.chapter_title]
        lines.append(f"  {ex.name:<{width}}  {ex.summary}")
    lines += [
        "",
        "Run one with `cspy examples run NAME [--procs N] [--live] [example flags]`,",
        "all of them with `cspy examples tour`.",
    ]
    return "\n".join(lines)


def run_example(name: str, args: list[str], procs: int | None, live: bool) -> int:
    """Run one example in a child process with the terminal attached; its exit code."""
    ex = find(name)
    return subprocess.call(_command(ex, args), env=_child_env(procs, live))


def tour(procs: int | None, timeout: float, only: list[str] | None = None,
         root: Path | None = None) -> int:
    """Run every example (default flags) in turn; a line each; 0 only if all succeed."""
    examples = discover(root)
    if only:
        examples = [find(name, root) for name in only]
    width = max((len(ex.name) for ex in examples), default=0)
    failed: list[tuple[Example, str]] = []
    started = time.monotonic()
    for ex in examples:
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                _command(ex, []),
                env=_child_env(procs, live=False),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            ok = proc.returncode == 0
            detail = f"exit code {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
        except subprocess.TimeoutExpired as exc:
            ok = False
            detail = f"timed out after {timeout:g} s\n{_text(exc.stdout)[-2000:]}{_text(exc.stderr)[-2000:]}"
        seconds = time.monotonic() - t0
        print(f"{ex.name:<{width}}  {'ok' if ok else 'FAIL':<4}  {seconds:6.2f}s", flush=True)
        if not ok:
            failed.append((ex, detail))
    total = time.monotonic() - started
    for ex, detail in failed:
        print(f"\n--- {ex.name} ({ex.path}) ---\n{detail.rstrip()}", file=sys.stderr)
    passed = len(examples) - len(failed)
    print(f"\ntour: {passed} passed, {len(failed)} failed in {total:.1f}s")
    return 1 if failed else 0


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


def _split_run_args(rest: list[str]) -> tuple[int | None, bool, list[str]]:
    """Take the runner's own ``--procs N`` and ``--live`` out of ``rest``; the others pass on."""
    procs: int | None = None
    live = False
    passed: list[str] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--live":
            live = True
        elif arg == "--procs" or arg.startswith("--procs="):
            if arg == "--procs":
                if i + 1 >= len(rest):
                    raise ValueError("--procs needs a number, e.g. --procs 2")
                value = rest[i + 1]
                i += 1
            else:
                value = arg.partition("=")[2]
            procs = _positive(value)
        else:
            passed.append(arg)
        i += 1
    return procs, live, passed


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"--procs must be a positive integer, got {value!r}")
    return n


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cspy examples",
        description="The gallery of runnable Go-style programs.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="list the examples by chapter (the default)")
    run = sub.add_parser(
        "run",
        help="run one example",
        usage="cspy examples run NAME [--procs N] [--live] [example flags...]",
        description="Run one example. Flags other than --procs and --live go to the example "
        "(see `cspy examples run NAME --help`).",
    )
    run.add_argument("name")
    run.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    t = sub.add_parser("tour", help="run every example in turn, a line of result each")
    t.add_argument("--procs", type=_positive, default=None, help="processors for each example")
    t.add_argument(
        "--timeout", type=float, default=TOUR_TIMEOUT, help="seconds before an example fails"
    )
    t.add_argument("names", nargs="*", help="only these examples")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``cspy examples [list | run NAME ... | tour]``; the exit code.

    >>> main(["list"])  # doctest: +ELLIPSIS
    <BLANKLINE>
    Basics...
    0
    """
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "run":
            procs, live, passed = _split_run_args(args.rest)
            return run_example(args.name, passed, procs, live)
        if args.command == "tour":
            return tour(args.procs, args.timeout, args.names)
        print(listing(discover()))
        return 0
    except (LookupError, ValueError, FileNotFoundError) as exc:
        print(f"cspy examples: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C reached the example too; it has said what it had to
        return 130
