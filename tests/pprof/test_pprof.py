"""Block, mutex and goroutine profiles as written, read back (protobuf) and by go tool pprof."""

from __future__ import annotations

import io
import pathlib
import time
from collections.abc import Iterator

import pytest

import cspy
import cspy.pprof
from cspy.pprof import _block, _mutex
from tests.pprof.profiles import go_raw, read


@pytest.fixture
def profiles() -> Iterator[None]:
    _block.reset()
    _mutex.reset()
    cspy.pprof.set_block_profile_rate(1)
    cspy.pprof.set_mutex_profile_fraction(1)
    try:
        yield
    finally:
        cspy.pprof.set_block_profile_rate(0)
        cspy.pprof.set_mutex_profile_fraction(0)
        _block.reset()
        _mutex.reset()


def _receiver_waits(procs: int) -> None:
    def main() -> None:
        ch = cspy.Chan(name="jobs")

        def late() -> None:
            cspy.blocking(time.sleep, 0.02)  # ~20 ms before the send
            ch.send(1)

        cspy.go(late, name="late")
        assert ch.recv() == 1

    cspy.run(main, procs=procs)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2])
def test_block_profile_shows_the_wait_at_recv(profiles: None, procs: int, tmp_path: pathlib.Path) -> None:
    _receiver_waits(procs)
    path = tmp_path / "block.pb.gz"
    cspy.pprof.write("block", str(path))
    prof = read(path.read_bytes())
    assert prof.sample_types == [("contentions", "count"), ("delay", "nanoseconds")]
    assert prof.period_type == ("contentions", "count") and prof.period == 1
    # The wait's stack: the channel's own frames, then the program's. (Compiled, the channel's
    # functions have no Python frames: the stack starts at the program's call.)
    chan = ["Chan._wait_to_recv", "Chan.recv"] if cspy.build.BUILD == "pure" else []
    where = chan + ["_receiver_waits.<locals>.main"]
    recv = [s for s in prof.samples if s.functions[: len(where)] == where]
    assert len(recv) == 1, [s.functions for s in prof.samples]
    count, delay = recv[0].values
    assert count == 1 and delay >= 15_000_000, recv[0]  # ~20 ms waited
    assert recv[0].labels == {"reason": "chan receive", "P": "0", "chan": "jobs"}
    assert "_receiver_waits.<locals>.main" in recv[0].functions
    raw = go_raw(str(path))  # Go's own reader
    assert "contentions/count delay/nanoseconds" in raw
    assert "_receiver_waits.<locals>.main" in raw and "reason:[chan receive]" in raw
    assert ("Chan.recv" in raw) == (cspy.build.BUILD == "pure")


def _contended(procs: int) -> None:
    def main() -> None:
        mu = cspy.Mutex()
        wg = cspy.WaitGroup()
        inside = cspy.AtomicInt()

        def worker() -> None:
            with mu:
                inside.add(1)
                cspy.blocking(time.sleep, 0.05)  # held 50 ms, the others wait
            wg.done()

        for _ in range(5):  # one holder and 4 waiters, each then holding it 50 ms in turn
            wg.add(1)
            cspy.go(worker)
        wg.wait()
        assert inside.load() == 5

    cspy.run(main, procs=procs)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2])
