"""cspy.run's opt-in observers (cspy/entry.py): settings, schedtrace, SIGUSR1 task dump."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import FrameType

import pytest

import cspy
from cspy.entry import live_setting, schedtrace_setting
from cspy.failure import HIDDEN_NOTE
from cspy.live import LINE_RE
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent

needs_sigusr1 = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="no SIGUSR1 on this platform")


def test_settings_from_arguments_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSPY_LIVE", raising=False)
    monkeypatch.delenv("CSPY_SCHEDTRACE", raising=False)
    assert live_setting(None) is False and schedtrace_setting(None) == 0
    monkeypatch.setenv("CSPY_LIVE", "1")
    monkeypatch.setenv("CSPY_SCHEDTRACE", "250")
    assert live_setting(None) is True and schedtrace_setting(None) == 250
    assert live_setting(False) is False and schedtrace_setting(0) == 0, "arguments win"
    monkeypatch.setenv("CSPY_LIVE", "maybe")
    with pytest.raises(ValueError, match="CSPY_LIVE must be 1 or 0"):
        live_setting(None)
    monkeypatch.setenv("CSPY_SCHEDTRACE", "fast")
    with pytest.raises(ValueError, match="CSPY_SCHEDTRACE must be an interval in milliseconds"):
        schedtrace_setting(None)
    with pytest.raises(ValueError, match="schedtrace must be an interval"):
        schedtrace_setting(-5)
    with pytest.raises(TypeError, match="live must be True, False or None"):
        live_setting("yes")  # type: ignore[arg-type]


class Lines:
    """A stand-in for sys.stderr that keeps the lines written to it (from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._text = ""

    def write(self, s: str) -> int:
        with self._lock:
            self._text += s
        return len(s)

    def flush(self) -> None:
        pass

    def lines(self, prefix: str = "") -> list[str]:
        with self._lock:
            return [ln for ln in self._text.splitlines() if ln.startswith(prefix)]


@pytest.mark.parametrize("procs", PROCS)
def test_schedtrace_lines_parse(procs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    err = Lines()
    monkeypatch.setattr(sys, "stderr", err)  # the writer looks sys.stderr up at each line

    def main() -> int:
        ch = cspy.Chan[int](16)
        wg = cspy.WaitGroup()
        for _ in range(8):
            wg.add(1)

            def producer() -> None:
                try:
                    for i in range(200):
                        ch.send(i)
                        if i % 20 == 0:
                            cspy.sleep(0.002)
                finally:
                    wg.done()

            cspy.go(producer)
        got = sum(1 for _ in range(8 * 200) if ch.recv() is not None)
        wg.wait()
        deadline = time.monotonic() + 30  # until three lines are out, however loaded the machine
        while len(err.lines("SCHED")) < 3 and time.monotonic() < deadline:
            cspy.sleep(0.005)
        return got

    assert cspy.run(main, procs=procs, schedtrace=10) == 1600
    lines = err.lines("SCHED")
    assert len(lines) >= 3
    for ln in lines:
        m = LINE_RE.match(ln)
        assert m, f"unparsable schedtrace line: {ln!r}"
        assert int(m["procs"]) == procs
        assert len(m["local"].split()) == procs
        assert int(m["idleprocs"]) <= procs
    ms = [int(LINE_RE.match(ln)["ms"]) for ln in lines]  # type: ignore[index]
    assert ms == sorted(ms)


def test_observers_leave_no_thread_behind_when_main_raises() -> None:
    def main() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        cspy.run(main, schedtrace=5)
    assert not [t for t in threading.enumerate() if t.name == "cspy-schedtrace"]


def test_nested_run_still_refused_with_observers() -> None:
    def main() -> None:
        cspy.run(lambda: None, schedtrace=5)

    with pytest.raises(RuntimeError, match="while a runtime is running"):
        cspy.run(main)


@needs_sigusr1
def test_sigusr1_prints_the_dump_and_the_program_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[int] = []

    def previous(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    old = signal.signal(signal.SIGUSR1, previous)
    try:

        def blocked(ch: cspy.Chan[int]) -> None:
            ch.recv()

        def main() -> int:
            ch = cspy.Chan[int](name="parked-here")
            cspy.go(blocked, ch, name="blocked")
            cspy.gosched()
            threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGUSR1)).start()
            deadline = time.monotonic() + 10
            while not seen and time.monotonic() < deadline:
                cspy.sleep(0.005)
            ch.send(1)
            return 42

        assert cspy.run(main) == 42
        assert seen == [signal.SIGUSR1], "the program's own handler is chained to"
        assert signal.getsignal(signal.SIGUSR1) is previous, "restored after the run"
    finally:
        signal.signal(signal.SIGUSR1, old)
    err = capsys.readouterr().err
    assert "cspy: SIGUSR1: task dump" in err
    assert "task 1 'main' [" in err
    waiting = "  waiting on <Chan 'parked-here' cap=0 len=0 senders=0 receivers=1>\n"
    blocked_at = f"  test_sigusr1_prints_the_dump_and_the_program_goes_on.blocked(...)\n      {__file__}:"
    assert f"task 2 'blocked' [chan receive]:\n{waiting}{blocked_at}" in err, (
        "the program's frames only: Chan.recv and the channel internals are left out"
    )
    assert "/cspy/channel/" not in err
    if cspy.build.BUILD == "pure":  # compiled, Chan.recv has no Python frame to leave out
        assert HIDDEN_NOTE in err


@needs_sigusr1
def test_sigusr1_dump_with_cspy_traceback_all(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CSPY_TRACEBACK", "all")

    def main() -> None:
        ch = cspy.Chan[int](name="parked-here")
        cspy.go(ch.recv, name="blocked")
        cspy.gosched()
        os.kill(os.getpid(), signal.SIGUSR1)  # handled on this (the main) thread before kill returns...
        cspy.gosched()  # ...or at the latest at the next bytecode
        ch.send(1)

    cspy.run(main)
    err = capsys.readouterr().err
    assert "task 2 'blocked' [chan receive]:" in err
    if cspy.build.BUILD == "pure":  # compiled, Chan.recv has no Python frame to show
        assert "  Chan.recv(...)\n" in err and "/cspy/channel/chan.py:" in err
    assert HIDDEN_NOTE not in err


@needs_sigusr1
def test_kill_usr1_of_a_running_program(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, cspy

            def waiter(ch):
                ch.recv()

            def main():
                ch = cspy.Chan(name="forever")
                for i in range(3):
                    cspy.go(waiter, ch, name=f"waiter-{i}")
                cspy.gosched()
                print("ready", flush=True)
                for _ in range(2000):  # until the parent has signalled (stdin closes)
                    line = cspy.blocking(sys.stdin.readline)
                    if not line:
                        break
                print("still running", flush=True)
                return 0

            sys.exit(cspy.run(main))
            """
        )
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    err_lines: list[str] = []
    assert proc.stdout is not None and proc.stderr is not None
    reader = threading.Thread(target=lambda: err_lines.extend(iter(proc.stderr.readline, "")))  # type: ignore[union-attr]
    reader.start()

    def dumps() -> int:
        return sum(1 for ln in list(err_lines) if ln.startswith("cspy: SIGUSR1: task dump"))

    try:
        assert proc.stdout.readline().strip() == "ready"
        for n in (1, 2):  # twice: the handler stays installed and the program keeps running
            proc.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + 20
            while dumps() < n and time.monotonic() < deadline:
                time.sleep(0.01)
        assert proc.stdin is not None
        proc.stdin.close()  # main's readline sees EOF and main returns
        proc.wait(timeout=30)
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join()
    err = "".join(err_lines)
    assert proc.returncode == 0, err
    assert "still running" in out
    assert err.count("cspy: SIGUSR1: task dump") == 2
    for i in range(3):
        assert f"'waiter-{i}' [chan receive]:\n  waiting on <Chan 'forever'" in err
    assert "task 1 'main' [blocking call" in err
