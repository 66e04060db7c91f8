"""``explore`` and ``replay``: run a program under many schedules; reproduce the one that failed.

``explore`` runs ``main`` up to ``runs`` times, each on one processor under the virtual clock,
with a scheduling point after every channel operation, select, sync operation and ``go``
(points.py), and a fresh ``Chooser`` (strategy.py) whose strategy is seeded from ``seed`` and
the run's number: the same call explores the same schedules. The first run that raises stops
the search with ``ScheduleFailure``: the run's exception as ``__cause__`` and a ``token``
(token.py) that ``replay`` turns back into exactly that run.

Shrinking (``shrink=True``, the default): before it reports, ``explore`` tries to make the failing
schedule simpler -- closer to the default one, in which a task runs until it blocks -- by
dropping one recorded deviation at a time and replaying leniently (a deviation that no longer
fits takes the default). A smaller schedule that still fails with the same exception type is
kept; the search stops when no single deviation can go, or after ``SHRINK_RUNS`` runs. The
token printed is the shrunk one; ``original_token`` is the one first found.

What exploration covers, and what it cannot (docs/testing.md says more): every interleaving
of the program's tasks at cspy's operations, on one processor. State shared through plain
Python objects is seen only at those points: two tasks that race on a dict between two
operations are one step each here, as they are for the interpreter's own switches only
when the GIL is held. Real I/O and ``cspy.blocking`` complete at moments the explorer does not
choose: a program that uses them may not replay.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cspy.testing.errors import ReplayDiverged, ScheduleFailure
from cspy.testing.run import check_leaks, execute
from cspy.testing.strategy import Chooser, PCTStrategy, RandomStrategy, ReplayStrategy, Strategy
from cspy.testing.token import Schedule, decode, encode

__all__ = ["explore", "replay", "Explored", "SHRINK_RUNS"]

STRATEGIES = ("pct", "random")

# Runs spent on shrinking at most: each is one replay of the program.
SHRINK_RUNS = 100


@dataclass(frozen=True)
class Explored:
    """What a successful ``explore`` saw: ``runs`` runs, ``distinct`` different schedules."""

    runs: int
    distinct: int


def _check_int(name: str, v: object, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
    return v


def explore(
    main: Callable[..., Any],
    /,
    *args: Any,
    runs: int = 100,
    strategy: str = "pct",
    depth: int = 3,
    seed: int = 0,
    leaks: str = "fail",
    shrink: bool = True,
    **kwargs: Any,
) -> Explored:
    """Run ``main`` under up to ``runs`` schedules; ``ScheduleFailure`` (with ``.token``) on the
    first that raises.

    >>> def main():
    ...     box = []
    ...     done = cspy.Chan[None](1)
    ...     def worker():
    ...         box.append("worker")
    ...         done.send(None)
    ...     cspy.go(worker)
    ...     box.append("main")
    ...     done.recv()
    ...     assert box == ["main", "worker"], box
    >>> try:
    ...     cspy.testing.explore(main, runs=50)
    ... except cspy.testing.ScheduleFailure as failure:
    ...     token = failure.token
    >>> cspy.testing.replay(main, token)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    AssertionError: ['worker', 'main']
    """
    if not callable(main):
        raise TypeError(f"cspy.testing.explore() needs a callable main, got {main!r}")
    _check_int("runs", runs, 1)
    _check_int("depth", depth, 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be 'pct' or 'random', got {strategy!r}")
    check = check_leaks(leaks)
    seen: set[tuple[int, ...]] = set()
    steps = 0  # the most steps a run has taken so far: PCT's k
    for i in range(runs):
        rng = random.Random(f"cspy.testing.explore:{seed}:{i}")
        run_seed = rng.getrandbits(31)
        strat: Strategy = PCTStrategy(rng, depth, steps) if strategy == "pct" else RandomStrategy(rng)
        chooser = Chooser(strat)
        try:
            _run_once(main, args, kwargs, run_seed, chooser, check)
        except Exception as exc:
            found = Schedule(run_seed, chooser.decisions, dict(chooser.deviations))
            token = encode(found)
            shrunk = _shrink(main, args, kwargs, found, type(exc), check) if shrink else found
            short = encode(shrunk)
            raise ScheduleFailure(_message(i + 1, exc, short, token), short, i + 1, token) from exc
        seen.add(tuple(chooser.chosen))
        steps = max(steps, chooser.steps)
    return Explored(runs, len(seen))


def replay(main: Callable[..., Any], token: str, /, *args: Any, leaks: str = "fail", **kwargs: Any) -> Any:
    """Run ``main`` under exactly the schedule ``token`` names; return or raise what it did.

    ``ReplayDiverged`` (naming the scheduling decision) if the program no longer fits it.
    """
    if not callable(main):
        raise TypeError(f"cspy.testing.replay() needs a callable main, got {main!r}")
    sched = decode(token)
    strat = ReplayStrategy(sched.deviations, sched.decisions, strict=True)
    chooser = Chooser(strat)
    try:
        result = _run_once(main, args, kwargs, sched.seed, chooser, check_leaks(leaks))
    except BaseException as exc:
        if strat.diverged is not None and exc is strat.diverged:
            raise
        _check_end(chooser, sched, exc)
        raise
    _check_end(chooser, sched, None)
    return result


def _check_end(chooser: Chooser, sched: Schedule, exc: BaseException | None) -> None:
    if chooser.decisions != sched.decisions:
        n = chooser.decisions
        err = ReplayDiverged(
            n + 1,
            f"replay diverged: the run ended after {n} scheduling decisions, but the token's "
            f"schedule has {sched.decisions}; the program no longer matches the token",
        )
        raise err from exc


def _run_once(main: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
              seed: int, chooser: Chooser, leaks: bool) -> Any:
    return execute(main, args, kwargs, procs=1, seed=seed, virtual=True, leaks=leaks,
                   explorer=chooser, points=True)


def _shrink(main: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
            found: Schedule, kind: type[BaseException], leaks: bool) -> Schedule:
    """A failing schedule with fewer deviations from the default, or ``found`` itself."""
    best = found
    budget = SHRINK_RUNS
    progress = True
    while progress and budget > 0 and best.deviations:
        progress = False
        for k in sorted(best.deviations, reverse=True):
            if budget <= 0:
                break
            budget -= 1
            fewer = {d: t for d, t in best.deviations.items() if d != k}
            chooser = Chooser(ReplayStrategy(fewer, 0, strict=False))
            try:
                _run_once(main, args, kwargs, best.seed, chooser, leaks)
            except Exception as exc:
                if isinstance(exc, kind) and len(chooser.deviations) < len(best.deviations):
                    best = Schedule(best.seed, chooser.decisions, dict(chooser.deviations))
                    progress = True
                    break
    return best


def _message(run: int, exc: BaseException, token: str, original: str) -> str:
    what = f"{type(exc).__name__}: {exc}".strip()
    if len(what) > 2000:
        what = what[:2000] + " ..."
    shrunk = "" if token == original else f"\n(shrunk from {original})"
    return (
        f"run {run} of the exploration failed with {what}\n\n"
        f"schedule token: {token}{shrunk}\n"
        f"replay it with cspy.testing.replay(main, {token!r})"
    )
