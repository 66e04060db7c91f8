"""steal.py: who may take whose new tasks, and when; spinning and its bounds.

The rule is tested on its own with a fake clock (no threads), then in real runs: a burst of new
tasks behind a task that holds its processor is shared; tasks that only talk stay together; an
idle runtime does not spin.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import cspy
from cspy.scheduler.processor import Processor, current_processor
from cspy.scheduler.runtime import Runtime, gil_enabled
from cspy.scheduler.steal import LOOK_GAP, SPIN_TIME, STEAL_AFTER
from cspy.scheduler.task import Task


_built: list[Runtime] = []


def runtime(*args: Any, **kwargs: Any) -> Runtime:
    """A Runtime that is never run; the fixture below closes its processors' notes (their fds),
    as ``run`` would, so no test leaves descriptors for the garbage collector to close later,
    inside another test's fd count."""
    rt = Runtime(*args, **kwargs)
    _built.append(rt)
    return rt


@pytest.fixture(autouse=True)
def close_built_runtimes() -> Iterator[None]:
    yield
    while _built:
        _built.pop().close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def runtime_with_new_tasks(n: int) -> tuple[Runtime, FakeClock]:
    """Two processors, not started: P0 holds ``n`` new tasks. Without a thread, a processor's
    CPU time is the runtime's clock, so the fake clock stands for P0's CPU time (and P1's
    wall clock)."""
    clock = FakeClock()
    rt = runtime(2, seed=1, clock=clock)
    for i in range(n):
        rt.ps[0].runqput(Task(100 + i, print, (), {}))
    return rt, clock


def look_for(p: Processor, clock: FakeClock, seconds: float) -> Task | None:
    """``p`` spins for ``seconds`` of the fake clock, looking every 50 us (as a spinner does,
    more often than LOOK_GAP); the task it stole, or None."""
    end = clock.now + seconds
    while True:
        got = p.seeker.steal()
        if got is not None or clock.now >= end:
            return got
        clock.now += min(50e-6, LOOK_GAP / 2)


def test_a_processor_that_keeps_scheduling_keeps_its_new_tasks() -> None:
    rt, clock = runtime_with_new_tasks(4)
    p0, p1 = rt.ps
    for _ in range(5):
        assert look_for(p1, clock, STEAL_AFTER * 0.9) is None
        p0.ticks += 1  # P0 passed a scheduling point meanwhile
    assert len(p0.new) == 4 and p0.steals_out == 0


def test_a_stuck_processor_gives_up_half_of_its_new_tasks() -> None:
    rt, clock = runtime_with_new_tasks(4)
    p0, p1 = rt.ps
    assert look_for(p1, clock, STEAL_AFTER * 0.9) is None, "not stuck for long enough yet"
    got = look_for(p1, clock, STEAL_AFTER * 0.3)
    assert got is not None and got.id in {100, 101}
    assert [t.id for t in p0.new] == [102, 103]  # the oldest half moved
    assert len(p1.new) == 1 and p0.steals_out == 2 and p1.steals_in == 2


def test_a_spawn_or_a_queued_task_counts_as_progress() -> None:
    rt, clock = runtime_with_new_tasks(2)
    p0, p1 = rt.ps
    assert look_for(p1, clock, STEAL_AFTER * 0.9) is None
    p0.spawned += 1  # main spawning in a loop is not stuck
    assert look_for(p1, clock, STEAL_AFTER * 0.9) is None
    p0.seq += 1  # a consumer readying the senders it drains is not stuck
    assert look_for(p1, clock, STEAL_AFTER * 0.9) is None
    assert look_for(p1, clock, STEAL_AFTER * 0.3) is not None


def test_only_a_watched_stretch_counts() -> None:
    """A gap in the thief's own looks (it slept, it was preempted) starts the watch over."""
    rt, clock = runtime_with_new_tasks(2)
    p0, p1 = rt.ps
    assert p1.seeker.steal() is None
    clock.now += STEAL_AFTER * 2  # not watching meanwhile
    assert p1.seeker.steal() is None
    assert look_for(p1, clock, STEAL_AFTER * 1.2) is not None


def test_sysmon_mark_makes_new_tasks_stealable_at_once() -> None:
    rt, _ = runtime_with_new_tasks(2)
    p0, p1 = rt.ps
    p0.frozen = p0.progress()  # what sysmon writes after a look without progress
    assert p1.seeker.steal() is not None
    p0.ticks += 1  # the mark is for that progress only
    p0.runqput(Task(200, print, (), {}))
    p0.runqput(Task(201, print, (), {}))
    assert p1.seeker.steal() is None


def test_spinning_only_without_the_gil_and_with_a_peer() -> None:
    assert runtime(1).spin is False
    assert runtime(2).spin is (not gil_enabled())


