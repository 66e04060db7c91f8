"""cspy.dump_tasks() (Go's goroutine dump) and the describe() header it shares with DeadlockError."""

from __future__ import annotations

import re
import sys
import threading
import time

import pytest

import cspy
from cspy.scheduler import Task, TaskState, WaitReason
from cspy.scheduler import dump
from cspy.scheduler.dump import describe
from cspy.sync import Mutex
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(30)

HEADER = re.compile(r"^task (\d+)(?: '([^']*)')? \[([^\]]+)\]:$", re.M)


def headers(dump: str) -> dict[int, tuple[str, str]]:
    """task id -> (name, bracket text) for every task block in a dump."""
    return {int(m[1]): (m[2] or "", m[3]) for m in HEADER.finditer(dump)}


def block(dump: str, tid: int) -> str:
    for b in dump.split("\n\n"):
        if b.startswith(f"task {tid} ") or b.startswith(f"task {tid}\n"):
            return b
    raise AssertionError(f"task {tid} not in dump:\n{dump}")


def wait_on_recv(ch: cspy.Chan[int]) -> None:
    ch.recv()


def wait_on_send(ch: cspy.Chan[int]) -> None:
    ch.send(1)


def wait_on_select(a: cspy.Chan[int], b: cspy.Chan[int]) -> None:
    cspy.select(cspy.Recv(a), cspy.Recv(b))


def wait_on_lock(mu: Mutex) -> None:
    mu.lock()


@pytest.mark.parametrize("procs", PROCS)
def test_dump_lists_every_task_with_its_wait_reason_and_stack(procs: int) -> None:
    def main() -> str:
        unbuffered = cspy.Chan[int](name="requests")
        full = cspy.Chan[int](1)
        full.send(0)
        mu = Mutex()
        mu.lock()
        wg = cspy.WaitGroup()
        wg.add(1)
        tasks = [
            cspy.go(wait_on_recv, unbuffered, name="receiver"),
            cspy.go(wait_on_send, full, name="sender"),
            cspy.go(cspy.sleep, 30.0, name="sleeper"),
            cspy.go(wg.wait, name="waiter"),
            cspy.go(wait_on_select, cspy.Chan[int](), cspy.Chan[int]()),
            cspy.go(wait_on_lock, mu, name="locker"),
        ]
        deadline = time.monotonic() + 10
        while any(t.state is not TaskState.WAITING for t in tasks) and time.monotonic() < deadline:
            cspy.sleep(0.001)
        return cspy.dump_tasks()

    dump = cspy.run(main, procs=procs)
    hs = headers(dump)
    assert list(hs) == sorted(hs) and next(iter(hs)) == 1, "main first, then by id"
    assert hs[1] == ("main", "running")
    by_name = {name: (tid, what) for tid, (name, what) in hs.items()}
    assert by_name["receiver"][1] == "chan receive"
    assert by_name["sender"][1] == "chan send"
    assert by_name["sleeper"][1] == "sleep"
    assert by_name["waiter"][1] == "sync.WaitGroup.Wait"
    assert by_name["locker"][1] == "sync.Mutex.Lock"
    assert "select" in [what for name, what in hs.values() if name == ""]
    assert len(hs) == 7
    # stacks: innermost first, file:line, the scheduler's own frames left out
    recv_block = block(dump, by_name["receiver"][0])
    assert "waiting on <Chan 'requests'" in recv_block
    lines = recv_block.splitlines()
    assert lines.index("  wait_on_recv(...)") > 0 and lines[1].startswith("  waiting on")
    assert any(re.fullmatch(r"      .*test_dump\.py:\d+", ln) for ln in lines)
    assert "/cspy/scheduler/processor.py" not in dump and "/cspy/scheduler/runner.py" not in dump
    assert "  park(...)" not in dump
    main_block = block(dump, 1)
    assert main_block.splitlines()[1].strip().endswith("main(...)"), "the caller's frame is the top of main"


@pytest.mark.parametrize("procs", [1, 2])
def test_dump_from_another_thread_names_a_running_task_but_does_not_walk_its_stack(procs: int) -> None:
    # Another thread's frames are walked only when every processor is stopped (dump.py): a
    # plain thread's dump while a task spins shows the task and says where its stack is.
    spinning = threading.Event()
    stop = threading.Event()
    dumps: list[str] = []

    def spin_here() -> None:
        spinning.set()
        while not stop.is_set():  # holds its processor without yielding until told to stop
            pass

    def observer() -> None:  # a plain thread, not a processor
        try:
            if spinning.wait(10):
                dumps.append(cspy.dump_tasks())
        finally:
            stop.set()

    def main() -> None:
        wg = cspy.WaitGroup()
        wg.add(1)

        def spinner() -> None:
            try:
                spin_here()
            finally:
                wg.done()

        cspy.go(spinner, name="spinner")
        wg.wait()

    th = threading.Thread(target=observer)
    th.start()
    try:
        cspy.run(main, procs=procs)
    finally:
        stop.set()
        th.join()
    spinner_block = [b for b in dumps[0].split("\n\n") if "'spinner'" in b][0]
    assert spinner_block.startswith("task 2 'spinner' [running]:")
    hidden = [f"  (stack not shown: on P{i}'s thread, which is running)" for i in range(procs)]
    assert spinner_block.splitlines()[1] in hidden, spinner_block
    assert "spin_here" not in dumps[0]
    assert "task 1 'main' [sync.WaitGroup.Wait]:" in dumps[0]


