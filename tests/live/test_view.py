"""The live view end to end: a real workload under a pseudo-terminal, and its fallbacks."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [
    # The signal method: the thread method's timer thread would make pty.fork() fork a
    # multi-threaded process. Only child processes run here, so SIGALRM lands in plain code.
    pytest.mark.timeout(60, method="signal"),
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

ROOT = Path(__file__).resolve().parents[2]

WORKLOAD = textwrap.dedent(
    """
    import sys, time
    import cspy

    def producer(ch, n):
        for i in range(n):
            ch.send(i)
            if i % 10 == 0:
                cspy.sleep(0.001)

    def main(duration):
        print("program-stdout-line", flush=True)
        print("program-stderr-line", file=sys.stderr, flush=True)
        ch = cspy.Chan(16, name="fan-in")
        deadline = time.monotonic() + duration
        total = 0
        while time.monotonic() < deadline:
            wg = cspy.WaitGroup()
            for k in range(50):
                wg.add(1)
                def p(k=k):
                    try:
                        producer(ch, 20)
                    finally:
                        wg.done()
                cspy.go(p, name=f"producer-{k}")
            for _ in range(50 * 20):
                total += ch.recv()
            wg.wait()
        return total

    if __name__ == "__main__":
        live = True if sys.argv[2:] == ["live"] else None  # "live": cspy.run(main, live=True)
        print("result", cspy.run(main, float(sys.argv[1]), live=live))
    """
)

HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"


def run_in_pty(
    argv: list[str], env: dict[str, str], interrupt_after: str | None = None, files: dict[int, Path] | None = None
) -> tuple[int, str]:
    """Run ``argv`` on a new pseudo-terminal; return (exit status, everything it wrote there).

    With ``interrupt_after``, type Ctrl-C once that text has appeared on the terminal. ``files``
    redirects file descriptors of the child (1: stdout, 2: stderr) to files instead.
    """
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin/stdout/stderr are the terminal
        for target, path in (files or {}).items():
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), target)
        os.environ.update(env)
        os.execv(argv[0], argv)
    out = b""
    interrupted = False
    deadline = time.monotonic() + 45
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if interrupt_after and not interrupted and interrupt_after.encode() in out:
                os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to the program
                interrupted = True
    finally:
        os.close(fd)
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


@pytest.fixture
def workload(tmp_path: Path) -> Path:
    script = tmp_path / "fanin.py"
    script.write_text(WORKLOAD)
    return script


def term_env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "50"}


def test_live_view_updates_and_restores_the_terminal(workload: Path) -> None:
    status, out = run_in_pty(
        [sys.executable, "-m", "cspy", "run", str(workload), "1.2", "--live", "--procs", "2"], term_env()
    )
    assert status == 0, out[-2000:]
    assert_live_view_drawn(out)
    assert re.search(r"P0\s+MainThread", out) and re.search(r"P1\s+cspy-P1", out)
    assert "fan-in" in out, "the busiest channel is listed"
    assert "on 2 processor(s)" in out
    assert "result " in out and "program-stderr-line" in out, "the program's own output is kept"


def test_ctrl_c_restores_the_terminal_and_exits_cleanly(workload: Path) -> None:
    status, out = run_in_pty(
        [sys.executable, "-m", "cspy", "run", str(workload), "30", "--live"], term_env(), interrupt_after="P0 "
    )
    assert status == 130, out[-2000:]
    assert out.rindex(SHOW_CURSOR) > out.rindex(HIDE_CURSOR)
    assert "cspy: interrupted" in out and "Traceback" not in out
    assert "run summary" in out


def assert_live_view_drawn(out: str) -> None:
    # Drawn, then redrawn at least once (a loaded machine may allow the refresh thread no more
    # within the program's second or so).
    uptimes = set(re.findall(r"up (\d+\.\d)s", out))
    assert len(uptimes) >= 2, f"the dashboard was not redrawn: {uptimes}"
    assert out.count(HIDE_CURSOR) >= 1 and out.rindex(SHOW_CURSOR) > out.rindex(HIDE_CURSOR)
    assert "run summary" in out


def test_stdout_to_a_file_draws_on_stderr(workload: Path, tmp_path: Path) -> None:
    # cspy run prog.py --live > out.txt: the view and its summary on the terminal (stderr), the
    # file exactly what the program printed.
    out_txt = tmp_path / "out.txt"
    status, term = run_in_pty(
        [sys.executable, "-m", "cspy", "run", str(workload), "1.2", "--live", "--procs", "2"],
        term_env(), files={1: out_txt},
    )
    assert status == 0, term[-2000:]
    assert_live_view_drawn(term)
    assert "program-stderr-line" in term, "the program's stderr still shows, above the view"
    assert "program-stdout-line" not in term and "result " not in term
    assert re.fullmatch(r"program-stdout-line\nresult \d+\n", out_txt.read_text()), out_txt.read_text()


def test_run_live_true_from_a_script_with_stdout_to_a_file(workload: Path, tmp_path: Path) -> None:
    out_txt = tmp_path / "out.txt"
    status, term = run_in_pty([sys.executable, str(workload), "1.2", "live"], term_env(), files={1: out_txt})
    assert status == 0, term[-2000:]
    assert_live_view_drawn(term)
    assert re.fullmatch(r"program-stdout-line\nresult \d+\n", out_txt.read_text()), out_txt.read_text()


def test_stderr_to_a_file_draws_on_stdout(workload: Path, tmp_path: Path) -> None:
    err_txt = tmp_path / "err.txt"
    status, term = run_in_pty(
        [sys.executable, "-m", "cspy", "run", str(workload), "1.2", "--live"], term_env(), files={2: err_txt}
    )
    assert status == 0, term[-2000:]
    assert_live_view_drawn(term)
    assert "program-stdout-line" in term and "result " in term
    assert "program-stderr-line" not in term
    assert err_txt.read_text() == "program-stderr-line\n", "the program's stderr goes to its file untouched"


def test_without_a_terminal_live_falls_back_to_schedtrace(tmp_path: Path) -> None:
    # The program runs until its stdin closes, which the test does once a schedtrace line is out.
    script = tmp_path / "waits.py"
    script.write_text("import sys, cspy\nprint('result', cspy.run(cspy.blocking, sys.stdin.read))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), CSPY_LIVE="1", CSPY_SCHEDTRACE="50")
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert proc.stdin is not None and proc.stderr is not None
    err = []
    for line in proc.stderr:  # pytest-timeout bounds this if no line ever comes
        err.append(line)
        if line.startswith("SCHED "):
            break
    proc.stdin.close()  # the program ends; what it writes after this is small (no pipe fills)
    assert proc.stdout is not None
    out, rest = proc.stdout.read(), proc.stderr.read()
    proc.wait(timeout=30)
    stderr = "".join(err) + rest
    assert proc.returncode == 0, stderr
    assert out == "result \n", "no dashboard drawn into a pipe"
    assert stderr.count("the live view needs a terminal and neither stdout nor stderr is one") == 1
    assert "SCHED " in stderr and "\x1b[" not in stderr
