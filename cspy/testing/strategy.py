"""The decision stream: who runs next on a processor, in seeded, explored and replayed runs.

Installed as ``rt.explorer``, a ``Chooser`` replaces the scheduler's own pick: the processor's
``findrunnable_nowait`` calls ``Chooser.pick`` (and ``park`` skips its direct hand-off), so every
choice among runnable tasks is made here, on one processor (cspy.testing runs these modes with
``procs=1``). ``pick`` first brings in everything that could run -- due timers, the inbox, the
global queue -- then lists the *candidates*: ``runnext``, then the queued tasks in the order
they were queued. A *decision* is a pick with two or more candidates; it is what a strategy
chooses and what a token records.

Strategies:
- ``RandomStrategy``: a uniform choice at every decision (seeded schedules, and ``"random"``).
- ``PCTStrategy``: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
  ASPLOS 2010), as shuttle and Coyote implement it: each task gets a random priority when first
  seen, above ``depth``; ``depth - 1`` change points are drawn among the run's steps (``steps``,
  learned from the previous runs); the highest-priority candidate runs; at the i-th change point
  the task that has just run drops to priority i (below every initial one). A bug that needs d
  ordering constraints is found with probability at least 1/(n k^(d-1)) per run, for n tasks
  and k steps.
- ``ReplayStrategy``: follows a token (token.py). A token stores the decisions where the run did
  *not* take the default choice (keep running the task that just ran, if it can; else the
  first candidate: roughly what ``cspy.run`` does), so a schedule with few preemptions has a
  short token, and shrinking a schedule means dropping recorded deviations. On replay, a
  deviation whose task is not runnable at its decision, or a decision count different from the
  token's, is a divergence (Coyote's check): ``ReplayDiverged`` naming the decision, raised by
  the run. A lenient replay (shrinking) takes the default instead.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from cspy.scheduler.task import Task
from cspy.testing.errors import ReplayDiverged

if TYPE_CHECKING:
    from cspy.scheduler.processor import Processor
    from cspy.scheduler.runtime import Runtime

__all__ = ["Chooser", "Strategy", "RandomStrategy", "PCTStrategy", "ReplayStrategy", "default_choice"]


def default_choice(cands: list[Task], last: Task | None) -> Task:
    """The choice of an unperturbed run: the task that just ran if it can go on, else the first."""
    if last is not None:
        for t in cands:
            if t is last:
                return t
    return cands[0]


class Strategy:
    """Chooses at each step; ``decision`` counts the steps with two or more candidates."""

    def choose(self, cands: list[Task], last: Task | None, decision: int, rt: Runtime) -> Task | None:
        raise NotImplementedError


class RandomStrategy(Strategy):
    """A uniform choice from a seeded stream."""

    __slots__ = ("rng",)

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, cands: list[Task], last: Task | None, decision: int, rt: Runtime) -> Task | None:
        if len(cands) == 1:
            return cands[0]
        return cands[self.rng.randrange(len(cands))]


class PCTStrategy(Strategy):
    """PCT with ``depth`` (d): d-1 priority change points among ``steps`` steps."""

    __slots__ = ("rng", "depth", "prio", "changes", "step")

    def __init__(self, rng: random.Random, depth: int, steps: int) -> None:
        self.rng = rng
        self.depth = depth
        self.prio: dict[int, float] = {}  # task id -> priority (higher runs first)
        n = min(depth - 1, steps)
        points = rng.sample(range(1, steps + 1), n) if n > 0 else []
        self.changes = {k: i + 1 for i, k in enumerate(points)}  # step -> its priority value i
        self.step = 0

    def choose(self, cands: list[Task], last: Task | None, decision: int, rt: Runtime) -> Task | None:
        self.step += 1
        prio = self.prio
        low = self.changes.get(self.step)
        if low is not None and last is not None:
            prio[last.id] = float(low)  # the i-th change point: the running task drops to i
        best: Task | None = None
        best_p = -1.0
        for t in cands:
            p = prio.get(t.id)
            if p is None:
                p = prio[t.id] = self.depth + self.rng.random()  # a random place among the others
            if p > best_p:
                best, best_p = t, p
        return best


class ReplayStrategy(Strategy):
    """Follow recorded deviations from the default choice; check the schedule still fits."""

    __slots__ = ("deviations", "decisions", "strict", "diverged")

    def __init__(self, deviations: dict[int, int], decisions: int, strict: bool = True) -> None:
        self.deviations = deviations  # decision number (1-based) -> task id chosen there
        self.decisions = decisions
        self.strict = strict
        self.diverged: ReplayDiverged | None = None

    def choose(self, cands: list[Task], last: Task | None, decision: int, rt: Runtime) -> Task | None:
        if len(cands) == 1:
            return cands[0]
        if self.strict and decision > self.decisions:
            self._diverge(
                rt, decision, f"the token's schedule ends after {self.decisions} decisions, "
                f"but the program asks for another (runnable: {_ids(cands)})"
            )
            return None
        want = self.deviations.get(decision)
        if want is None:
            return default_choice(cands, last)
        for t in cands:
            if t.id == want:
                return t
        if not self.strict:
            return default_choice(cands, last)
        self._diverge(
            rt, decision, f"the token runs task {want} here, but it is not runnable "
            f"(runnable: {_ids(cands)})"
        )
        return None

    def _diverge(self, rt: Runtime, decision: int, why: str) -> None:
        err = ReplayDiverged(decision, f"replay diverged at scheduling decision {decision}: {why}; "
                             "the program no longer matches the token (changed code, or a source "
                             "of nondeterminism outside cspy's scheduler)")
        self.diverged = err
        rt.fail(None, err)


def _ids(cands: list[Task]) -> str:
    return ", ".join(f"task {t.id} ({t.name!r})" for t in cands)


class Chooser:
    """``rt.explorer``: picks the next task on one processor; records the run's decisions."""

    __slots__ = ("strategy", "steps", "decisions", "last", "chosen", "deviations")

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.steps = 0  # picks with at least one candidate
        self.decisions = 0  # picks with two or more
        self.last: Task | None = None
        self.chosen: list[int] = []  # the task id chosen at each decision (distinct schedules)
        self.deviations: dict[int, int] = {}  # decision -> task id, where not the default

    def pick(self, p: Processor) -> Task | None:
        """Owner only, from ``findrunnable_nowait``: the next task to run here, or None."""
        rt = p.rt
        if p.timer_heap:
            p.timers.run_due(rt.clock())
        if p.inbox:
            p._drain_inbox()
        glob = rt.glob
        if glob.q:
            batch = glob.get_batch(1, len(glob.q))
            if batch:
                p.runqput_batch(batch)
        cands = self._candidates(p)
        if not cands:
            return None
        self.steps += 1
        if len(cands) > 1:
            self.decisions += 1
        t = self.strategy.choose(cands, self.last, self.decisions, rt)
        if t is None:  # the replay diverged: the runtime is stopping
            return None
        if len(cands) > 1:
            self.chosen.append(t.id)
            if t is not default_choice(cands, self.last):
                self.deviations[self.decisions] = t.id
        if t is p.runnext:
            p.runnext = None
        elif t.glet is not None:
            p.pinned.remove(t)
        else:
            with p.lock:
                p.new.remove(t)
        self.last = t
        return t

    @staticmethod
    def _candidates(p: Processor) -> list[Task]:
        queued = list(p.pinned)
        if p.new:
            with p.lock:
                queued.extend(p.new)
            queued.sort(key=_seq)
        nxt = p.runnext
        return [nxt, *queued] if nxt is not None else queued


def _seq(t: Task) -> int:
    return t.seq
