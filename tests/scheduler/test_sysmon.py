"""sysmon.py: it sleeps while every processor sleeps, and wakes with the first one that wakes."""

from __future__ import annotations

import time

import pytest

import cspy
from cspy.scheduler.processor import current_processor

PROCS = [1, 2, 4]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_sysmon_sleeps_while_every_processor_sleeps(procs: int) -> None:
    def main() -> int:
        sysmon = current_processor().rt.sysmon
        for _ in range(4):
            cspy.go(cspy.sleep, 1.0)
        cspy.sleep(0.05)  # every task asleep, spinners out of budget
        before = sysmon.looks
        cspy.sleep(0.5)
        return int(sysmon.looks - before)

    looks = cspy.run(main, procs=procs)
    # At its working cadence sysmon would look ~100 times in 0.5 s; asleep, it looks as the
    # processors go to sleep and as main's timer wakes one. (A loaded machine only lowers it.)
    assert looks <= 6, f"sysmon looked {looks} times in 0.5 s of an idle runtime"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_a_processor_woken_after_an_idle_spell_is_watched_again(procs: int) -> None:
    """No lost wake-up: sysmon asleep, a timer wakes main, which spawns a task that holds its
    processor; sysmon must wake with that processor and report the task."""

    def hog() -> None:
        start = time.monotonic()
        while cspy.stats().long_running == 0 and time.monotonic() - start < 5:
            pass

    def main() -> cspy.Stats:
        sysmon = current_processor().rt.sysmon
        cspy.sleep(0.2)
        slept_at = sysmon.looks
        cspy.go(hog, name="hog")
        cspy.sleep(0.05)
        st = cspy.stats()
        assert sysmon.looks > slept_at
        return st

    st = cspy.run(main, procs=procs)
    assert any(r.task_name == "hog" for r in st.long_running_recent), st.long_running_recent
