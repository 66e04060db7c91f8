"""API.md, Runtime table and failure semantics, for procs in {1, 2, 4}."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

import cspy
from cspy import testing
from cspy.scheduler import Runtime, TaskState, WaitReason, running
from tests.conftest import PROCS
from tests.stress.util import settle, wait_parked

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("procs", PROCS)
def test_run_returns_main_result_with_args(procs: int) -> None:
    assert cspy.run(lambda a, b=0: a + b, 40, b=2, procs=procs) == 42


def test_run_validates_procs() -> None:
    with pytest.raises(ValueError, match="procs must be >= 1"):
        cspy.run(lambda: None, procs=0)
    with pytest.raises(TypeError, match="procs must be an int"):
        cspy.run(lambda: None, procs=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        cspy.run(42)  # type: ignore[arg-type]


def test_cspy_procs_env_sets_default_explicit_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSPY_PROCS", "3")
    assert cspy.run(lambda: cspy.stats().procs.__len__()) == 3
    assert cspy.run(lambda: len(cspy.stats().procs), procs=2) == 2
    monkeypatch.setenv("CSPY_PROCS", "lots")
    with pytest.raises(ValueError, match="CSPY_PROCS"):
        cspy.run(lambda: None)


def test_procs_none_is_the_documented_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # docs/design.md: 1 processor with the GIL, one per usable CPU without it.
    monkeypatch.delenv("CSPY_PROCS", raising=False)
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    expected = 1 if gil else len(os.sched_getaffinity(0))
    assert cspy.run(lambda: len(cspy.stats().procs)) == expected
    assert cspy.run(lambda: len(cspy.stats().procs), procs=None) == expected


@pytest.mark.parametrize("procs", PROCS)
def test_go_passes_arguments_through(procs: int) -> None:
    # Everything but ``name`` reaches fn, even a keyword called ``fn`` (fn is positional-only),
    # whether go() is called from a task or from a foreign thread (an offload thread here).
    def main() -> list[tuple[object, str]]:
        out = cspy.Chan[object](1)

        def fn(a: int, b: int, *rest: int, c: int = 0, **extra: int) -> None:
            out.send((a, b, rest, c, extra))

        def spawn() -> str:
            return cspy.go(fn, 1, 2, 3, c=4, d=5, fn=6, name="worker").name

        in_task = spawn()
        got = [(out.recv(), in_task)]
        from_thread = cspy.blocking(spawn)
        return got + [(out.recv(), from_thread)]

    want = ((1, 2, (3,), 4, {"d": 5, "fn": 6}), "worker")
    assert cspy.run(main, procs=procs) == [want, want]


def test_go_outside_run_says_to_use_run() -> None:
    with pytest.raises(RuntimeError, match=r"cspy\.run"):
        cspy.go(lambda: None)
    with pytest.raises(RuntimeError, match=r"cspy\.run"):
        cspy.sleep(0.1)
    with pytest.raises(RuntimeError, match=r"cspy\.run"):
        cspy.current_task()
    with pytest.raises(TypeError, match="callable"):
        cspy.run(lambda: cspy.go(3))  # type: ignore[arg-type]


def test_nested_run_is_an_error() -> None:
    def main() -> None:
        cspy.run(lambda: None)

    with pytest.raises(RuntimeError, match="cspy.go"):
        cspy.run(main)
    assert running() is None


@pytest.mark.parametrize("procs", PROCS)
def test_task_ids_unique_main_is_one(procs: int) -> None:
    def main() -> tuple[int, str, list[int]]:
        ids: list[int] = []
        wg = cspy.WaitGroup()
        for _ in range(50):
            wg.add(1)

            def child() -> None:
                ids.append(cspy.current_task().id)
                wg.done()

            cspy.go(child)
        wg.wait()
        me = cspy.current_task()
        return me.id, me.name, ids

    tid, name, ids = cspy.run(main, procs=procs)
    assert (tid, name) == (1, "main")
    assert len(set(ids)) == 50 and 1 not in ids


@pytest.mark.parametrize("procs", PROCS)
def test_task_snapshot_reads_state_reason_and_home(procs: int) -> None:
    # What observers on other threads read instead of the attributes (Task.snapshot).
    def main() -> tuple[object, ...]:
        ch = cspy.Chan[int]()
        t = cspy.go(ch.recv)
        wait_parked(t, WaitReason.CHAN_RECEIVE)
        parked = t.snapshot()
        ch.send(1)
        me = cspy.current_task()
        return me.snapshot(), me.home, parked

    mine, home, parked = cspy.run(main, procs=procs)
    assert mine[0] is TaskState.RUNNING and mine[2] is home and home is not None
    state, reason, where = parked  # type: ignore[misc]
    assert (state, reason) == (TaskState.WAITING, WaitReason.CHAN_RECEIVE) and where is not None


@pytest.mark.parametrize("procs", PROCS)
def test_num_tasks_counts_live_tasks(procs: int) -> None:
    def main() -> list[int]:
        seen = [cspy.num_tasks()]
        release = cspy.WaitGroup()
        release.add(1)
        done = cspy.WaitGroup()
        for _ in range(10):
            done.add(1)
            cspy.go(lambda: (release.wait(), done.done()))
        seen.append(cspy.num_tasks())
        release.done()
        done.wait()
        # A task is counted out just after its last statement (done.done()): wait for that.
        settle(lambda: cspy.num_tasks() == 1)
        seen.append(cspy.num_tasks())
        return seen

    assert cspy.run(main, procs=procs) == [1, 11, 1]
    assert cspy.num_tasks() == 0


def test_gosched_interleaves_round_robin() -> None:
    def main() -> list[str]:
        out: list[str] = []
        wg = cspy.WaitGroup()
        for name in "ab":
            wg.add(1)

            def worker(name: str = name) -> None:
                for i in range(3):
                    out.append(f"{name}{i}")
                    cspy.gosched()
                wg.done()

            cspy.go(worker)
        wg.wait()
        return out

    # As in Go: the newest task sits in runnext and runs first; gosched sends a task to the tail.
    assert cspy.run(main, procs=1) == ["b0", "a0", "b1", "a1", "b2", "a2"]


@pytest.mark.parametrize("procs", PROCS)
def test_spawn_100k_each_runs_once(procs: int) -> None:
    n = 100_000

    def main() -> tuple[list[int], int]:
        runs: list[int] = []  # list.append is atomic on every build: a task run twice shows
        wg = cspy.WaitGroup()
        wg.add(n)

        def work(i: int) -> None:
            runs.append(i)
            wg.done()

        for i in range(n):
            cspy.go(work, i)
        # Hold this processor (its thread sleeps, releasing the GIL) until another one, having
        # drained the global queue, steals from our local queue.
        deadline = time.monotonic() + 10
        while procs > 1 and cspy.stats().steals == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
        wg.wait()
        return runs, cspy.stats().steals

    runs, steals = cspy.run(main, procs=procs)
    assert sorted(runs) == list(range(n))
    if procs > 1:
        assert steals > 0
    else:
        assert steals == 0


@pytest.mark.parametrize("procs", [2, 4])
def test_pinned_task_resumes_on_its_home_thread(procs: int) -> None:
    """Tasks started on every processor, woken from other threads, resume where they began."""

    def main() -> list[tuple[int, int]]:
        gate = cspy.WaitGroup()
        gate.add(1)
        done = cspy.WaitGroup()
        seen: list[tuple[int, int]] = []

        def worker() -> None:
            before = threading.get_ident()
            for _ in range(3):
                cspy.gosched()  # give other processors a chance to steal
            gate.wait()  # woken by main, whatever processor main is on
            mid = threading.get_ident()
            cspy.blocking(time.sleep, 0.001)  # woken by an offload thread
            seen.append((before, mid))
            seen.append((before, threading.get_ident()))
            done.done()

        for _ in range(200):
            done.add(1)
            cspy.go(worker)
        time.sleep(0.05)  # hold this processor (releasing the GIL): idle ones steal meanwhile
        cspy.sleep(0.05)
        gate.done()
        done.wait()
        return seen

    seen = cspy.run(main, procs=procs)
    assert len(seen) == 400
    assert all(a == b for a, b in seen)
    assert len({a for a, _ in seen}) > 1, "expected tasks on more than one thread"


@pytest.mark.parametrize("procs", PROCS)
def test_timers_fire_in_deadline_order_never_early(procs: int) -> None:
    delays = [0.05, 0.01, 0.03, 0.0001, 0.02, 0.04]

    def main() -> list[tuple[float, float, float]]:
        out: list[tuple[float, float, float]] = []  # (delay, deadline, woke), in wake-up order
        wg = cspy.WaitGroup()
        for d in delays:
            wg.add(1)

            def sleeper(d: float = d) -> None:
                start = time.monotonic()
                cspy.sleep(d)
                out.append((d, start + d, time.monotonic()))
                wg.done()

            cspy.go(sleeper)
        wg.wait()
        return out

    out = cspy.run(main, procs=procs)
    assert sorted(d for d, _, _ in out) == sorted(delays)
    assert all(woke >= deadline for _, deadline, woke in out), "a sleep ended early"
    if procs == 1:
        # Wake-ups follow the deadlines (start + delay), not the delays: on a loaded machine the
        # sleepers may start far apart. ``start`` is read just before ``sleep`` reads the clock,
        # so deadlines closer than a millisecond may legitimately swap.
        deadlines = [deadline for _, deadline, _ in out]
        for a, b in zip(deadlines, deadlines[1:]):
            assert a <= b + 0.001, f"woke out of deadline order: {out}"


@pytest.mark.parametrize("procs", PROCS)
def test_timers_fire_in_deadline_order_at_exact_instants(procs: int) -> None:
    # The same sleepers in virtual time (cspy.testing): each wakes exactly at its deadline, and
    # in deadline order, on every processor count -- no tolerance for a loaded machine needed.
    delays = [5, 1, 3, 0.125, 2, 4, 0.5, 1 + 2**-10]  # two deadlines ~1 ms apart

    def main() -> list[tuple[float, float]]:
        out = cspy.Chan[tuple[float, float]](len(delays))
        wg = cspy.WaitGroup()
        for d in delays:
            wg.go(lambda d=d: (cspy.sleep(d), out.send((d, cspy.now()))))
        wg.wait()
        out.close()
        return list(out)

    assert testing.run(main, procs=procs) == [(d, float(d)) for d in sorted(delays)]


def test_sleep_zero_or_negative_yields_and_bad_input() -> None:
    def main() -> list[str]:
        out: list[str] = []
        cspy.go(lambda: out.append("other"))
        cspy.sleep(0)
        out.append("main")
        cspy.go(lambda: out.append("other2"))
        cspy.sleep(-1)
        out.append("main2")
        with pytest.raises(TypeError, match="seconds"):
            cspy.sleep("1")  # type: ignore[arg-type]
        return out

    assert cspy.run(main, procs=1) == ["other", "main", "other2", "main2"]


@pytest.mark.parametrize("procs", PROCS)
def test_deadlock_is_reported_with_every_task(procs: int) -> None:
    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(1)
        cspy.go(wg.wait, name="stuck-worker")
        wg.wait()

    with pytest.raises(cspy.DeadlockError) as info:
        cspy.run(main, procs=procs)
    msg = str(info.value)
    assert msg.startswith("all tasks are asleep - deadlock!")
    assert "task 1 'main' [sync.WaitGroup.Wait]" in msg
    assert "'stuck-worker' [sync.WaitGroup.Wait]" in msg


@pytest.mark.parametrize("procs", PROCS)
def test_no_false_deadlock_while_sleep_pending(procs: int) -> None:
    def main() -> str:
        wg = cspy.WaitGroup()
        wg.add(1)
        cspy.go(lambda: (cspy.sleep(0.2), wg.done()))
        wg.wait()
        return "ok"

    assert cspy.run(main, procs=procs) == "ok"


@pytest.mark.parametrize("procs", PROCS)
def test_no_false_deadlock_while_blocking_call_pending(procs: int) -> None:
    def main() -> str:
        wg = cspy.WaitGroup()
        wg.add(1)
        cspy.go(lambda: (cspy.blocking(time.sleep, 0.2), wg.done()))
        wg.wait()
        return "ok"

    assert cspy.run(main, procs=procs) == "ok"


def test_deadlock_detected_after_timer_cancelled() -> None:
    def main() -> None:
        t = cspy.scheduler.add_timer(3600, lambda _: None, None)
        assert t.cancel() is True and t.cancel() is False
        wg = cspy.WaitGroup()
        wg.add(1)
        wg.wait()

    with pytest.raises(cspy.DeadlockError):
        cspy.run(main, procs=2)


class Boom(Exception):
    pass


@pytest.mark.parametrize("procs", PROCS)
def test_exception_in_task_is_reraised_same_object(procs: int) -> None:
    raised: list[BaseException] = []

    def bad() -> None:
        exc = Boom("bad")
        raised.append(exc)
        raise exc

    def main() -> None:
        cspy.go(bad, name="bad-task")
        cspy.sleep(5)

    with pytest.raises(Boom) as info:
        cspy.run(main, procs=procs)
    assert info.value is raised[0]
    assert any("bad-task" in n for n in info.value.__notes__)


def test_exception_in_main_propagates() -> None:
    with pytest.raises(Boom, match="main failed"):
        cspy.run(lambda: (_ for _ in ()).throw(Boom("main failed")))


@pytest.mark.parametrize("procs", PROCS)
def test_blocking_returns_result_or_reraises(procs: int) -> None:
    def fails() -> None:
        raise Boom("in offload")

    def main() -> tuple[int, str]:
        got = cspy.blocking(lambda a, b: a * b, 6, b=7)
        try:
            cspy.blocking(fails)
        except Boom as exc:
            return got, str(exc)
        return got, "not raised"

    assert cspy.run(main, procs=procs) == (42, "in offload")


def test_blocking_call_does_not_block_the_processor() -> None:
    def main() -> int:
        count = [0]
        stop = [False]

        def counter() -> None:
            while not stop[0]:
                count[0] += 1
                cspy.gosched()

        cspy.go(counter)
        cspy.blocking(time.sleep, 0.1)
        stop[0] = True
        return count[0]

    assert cspy.run(main, procs=1) > 10


@pytest.mark.parametrize("procs", PROCS)
def test_no_thread_left_and_restart(procs: int) -> None:
    before = threading.active_count()
    for _ in range(3):
        assert cspy.run(lambda: cspy.blocking(lambda: 1), procs=procs) == 1
        assert threading.active_count() == before
    with pytest.raises(Boom):
        cspy.run(lambda: cspy.go(lambda: (_ for _ in ()).throw(Boom())) and cspy.sleep(1), procs=procs)
    assert threading.active_count() == before
    with pytest.raises(cspy.DeadlockError):
        cspy.run(lambda: cspy.WaitGroup().add(1) or _wait_forever(), procs=procs)
    assert threading.active_count() == before


def _wait_forever() -> None:
    wg = cspy.WaitGroup()
    wg.add(1)
    wg.wait()


def test_abandoned_tasks_unwind_when_run_returns() -> None:
    cleaned: list[int] = []

    def sleeper(i: int) -> None:
        try:
            cspy.sleep(3600)
        finally:
            cleaned.append(i)

    def main() -> None:
        for i in range(5):
            cspy.go(sleeper, i)
        cspy.sleep(0.01)

    cspy.run(main, procs=2)
    assert sorted(cleaned) == [0, 1, 2, 3, 4]


def test_seed_makes_random_choices_reproducible() -> None:
    def main() -> list[float]:
        return [cspy.scheduler.rand().random() for _ in range(5)]

    a = cspy.run(main, procs=1, seed=7)
    assert a == cspy.run(main, procs=1, seed=7)
    assert a != cspy.run(main, procs=1, seed=8)


@pytest.mark.parametrize("procs", [1, 2])
def test_sysmon_reports_task_holding_processor(procs: int) -> None:
    def hog() -> None:
        # Hold the processor until sysmon has seen it (it wakes every 5 ms, but on a loaded
        # machine its wake-ups can be late): at least 50 ms, at most 5 s.
        start = time.monotonic()
        while time.monotonic() - start < 0.05 or (
            cspy.stats().long_running == 0 and time.monotonic() - start < 5
        ):
            pass

    def main() -> cspy.Stats:
        cspy.go(hog, name="hog")
        cspy.sleep(0.06)
        return cspy.stats()

    st = cspy.run(main, procs=procs)
    assert st.long_running >= 1
    assert any(r.task_name == "hog" and r.held >= 0.010 for r in st.long_running_recent)


@pytest.mark.parametrize("procs", PROCS)
def test_stats_snapshot_shape(procs: int) -> None:
    def main() -> cspy.Stats:
        wg = cspy.WaitGroup()
        wg.add(1)
        for _ in range(3):
            wait_parked(cspy.go(wg.wait), WaitReason.WAITGROUP)
        wait_parked(cspy.go(cspy.sleep, 10), WaitReason.SLEEP)
        st = cspy.stats()
        wg.done()
        return st

    st = cspy.run(main, procs=procs)
    assert st.running and len(st.procs) == procs
    assert st.parked.get("sync.WaitGroup.Wait") == 3
    assert st.parked.get("sleep") == 1
    assert st.timers >= 1
    assert st.tasks == 5
    assert st.procs[0].thread == threading.main_thread().name
    assert not cspy.stats().running


def test_tiny_run_queue_spills_to_global_and_still_runs_each_task_once() -> None:
    """Go's runq shrunk to 4 slots: overflow goes to the global queue and still runs once."""
    rt = Runtime(2, runq_size=4)
    rt.start()
    n = 2000
    runs: list[int] = []  # list.append is atomic on every build: a task run twice shows

    def main() -> int:
        wg = cspy.WaitGroup()
        wg.add(n)

        def work(i: int) -> None:
            runs.append(i)
            wg.done()

        spilled = 0  # the most tasks seen waiting in the global queue
        for i in range(n):
            cspy.go(work, i)
            spilled = max(spilled, len(rt.glob))
        wg.wait()
        return spilled

    try:
        spilled = rt.run_main(main, (), {})
    finally:
        rt.finish()
    assert spilled > 0, "2000 spawns into 4 local slots never reached the global queue"
    assert sorted(runs) == list(range(n))


def test_go_from_a_foreign_thread_runs_on_the_runtime() -> None:
    def main() -> int:
        wg = cspy.WaitGroup()
        wg.add(1)
        out: list[int] = []

        def spawn_from_offload_thread() -> None:
            cspy.go(lambda: (out.append(threading.get_ident()), wg.done()))

        cspy.blocking(spawn_from_offload_thread)
        wg.wait()
        return out[0]

    assert cspy.run(main, procs=1) == threading.get_ident()


def test_infinite_and_huge_sleeps() -> None:
    """sleep(inf) never ends, so alone it is a deadlock; a huge finite sleep is just pending."""

    def main() -> str:
        cspy.go(cspy.sleep, float("inf"))
        cspy.go(cspy.sleep, 1e300)
        cspy.sleep(0.01)
        return "ok"

    assert cspy.run(main, procs=2) == "ok"
    with pytest.raises(cspy.DeadlockError, match=r"\[sleep\]"):
        cspy.run(cspy.sleep, float("inf"))
