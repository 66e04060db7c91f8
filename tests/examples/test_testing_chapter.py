"""The gallery's testing chapter (examples/testing/): each program run as a user runs it, and
checked for the property it demonstrates: exact virtual timestamps, a race found and replayed,
a leak reported -- and the leak caught by the pytest plugin in a test suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cspy import gallery

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]


def run_example(name: str, *args: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("CSPY_LIVE", None)
    proc = subprocess.run([sys.executable, "-m", "cspy", "examples", "run", name, *args],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_the_chapter_is_in_the_gallery() -> None:
    names = [ex.name for ex in gallery.discover() if ex.chapter == "testing"]
    assert names == ["retry_backoff", "rate_limiter_timestamps", "breaker_timestamps",
                     "explore_race", "leaked_task"]


@pytest.mark.timeout(90)
def test_retry_backoff_spends_an_hour_of_virtual_time_with_exact_gaps() -> None:
    out = run_example("retry_backoff")
    m = re.search(r"attempts at virtual seconds: (.*)", out)
    assert m
    calls = [float(x) for x in m.group(1).split(", ")]
    assert calls[:5] == [0, 1, 3, 7, 15]
    assert calls[-2] < 3600 <= calls[-1]
    assert re.search(r"after 16 attempts, 4023 s of virtual time \(1\.12 h\)", out)
    # A different recovery time moves the attempts with it, exactly.
    out = run_example("retry_backoff", "--healthy-at", "100")
    assert "attempts at virtual seconds: 0, 1, 3, 7, 15, 31, 63, 127\n" in out


@pytest.mark.timeout(90)
def test_rate_limiter_admits_at_exact_instants() -> None:
    out = run_example("rate_limiter_timestamps")
    assert "admitted at virtual seconds: 0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1\n" in out
    assert "DeadlineExceeded after 0 s" in out
    out = run_example("rate_limiter_timestamps", "--rate", "2", "--burst", "1", "--requests", "4")
    assert "admitted at virtual seconds: 0, 0.5, 1, 1.5\n" in out


@pytest.mark.timeout(90)
def test_breaker_changes_state_at_exact_instants() -> None:
    out = run_example("breaker_timestamps")
    changes = re.findall(r"^\s+(\d+) s  circuit (.*)$", out, re.M)
    assert changes == [("20", "closed -> open"), ("50", "open -> half-open"), ("50", "half-open -> open"),
                       ("80", "open -> half-open"), ("80", "half-open -> open"),
                       ("110", "open -> half-open"), ("110", "half-open -> closed")]
    out = run_example("breaker_timestamps", "--down-from", "0", "--down-until", "40")
    changes = re.findall(r"^\s+(\d+) s  circuit (.*)$", out, re.M)
    assert changes == [("10", "closed -> open"), ("40", "open -> half-open"), ("40", "half-open -> closed")]


@pytest.mark.timeout(90)
def test_explore_race_finds_the_overdraft_and_replays_it() -> None:
    out = run_example("explore_race")
    assert "plain runs: 20 of 20 pass" in out
    assert re.search(r"explore: run \d+ fails: overdrawn: balance -40", out)
    assert re.search(r"^token: cspy1\S+$", out, re.M)
    assert "replay: 20 of 20 reproduce it" in out
    for seed in ("1", "2"):
        assert "replay: 20 of 20" in run_example("explore_race", "--seed", seed)


@pytest.mark.timeout(90)
def test_leaked_task_names_the_task_reason_channel_and_spawn_line() -> None:
    out = run_example("leaked_task")
    src = (REPO / "examples" / "testing" / "05_leaked_task.py").read_text().splitlines()
    line = next(i for i, text in enumerate(src, 1) if 'name="replica-slow"' in text)
    assert "task 3 'replica-slow' [chan send, 1.0s]:" in out
    assert "waiting on <Chan 'answers'" in out
    assert f"05_leaked_task.py:{line}\n" in out
    assert "buffered answers channel: fast answered, no task leaked" in out


@pytest.mark.timeout(120)
def test_the_plugin_catches_the_leak_in_a_test_suite(pytester: pytest.Pytester) -> None:
    example = REPO / "examples" / "testing" / "05_leaked_task.py"
    pytester.makepyfile(test_handler=f'''
        import importlib.util
        import pytest

        spec = importlib.util.spec_from_file_location("leaked_task", {str(example)!r})
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)

        @pytest.mark.cspy
        def test_unbuffered():
            assert mod.handler(False) == "fast answered"

        @pytest.mark.cspy
        def test_buffered():
            assert mod.handler(True) == "fast answered"
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "FAILED test_handler.py::test_unbuffered" in out
    assert "LeakError: 1 task leaked" in out and "'replica-slow' [chan send" in out
