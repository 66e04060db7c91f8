"""cspy.testing: what virtual time and schedule exploration cost (issue 13's figures).

Workloads (the table, ``python -m benchmarks --only virtual_sleep,explore_run``):
- ``virtual_sleep``: N ``cspy.sleep(1)`` in a row under ``cspy.testing.run``: each is a clock jump
  (every task durably blocked, jump to the timer, wake its processor). Baseline: N ``gosched``
  under ``cspy.run``, the cost of a switch with nothing to wait for.
- ``explore_run``: N runs of a 2-task program (a channel hand-off), each a fresh runtime:
  ``explore`` with PCT and random against N plain ``cspy.testing.run`` and ``cspy.run`` calls.

Figures (``python -m benchmarks.testing``, a script, since they are counts as much as times):
one hour of virtual sleeps (3600 x sleep(1), and sleep(3600) once) in real time; explore's
cost per run; PCT with depth 2 finding the seeded ordering bug (tests/testing/programs.py,
``lost_update``) within 200 runs for 20 base seeds; a token replaying its failure 100 of 100.
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks.spec import Impl, Measurement, Workload, check

__all__ = ["WORKLOADS", "main"]


def _pingpong() -> None:
    import cspy

    ch = cspy.Chan[int]()
    cspy.go(ch.send, 1)
    check(ch.recv() == 1, "value handed over")


def sleep_virtual(n: int, procs: int = 1) -> Measurement:
    import cspy
    import cspy.testing

    def main() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            cspy.sleep(1)
        total = time.perf_counter() - t0
        check(cspy.now() == float(n), "virtual time is exactly n seconds")
        return total

    return {"total": cspy.testing.run(main, procs=procs), "ops": n}


def gosched_plain(n: int) -> Measurement:
    import cspy

    def main() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            cspy.gosched()
        return time.perf_counter() - t0

    return {"total": cspy.run(main, procs=1), "ops": n}


def explore_runs(n: int, strategy: str = "pct") -> Measurement:
    import cspy.testing

    t0 = time.perf_counter()
    result = cspy.testing.explore(_pingpong, runs=n, strategy=strategy)
    total = time.perf_counter() - t0
    check(result.runs == n, "every run ran")
    return {"total": total, "ops": n, "distinct": result.distinct}


def testing_runs(n: int) -> Measurement:
    import cspy.testing

    t0 = time.perf_counter()
    for _ in range(n):
        cspy.testing.run(_pingpong)
    return {"total": time.perf_counter() - t0, "ops": n}


def plain_runs(n: int) -> Measurement:
    import cspy

    t0 = time.perf_counter()
    for _ in range(n):
        cspy.run(_pingpong, procs=1)
    return {"total": time.perf_counter() - t0, "ops": n}


_PLAIN_RUN = "cspy.run"

WORKLOADS = (
    Workload(
        name="virtual_sleep",
        title="N x sleep(1) in virtual time (a clock jump each) vs N x gosched",
        n=20_000,
        quick_n=100,
        impls=(
            Impl("virtual procs=1", sleep_virtual, {"procs": 1}, requires=("cspy.testing:run",)),
            Impl("virtual procs=2", sleep_virtual, {"procs": 2}, requires=("cspy.testing:run",)),
            Impl("gosched cspy.run", gosched_plain),
        ),
        baseline="gosched cspy.run",
    ),
    Workload(
        name="explore_run",
        title="one run of a 2-task program: explore (PCT, random) vs testing.run vs cspy.run",
        n=300,
        quick_n=5,
        impls=(
            Impl("explore pct", explore_runs, {"strategy": "pct"}, requires=("cspy.testing:explore",)),
            Impl("explore random", explore_runs, {"strategy": "random"}, requires=("cspy.testing:explore",)),
            Impl("testing.run", testing_runs, requires=("cspy.testing:run",)),
            Impl(_PLAIN_RUN, plain_runs),
        ),
        baseline=_PLAIN_RUN,
    ),
)


# ---- the figures script ------------------------------------------------------------------------


def _hour() -> tuple[float, float]:
    import cspy
    import cspy.testing

    def many() -> None:
        for _ in range(3600):
            cspy.sleep(1)

    def one() -> None:
        cspy.sleep(3600)

    times = []
    for fn in (many, one):
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            cspy.testing.run(fn)
            samples.append(time.perf_counter() - t0)
        times.append(statistics.median(samples))
    return times[0], times[1]


def _pct_seeds(seeds: int, runs: int, depth: int) -> list[int | None]:
    import cspy.testing
    from tests.testing.programs import lost_update

    found: list[int | None] = []
    for seed in range(seeds):
        try:
            cspy.testing.explore(lost_update, runs=runs, depth=depth, seed=seed, shrink=False)
            found.append(None)
        except cspy.testing.ScheduleFailure as f:
            found.append(f.run)
    return found


def _replays(n: int) -> tuple[int, str]:
    import cspy.testing
    from tests.testing.programs import lost_update

    try:
        cspy.testing.explore(lost_update, runs=200, depth=2)
    except cspy.testing.ScheduleFailure as f:
        token = f.token
    else:
        raise AssertionError("explore found nothing")
    ok = 0
    for _ in range(n):
        try:
            cspy.testing.replay(lost_update, token)
        except AssertionError as exc:
            ok += "lost update" in str(exc)
    return ok, token


def main() -> int:
    many, one = _hour()
    print(f"one hour of virtual sleeps: 3600 x sleep(1) in {many * 1000:.1f} ms, "
          f"sleep(3600) in {one * 1000:.1f} ms (real time, whole testing.run, median of 5)")
    for strategy in ("pct", "random"):
        m = explore_runs(200, strategy)
        print(f"explore {strategy}: {m['total'] / m['ops'] * 1000:.2f} ms per run of a 2-task program "
              f"({m['distinct']} distinct schedules in 200)")
    t = testing_runs(200)
    p = plain_runs(200)
    print(f"peers: testing.run {t['total'] / 200 * 1000:.2f} ms per run, cspy.run {p['total'] / 200 * 1000:.2f} ms")
    found = _pct_seeds(20, 200, 2)
    hits = [r for r in found if r is not None]
    print(f"PCT depth 2, lost update: found within 200 runs for {len(hits)} of 20 base seeds; "
          f"runs needed: median {statistics.median(hits) if hits else '-'}, max {max(hits) if hits else '-'}")
    ok, token = _replays(100)
    print(f"replay: {ok} of 100 reproduce the failure of token {token}")
    return 0 if len(hits) == 20 and ok == 100 else 1


if __name__ == "__main__":
    sys.exit(main())
