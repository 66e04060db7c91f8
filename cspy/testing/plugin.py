"""The pytest plugin: ``@pytest.mark.cspy`` runs a test's body as the main task of cspy.testing.

Loaded by pytest through the ``pytest11`` entry point whenever cspy is installed (``-p no:cspy``
turns it off). It registers the ``cspy`` marker (so ``--strict-markers`` accepts it), three
options, and a ``pytest_pyfunc_call`` hook that, for a marked test only, calls the function
inside a runtime instead of directly:

- ``@pytest.mark.cspy`` / ``@pytest.mark.cspy(seed=, procs=, clock=, leaks=)``: ``testing.run``;
- ``@pytest.mark.cspy(explore=N, strategy=, depth=)``: ``testing.explore`` with N runs;
- ``--cspy-seed=N``: the seed of marked tests that set none; ``--cspy-explore=N``: explore every
  marked test N runs; ``--cspy-replay=TOKEN``: replay marked tests under that schedule.

Fixtures are resolved by pytest as usual, before the runtime starts, and reach the body as its
arguments; the body runs as task 1 (``main``). A failure of an explored test carries, as a note
on its ``ScheduleFailure``, the command line that replays it.

Unmarked tests are left alone: the hook returns None and pytest calls them itself. Nothing here
is imported by ``import cspy`` or ``import cspy.testing``; cspy.testing itself is imported only
when a marked test runs.
"""

from __future__ import annotations

import inspect
import shlex
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["KEYWORDS", "pytest_addoption", "pytest_configure", "pytest_pyfunc_call", "cspy_now"]

KEYWORDS = ("seed", "procs", "clock", "leaks", "explore", "strategy", "depth")

MARKER_HELP = (
    "cspy(seed=None, procs=1, clock='virtual', leaks='fail', explore=None, strategy='pct', "
    "depth=3): run the test body as the main task of cspy.testing.run, or of "
    "cspy.testing.explore with explore=N runs"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cspy", "cspy.testing (tests marked @pytest.mark.cspy)")
    group.addoption("--cspy-seed", type=int, default=None, metavar="N",
                    help="the seed of marked tests that set none (same seed, same schedule)")
    group.addoption("--cspy-explore", type=int, default=None, metavar="N",
                    help="explore every marked test under N schedules")
    group.addoption("--cspy-replay", default=None, metavar="TOKEN",
                    help="replay marked tests under the schedule TOKEN (from a ScheduleFailure)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


@pytest.fixture
def cspy_now() -> Callable[[], float]:
    """``cspy.now``: the runtime's clock, virtual in a marked test (0.0 when its body starts)."""
    from cspy.scheduler import now

    return now


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    marker = pyfuncitem.get_closest_marker("cspy")
    if marker is None:
        return None
    __tracebackhide__ = True  # pytest: show the test's frames, not the plugin's
    opts = _options(marker, pyfuncitem.config)
    fn = pyfuncitem.obj
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise TypeError(
            f"@pytest.mark.cspy runs a plain function as a cspy task; {pyfuncitem.name} is async "
            "(write it as a plain def: cspy tasks block instead of awaiting)"
        )
    names = pyfuncitem._fixtureinfo.argnames
    args = {name: pyfuncitem.funcargs[name] for name in names}

    def main() -> None:
        fn(**args)

    main.__qualname__ = main.__name__ = pyfuncitem.name
    from cspy import testing

    leaks = opts["leaks"]
    token = pyfuncitem.config.getoption("cspy_replay")
    if token:
        testing.replay(main, token, leaks=leaks)
    elif opts["explore"] is not None:
        try:
            testing.explore(main, runs=opts["explore"], strategy=opts["strategy"],
                            depth=opts["depth"], seed=opts["seed"] or 0, leaks=leaks)
        except testing.ScheduleFailure as failure:
            failure.add_note(f"replay it with:\n  {_replay_command(pyfuncitem, failure.token)}")
            raise
    else:
        testing.run(main, seed=opts["seed"], clock=opts["clock"], procs=opts["procs"], leaks=leaks)
    return True


def _options(marker: pytest.Mark, config: pytest.Config) -> dict[str, Any]:
    if marker.args:
        raise TypeError(f"@pytest.mark.cspy takes keywords only ({', '.join(KEYWORDS)}), got {marker.args!r}")
    unknown = sorted(set(marker.kwargs) - set(KEYWORDS))
    if unknown:
        raise TypeError(f"@pytest.mark.cspy got unknown keywords {unknown}; it takes {', '.join(KEYWORDS)}")
    opts: dict[str, Any] = {"seed": None, "procs": 1, "clock": "virtual", "leaks": "fail",
                            "explore": None, "strategy": "pct", "depth": 3}
    opts.update(marker.kwargs)
    if opts["seed"] is None:
        opts["seed"] = config.getoption("cspy_seed")
    runs = config.getoption("cspy_explore")
    if runs is not None:
        opts["explore"] = runs
    if opts["explore"] is not None and opts["procs"] != 1:
        raise ValueError(f"@pytest.mark.cspy: exploration runs on one processor; got procs={opts['procs']!r}")
    if opts["explore"] is not None and opts["clock"] != "virtual":
        raise ValueError(f"@pytest.mark.cspy: exploration runs in virtual time; got clock={opts['clock']!r}")
    return opts


def _replay_command(item: pytest.Function, token: str) -> str:
    config = item.config
    cmd = f"python -m pytest {shlex.quote(item.nodeid)} --cspy-replay={token}"
    root = config.rootpath
    if config.invocation_params.dir != root:
        cmd = f"cd {shlex.quote(str(root))} && {cmd}"
    return cmd