def test_spinners_are_bounded_by_busy_processors_and_cpus() -> None:
    rt = runtime(4)
    rt.spin = True
    rt.ncpu = 2
    p0, p1, p2, p3 = rt.ps
    rt.idle = [p2, p3]  # P0 runs, P1 found nothing
    assert rt.start_spinning(p1) is True and rt.nmspinning == 1
    rt.idle = [p3]  # P2 woke too: three threads would run or spin on two CPUs
    assert rt.start_spinning(p2) is False
    rt.stop_spinning(p1)
    assert rt.nmspinning == 0 and not p1.spinning


def test_wakep_wakes_nobody_while_a_processor_spins() -> None:
    rt = runtime(3)
    rt.spin = True
    p0, p1, p2 = rt.ps
    rt.idle = [p2]
    p1.spinning, rt.nmspinning = True, 1
    rt.wakep()
    assert rt.idle == [p2] and not p2.wake.is_set()
    rt.stop_spinning(p1)
    rt.wakep()  # now the idle one wakes, spinning
    assert rt.idle == [] and p2.wake.is_set() and p2.spinning and rt.nmspinning == 1


def test_spinning_ends_after_its_budget() -> None:
    clock = FakeClock()
    rt = runtime(2, clock=clock)
    rt.spin = True
    p1 = rt.ps[1]
    s = p1.seeker
    assert s.spin() is True and p1.spinning  # starts spinning
    clock.now += SPIN_TIME / 2
    assert s.spin() is True
    clock.now += SPIN_TIME
    assert s.spin() is True and not p1.spinning  # stopped; one more look first
    assert s.spin() is False  # then sleep
    assert rt.nmspinning == 0


# ---- in real runs ------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_new_tasks_behind_a_task_that_holds_its_processor_are_shared() -> None:
    """main spawns a burst, then runs without a scheduling point: the other processor must take
    some of the burst (by spinning without the GIL, through sysmon with it)."""
    ran_on: list[int] = []
    on_p1 = threading.Event()

    def job() -> None:
        p = current_processor()
        assert p is not None
        ran_on.append(p.id)
        if p.id != 0:
            on_p1.set()

    def main() -> int:
        for _ in range(16):
            cspy.go(job)
        deadline = time.monotonic() + 30
        while not on_p1.is_set() and time.monotonic() < deadline:
            pass  # CPU-bound, never yields: P0 is stuck with 16 new tasks queued
        return cspy.stats().steals

    steals = cspy.run(main, procs=2)
    assert on_p1.is_set(), "no task of the burst ran on P1 while P0 was held"
    assert steals >= 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [2, 4])
def test_a_pipeline_stays_on_one_processor(procs: int) -> None:
    """Three stages that only talk start on main's processor and are not split up."""
    homes: dict[str, int] = {}

    def stage(name: str, src: cspy.Chan[int] | None, dst: cspy.Chan[int]) -> None:
        p = current_processor()
        assert p is not None
        homes[name] = p.id
        if src is None:
            for i in range(3000):
                dst.send(i)
        else:
            for x in src:
                dst.send(x + 1)
        dst.close()

    def main() -> tuple[int, int]:
        a, b, c = cspy.Chan[int](), cspy.Chan[int](), cspy.Chan[int]()
        cspy.go(stage, "gen", None, a)
        cspy.go(stage, "inc1", a, b)
        cspy.go(stage, "inc2", b, c)
        total = sum(c)
        return total, cspy.stats().steals

    total, steals = cspy.run(main, procs=procs)
    assert total == sum(i + 2 for i in range(3000))
    assert steals == 0, homes
    assert set(homes.values()) == {0}, homes


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [2, 4])
def test_an_idle_runtime_does_not_spin(procs: int) -> None:
    """Every task asleep: the processors sleep too (sysmon's ticks are all the CPU used)."""

    def sleeper() -> None:
        cspy.sleep(1.5)

    def main() -> tuple[float, int]:
        for _ in range(4):
            cspy.go(sleeper)
        cspy.sleep(0.2)  # let any spinner run out of budget
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = cspy.stats()
            others = [p for p in st.procs if p.id != 0]
            if all(p.state == "idle" for p in others):
                break
            cspy.sleep(0.01)
        t0 = time.process_time()
        cspy.sleep(0.5)
        return time.process_time() - t0, cspy.stats().spinning

    cpu, spinning = cspy.run(main, procs=procs)
    # One spinning processor alone would use ~0.5 s of CPU here.
    assert cpu < 0.1, f"an idle runtime used {cpu:.3f} s of CPU in 0.5 s"
    assert spinning == 0


def test_a_wake_up_from_another_thread_counts_as_a_handoff() -> None:
    def main() -> tuple[int, int]:
        before = cspy.stats().handoffs
        cspy.blocking(time.sleep, 0.01)  # the offload thread readies us through our inbox
        st = cspy.stats()
        return before, st.handoffs

    before, after = cspy.run(main, procs=1)
    assert after == before + 1
