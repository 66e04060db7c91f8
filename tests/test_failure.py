"""How ``cspy run`` reports a failed program (cspy/failure.py): Go's format, the user's frames."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest

import cspy
from cspy.failure import HIDDEN_NOTE, internal, user_dump, user_traceback
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(cspy.__file__).resolve().parent

# What must not show in the default output: cspy's machinery and runpy's.
INTERNALS = ("entry.py", "runtime.py", "processor.py", "runner.py", "chan.py", "__main__.py", "runpy", "/cspy/")

DEADLOCK = textwrap.dedent(
    """\
    import cspy

    def worker(jobs):
        jobs.recv()  # worker blocks

    def main():
        jobs = cspy.Chan(name="jobs")
        cspy.go(worker, jobs, name="worker")
        done = cspy.Chan(name="done")
        done.recv()  # main blocks

    cspy.run(main)
    """
)

RAISES = textwrap.dedent(
    """\
    import cspy

    def parse(text):
        return int(text)  # raises

    def worker():
        parse("x")  # calls parse

    def main():
        cspy.go(worker, name="parser")
        cspy.sleep(30)

    cspy.run(main)
    """
)

CHAINED = textwrap.dedent(
    """\
    import cspy

    def lookup(table):
        try:
            return table["missing"]  # first
        except KeyError as exc:
            raise RuntimeError("no such entry") from exc  # second

    def main():
        lookup({})

    cspy.run(main)
    """
)

INTERRUPTED = textwrap.dedent(
    """\
    import signal
    import cspy

    # Python's own start-up SIGINT handler, even if the test runner was started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def main():
        print("ready", flush=True)
        while True:  # a program at work: its processor wakes every 10 ms (see the test)
            cspy.sleep(0.01)

    cspy.run(main)
    """
)


def line_of(source: str, marker: str) -> int:
    return next(i for i, text in enumerate(source.splitlines(), 1) if marker in text)


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source)
    return path


def cspy_run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CSPY_") or k == "CSPY_PURE_PYTHON"}  # (keep the build)
    full.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "cspy", "run", str(script), *args],
        capture_output=True, text=True, env=full, timeout=50,
    )


def assert_no_internals(text: str) -> None:
    for word in INTERNALS:
        assert word not in text, f"cspy-internal {word!r} in the user-facing output:\n{text}"


@pytest.mark.parametrize("procs", PROCS)
def test_deadlock_is_a_fatal_error_with_the_users_stacks(tmp_path: Path, procs: int) -> None:
    script = write(tmp_path, "deadlock.py", DEADLOCK)
    p = cspy_run(script, "--procs", str(procs))
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("fatal error: all tasks are asleep - deadlock!\n\ntask 1 'main' [chan receive]:\n")
    assert "task 2 'worker' [chan receive]:\n  waiting on <Chan 'jobs'" in p.stderr
    assert f"  main(...)\n      {script}:{line_of(DEADLOCK, 'main blocks')}\n" in p.stderr
    assert f"  worker(...)\n      {script}:{line_of(DEADLOCK, 'worker blocks')}\n" in p.stderr
    assert "Traceback" not in p.stderr
    if cspy.build.BUILD == "pure":  # compiled, the channel's functions have no frames to hide
        assert p.stderr.rstrip().endswith(HIDDEN_NOTE)
    assert_no_internals(p.stderr.replace(HIDDEN_NOTE, ""))
    assert p.stdout == ""


def test_cspy_traceback_all_shows_cspys_own_frames(tmp_path: Path) -> None:
    script = write(tmp_path, "deadlock.py", DEADLOCK)
    p = cspy_run(script, CSPY_TRACEBACK="all")
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("fatal error: all tasks are asleep - deadlock!\n\n")
    if cspy.build.BUILD == "pure":  # compiled, Chan.recv has no Python frame to show
        assert "  Chan.recv(...)\n" in p.stderr and "/cspy/channel/chan.py:" in p.stderr
    for word in ("entry.py", "runtime.py", "runpy", "__main__.py"):
        assert word in p.stderr, word
    assert f"{script}:{line_of(DEADLOCK, 'main blocks')}" in p.stderr
    assert HIDDEN_NOTE not in p.stderr


def test_exception_in_a_task_shows_the_users_frames_and_the_task(tmp_path: Path) -> None:
    script = write(tmp_path, "raises.py", RAISES)
    p = cspy_run(script, "--procs", "2")
    assert p.returncode == 1, p.stderr
    err = p.stderr
    assert err.startswith("Traceback (most recent call last):\n")
    assert f'File "{script}", line {line_of(RAISES, "calls parse")}, in worker' in err
    assert f'File "{script}", line {line_of(RAISES, "raises")}, in parse' in err
    assert "ValueError: invalid literal for int() with base 10: 'x'\ncspy: raised in task 2 ('parser')\n" in err
    assert_no_internals(err.replace(HIDDEN_NOTE, ""))
    everything = cspy_run(script, CSPY_TRACEBACK="all")
    assert everything.returncode == 1
    assert "runner.py" in everything.stderr and "runtime.py" in everything.stderr
    assert "cspy: raised in task 2 ('parser')" in everything.stderr


def test_chained_exceptions_are_filtered_too(tmp_path: Path) -> None:
    script = write(tmp_path, "chained.py", CHAINED)
    p = cspy_run(script)
    assert p.returncode == 1, p.stderr
    assert f'line {line_of(CHAINED, "first")}, in lookup' in p.stderr
    assert f'line {line_of(CHAINED, "second")}, in lookup' in p.stderr
    assert "direct cause of the following exception" in p.stderr
    assert "cspy: raised in task 1 ('main')" in p.stderr
    assert_no_internals(p.stderr.replace(HIDDEN_NOTE, ""))


def test_an_error_before_cspy_run_has_no_runpy_frames(tmp_path: Path) -> None:
    script = write(tmp_path, "typo.py", "import cspy\n\nundefined_name  # here\n")
    p = cspy_run(script)
    assert p.returncode == 1, p.stderr
    assert f'File "{script}", line 3, in <module>' in p.stderr
    assert "NameError: name 'undefined_name' is not defined" in p.stderr
    assert_no_internals(p.stderr.replace(HIDDEN_NOTE, ""))


def test_ctrl_c_exits_130(tmp_path: Path) -> None:
    # What this checks is the command's exit status and message. The program keeps waking up:
    # on CPython 3.13t a SIGINT that arrives while the main thread (processor 0) sleeps in its
    # idle wait may have its Python handler run only when that wait ends -- a runtime matter
    # (cspy/scheduler/), not the command's.
    script = write(tmp_path, "forever.py", INTERRUPTED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPY_") or k == "CSPY_PURE_PYTHON"}  # (keep the build)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cspy", "run", str(script), "--procs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err == "cspy: interrupted\n"


def test_a_bad_cspy_traceback_is_explained(tmp_path: Path) -> None:
    script = write(tmp_path, "deadlock.py", DEADLOCK)
    p = cspy_run(script, CSPY_TRACEBACK="everything")
    assert p.returncode == 2
    assert "CSPY_TRACEBACK must be 'all'" in p.stderr and "'everything'" in p.stderr
    assert "fatal error" not in p.stderr, "refused before the script runs"


def test_internal_is_the_package_but_not_its_examples() -> None:
    assert internal(str(PACKAGE / "channel" / "chan.py"))
    assert internal(str(PACKAGE / "__main__.py"))
    assert internal("<frozen runpy>")
    assert not internal(str(PACKAGE / "examples" / "basics" / "02_channels.py")), "installed examples are user code"
    assert not internal(str(PACKAGE.parent / "examples" / "basics" / "02_channels.py"))
    assert not internal(str(PACKAGE) + "_extra/prog.py"), "a sibling directory is not the package"
    assert not internal("<string>") and not internal("prog.py")


def test_user_dump_keeps_everything_but_cspys_frames() -> None:
    chan = PACKAGE / "channel" / "chan.py"
    example = PACKAGE / "examples" / "basics" / "02_channels.py"
    dump = (
        "task 1 'main' [chan receive]:\n"
        "  waiting on <Chan 'results' cap=0 len=0 senders=0 receivers=1>\n"
        f"  Chan.recv(...)\n      {chan}:259\n"
        f"  main(...)\n      {example}:12\n"
        "\n"
        "task 2 [runnable]:\n"
        "  not started: worker(...)\n"
    )
    text, hidden = user_dump(dump)
    assert hidden == 1
    assert text == (
        "task 1 'main' [chan receive]:\n"
        "  waiting on <Chan 'results' cap=0 len=0 senders=0 receivers=1>\n"
        f"  main(...)\n      {example}:12\n"
        "\n"
        "task 2 [runnable]:\n"
        "  not started: worker(...)\n"
    )
    assert user_dump(text) == (text, 0)


def test_user_traceback_in_process() -> None:
    def main() -> None:
        cspy.go(lambda: 1 / 0, name="divider")
        cspy.sleep(30)

    with pytest.raises(ZeroDivisionError) as info:
        cspy.run(main)
    full = "".join(traceback.format_exception(info.value))
    assert "runner.py" in full, "the unfiltered traceback has the runner's frame"
    text, hidden = user_traceback(info.value)
    assert hidden >= 3
    assert "runner.py" not in text and "runtime.py" not in text and "entry.py" not in text
    assert f'File "{__file__}"' in text and "ZeroDivisionError: division by zero" in text
    assert "cspy: raised in task 2 ('divider')" in text
