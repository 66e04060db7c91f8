"""The leak check (cspy/testing/leaks.py, bubble.py): tasks alive after main returned."""

from __future__ import annotations

import inspect
import time

import pytest

import cspy
from cspy import testing
from tests.conftest import PROCS


def here() -> int:
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


@pytest.mark.parametrize("procs", PROCS)
def test_leaked_tasks_are_listed_with_reason_object_and_spawn_site(procs: int) -> None:
    lines: dict[str, int] = {}

    def main() -> None:
        ch, full, other = cspy.Chan[int](name="never"), cspy.Chan[int](), cspy.Chan[int]()
        mu = cspy.Mutex()
        mu.lock()
        cspy.go(ch.recv, name="receiver"); lines["receiver"] = here()
        cspy.go(full.send, 1, name="sender"); lines["sender"] = here()
        cspy.go(lambda: cspy.select(cspy.Recv(ch), cspy.Recv(other)), name="selector"); lines["selector"] = here()
        cspy.go(cspy.sleep, 60, name="sleeper"); lines["sleeper"] = here()
        cspy.go(mu.lock, name="locker"); lines["locker"] = here()

    with pytest.raises(testing.LeakError) as info:
        testing.run(main, procs=procs)
    err = info.value
    assert isinstance(err, AssertionError)
    by_name = {leak.name: leak for leak in err.leaks}
    assert set(by_name) == {"receiver", "sender", "selector", "sleeper", "locker"}
    reasons = {name: leak.reason for name, leak in by_name.items()}
    assert reasons == {"receiver": "chan receive", "sender": "chan send", "selector": "select",
                       "sleeper": "sleep", "locker": "sync.Mutex.Lock"}
    assert "'never'" in (by_name["receiver"].waiting_on or "")
    for name, line in lines.items():
        assert by_name[name].spawned_at == f"{__file__}:{line}", name
    message = str(err)
    assert message.startswith("5 tasks leaked")
    assert f"'receiver' [chan receive]:\n  waiting on <Chan 'never'" in message
    assert f"spawned at {__file__}:{lines['sleeper']}" in message


def test_the_leak_report_shows_where_a_task_waits() -> None:
    def stuck(ch: cspy.Chan[int]) -> None:
        ch.recv()

    def main() -> None:
        cspy.go(stuck, cspy.Chan[int]())

    with pytest.raises(testing.LeakError) as info:
        testing.run(main)
    (leak,) = info.value.leaks
    assert any(frame.startswith("test_the_leak_report_shows_where_a_task_waits.stuck(...)") for frame in leak.stack)
    assert leak.reason == "chan receive"


def test_spawn_sites_skip_cspy_frames() -> None:
    # wg.go spawns from inside cspy: the site is the program's own line.
    def main() -> None:
        wg = cspy.WaitGroup()
        wg.go(cspy.Chan[int]().recv); line = here()
        main.line = line  # type: ignore[attr-defined]

    with pytest.raises(testing.LeakError) as info:
        testing.run(main)
    assert info.value.leaks[0].spawned_at == f"{__file__}:{main.line}"  # type: ignore[attr-defined]


def test_tasks_that_can_still_run_after_main_are_not_leaks_but_sleepers_are() -> None:
    finished: list[int] = []

    def main() -> str:
        out = cspy.Chan[int](3)
        for i in range(3):
            cspy.go(lambda i=i: (out.send(i), cspy.gosched(), finished.append(i)))
        return "ok"

    assert testing.run(main) == "ok"
    assert sorted(finished) == [0, 1, 2]

    def sleepy() -> None:
        cspy.go(cspy.sleep, 1, name="late")

    # After main, nothing may wait for the clock to move: a sleeper is alive when the check runs.
    with pytest.raises(testing.LeakError, match="'late' \\[sleep\\]"):
        testing.run(sleepy)


def test_a_pending_blocking_call_is_waited_for_not_leaked() -> None:
    finished: list[bool] = []

    def main() -> None:
        cspy.go(lambda: (cspy.blocking(time.sleep, 0.05), finished.append(True)))
        cspy.gosched()

    testing.run(main)
    assert finished == [True]


def test_leaks_off_returns_when_main_returns() -> None:
    def main() -> int:
        cspy.go(cspy.Chan[int]().recv)
        return 5

    assert testing.run(main, leaks="off") == 5


def test_a_leak_is_not_a_deadlock_and_a_deadlock_is_not_a_leak() -> None:
    def leak() -> None:
        cspy.go(cspy.Chan[int]().recv)

    def deadlock() -> None:
        cspy.go(cspy.Chan[int]().recv)
        cspy.Chan[int]().recv()

    with pytest.raises(testing.LeakError):
        testing.run(leak)
    with pytest.raises(cspy.DeadlockError):
        testing.run(deadlock)