def test_mutex_profile_charges_the_unlocker(profiles: None, procs: int, tmp_path: pathlib.Path) -> None:
    _contended(procs)
    path = tmp_path / "mutex.pb.gz"
    cspy.pprof.write("mutex", str(path))
    prof = read(path.read_bytes())
    assert prof.sample_types == [("contentions", "count"), ("delay", "nanoseconds")]
    # The unlocker's stack: Mutex.unlock, then the program's. (Compiled, Mutex's functions have
    # no Python frames: the stack starts at the program's call, and the label names the unlock.)
    unlocks = [s for s in prof.samples if s.labels.get("reason") == "sync.Mutex.Unlock"]
    assert unlocks and all(("Mutex.unlock" in s.functions) == (cspy.build.BUILD == "pure") for s in unlocks)
    count = sum(s.values[0] for s in unlocks)
    delay = sum(s.values[1] for s in unlocks)
    # Go's semrelease rule: each unlock is charged the woken waiter's wait since the previous
    # unlock: 4 hand-offs of ~50 ms each (a woken waiter that loses the race to a running task
    # is woken again later: a contention more, but no wait counted twice).
    assert count >= 4 and 150_000_000 <= delay <= 1_000_000_000, (count, delay)
    assert all("_contended.<locals>.main.<locals>.worker" in s.functions for s in unlocks)
    raw = go_raw(str(path))
    assert ("Mutex.unlock" in raw) == (cspy.build.BUILD == "pure")
    # The same waits, seen from the waiters, are in the block profile at Lock.
    block = read(cspy.pprof.profile_bytes("block"))
    locks = [s for s in block.samples if s.labels.get("reason") == "sync.Mutex.Lock"]
    assert sum(s.values[1] for s in locks) >= 400_000_000  # 50 + 100 + 150 + 200 ms


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [1, 2])
def test_goroutine_profile_groups_tasks_by_stack(procs: int, tmp_path: pathlib.Path) -> None:
    def parked(gate: cspy.Chan[None]) -> None:
        gate.recv_ok()

    def main() -> bytes:
        gate: cspy.Chan[None] = cspy.Chan(name="gate")
        for _ in range(10):
            cspy.go(parked, gate)
        while cspy.stats().parked.get("chan receive", 0) < 10:
            cspy.sleep(0.001)
        out = io.BytesIO()
        cspy.pprof.write("goroutine", out)
        text = cspy.pprof.profile_bytes("goroutine", debug=1).decode()
        assert text.startswith("goroutine profile: total 11\n"), text
        assert "task 1 'main' [running]:" in cspy.pprof.profile_bytes("goroutine", debug=2).decode()
        gate.close()
        return out.getvalue()

    prof = read(cspy.run(main, procs=procs))
    assert prof.sample_types == [("goroutine", "count")]
    group = [s for s in prof.samples if "test_goroutine_profile_groups_tasks_by_stack.<locals>.parked" in s.functions]
    assert len(group) == 1 and group[0].values == [10], [(s.values, s.labels) for s in group]
    assert group[0].labels["state"] == "chan receive"
    main_s = [s for s in prof.samples if s.labels["state"] == "running"]
    assert len(main_s) == 1 and main_s[0].values == [1]
    path = tmp_path / "g.pb.gz"
    path.write_bytes(cspy.pprof.profile_bytes("goroutine"))  # outside a run: empty, still valid
    assert read(path.read_bytes()).samples == []
    assert "goroutine/count" in go_raw(str(path))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown profile 'heap'"):
        cspy.pprof.write("heap", io.BytesIO())
    with pytest.raises(ValueError, match="debug"):
        cspy.pprof.profile_bytes("block", debug=3)
    with pytest.raises(TypeError):
        cspy.pprof.set_block_profile_rate(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path or a binary file"):
        cspy.pprof.write("block", 42)
    assert cspy.pprof.set_mutex_profile_fraction(-1) == cspy.pprof.mutex_profile_fraction()


@pytest.mark.timeout(60)
def test_profiles_accumulate_across_runs(profiles: None) -> None:
    _receiver_waits(1)
    _receiver_waits(1)
    recv = [s for s in read(cspy.pprof.profile_bytes("block")).samples if s.labels.get("reason") == "chan receive"]
    assert sum(s.values[0] for s in recv) == 2


@pytest.mark.timeout(60)
def test_rate_zero_records_nothing() -> None:
    _block.reset()
    cspy.pprof.set_block_profile_rate(0)
    _receiver_waits(1)
    assert read(cspy.pprof.profile_bytes("block")).samples == []
    seen = []
    cspy.run(lambda: seen.append([p.trace for p in cspy.scheduler.running().ps]))  # type: ignore[union-attr]
    assert seen and all(h is None for h in seen[0]), "no profile, no trace: no hook on the processors"