def test_new_task_shows_its_function() -> None:
    def later() -> None:
        pass

    def main() -> str:
        cspy.go(later)
        return cspy.dump_tasks()  # main has not yielded: the new task never ran

    dump = cspy.run(main, procs=1)
    assert "task 2 [runnable]:\n  not started: " in dump and "later(...)" in dump


def test_dump_outside_a_runtime_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match=r"needs a running runtime.*cspy\.run\(\)"):
        cspy.dump_tasks()


def test_describe_header() -> None:
    assert describe(Task(7, print, (), {}), 0.0) == "task 7 [runnable]:"
    t = Task(7, print, (), {}, name="worker-3")
    t.state = TaskState.WAITING
    t.reason = WaitReason.CHAN_RECEIVE
    t.wait_since = 10.0
    assert describe(t, 10.5) == "task 7 'worker-3' [chan receive]:"  # short waits: no time
    assert describe(t, 12.1) == "task 7 'worker-3' [chan receive, 2.1s]:"
    t.state = TaskState.RUNNING
    assert describe(t, 12.1) == "task 7 'worker-3' [running]:"


def test_deadlock_message_uses_the_dump() -> None:
    def main() -> None:
        cspy.go(wait_on_recv, cspy.Chan[int](name="never"), name="stuck")
        cspy.Chan[int]().recv()

    with pytest.raises(cspy.DeadlockError) as err:
        cspy.run(main, procs=1)
    msg = str(err.value)
    assert msg.startswith("all tasks are asleep - deadlock!")
    assert "task 1 'main' [chan receive]:" in msg
    assert "task 2 'stuck' [chan receive]:\n  waiting on <Chan 'never'" in msg
    assert "wait_on_recv(...)" in msg


@pytest.mark.parametrize("gil", [True, False])
def test_a_dump_walks_only_its_own_processors_stacks(monkeypatch: pytest.MonkeyPatch, gil: bool) -> None:
    # Another thread's frames may be freed under the reader: a dump walks stacks only of tasks
    # of the calling thread's own processor, or when the caller knows every processor is
    # stopped (the deadlock check). Wait objects are read with the GIL; without it, likewise.
    from cspy.scheduler.runtime import running

    monkeypatch.setattr(dump, "gil_enabled", lambda: gil)
    dumps: dict[str, str] = {}

    def main() -> None:
        ch = cspy.Chan[int](name="jobs")
        cspy.go(wait_on_recv, ch, name="parked")
        cspy.gosched()  # it starts, and parks on ch
        cspy.go(wait_on_recv, ch, name="unstarted")
        rt = running()
        assert rt is not None
        dumps["own"] = cspy.dump_tasks()  # from main: P0 is this thread's processor
        foreign = threading.Thread(target=lambda: dumps.update(foreign=dump.dump_runtime(rt)))
        foreign.start()
        foreign.join()  # main holds P0 meanwhile: nothing moves, but the rule cannot know that
        dumps["stopped"] = dump.dump_runtime(rt, sys._getframe(), stopped=True)
        ch.send(1)
        ch.send(2)

    cspy.run(main, procs=1)
    for key in ("own", "stopped"):
        parked = block(dumps[key], 2)
        assert "waiting on <Chan 'jobs'" in parked and "  wait_on_recv(...)" in parked, (key, parked)
    foreign = dumps["foreign"]
    assert headers(foreign)[2] == ("parked", "chan receive")
    assert block(foreign, 2).splitlines()[-1] == "  (stack not shown: on P0's thread, which is running)"
    assert ("waiting on <Chan 'jobs'" in block(foreign, 2)) is gil
    assert "wait_on_recv(...)" not in block(foreign, 2) and "main(...)" not in foreign
    # an unstarted task's function is read with the GIL; without it, only where nothing moves
    unstarted = "  not started: wait_on_recv(...)" if gil else "  not started"
    assert block(foreign, 3).splitlines()[1:] == [unstarted], block(foreign, 3)
    assert "  not started: wait_on_recv(...)" in block(dumps["stopped"], 3)
