"""Every gallery example, run the way a user runs it (`python -m cspy examples run NAME`), and
checked for the property it demonstrates -- not merely for exit code 0.

Each example runs in a child process (as the gallery always runs them), on one processor unless
the test says otherwise; the ones whose point is "every message exactly once" also run on 2 and
4. An example's printed durations are for people; the tests read counts, values and invariants.
The few examples whose point is about time (rate limiters, circuit breaker, gateway overload)
go through ``run_timed_example``: their invariants hold on every run, their timing on one of
three. With several processors, tasks on different threads may print at the same moment and
Python's ``print`` writes the text and the newline separately, so lines printed by tasks are
matched without anchors there.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import cspy
from tests.conftest import PROCS

REPO = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 60  # seconds; an example aims at ~1 s, the daisy chain at a few


def run_example(name: str, *args: str, procs: int = 1) -> str:
    """Run ``cspy examples run NAME ARGS`` in a child process; its stdout (exit code 0 asserted)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("CSPY_LIVE", None)
    env["CSPY_PROCS"] = str(procs)
    proc = subprocess.run(
        [sys.executable, "-m", "cspy", "examples", "run", name, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def run_timed_example(
    name: str,
    *args: str,
    invariants: Callable[[str], None],
    timing: Callable[[str], None],
    procs: int = 1,
    attempts: int = 3,
) -> str:
    """Run an example whose point is partly about time (rates, deadlines, recovery).

    ``invariants`` (every request answered once, counts that add up) must hold on every run.
    ``timing`` must hold on one of ``attempts`` runs: a loaded machine can starve a run's clients
    or stretch its deadlines, but it cannot make a broken limiter or breaker pass three times.
    """
    failures = []
    for _ in range(attempts):
        out = run_example(name, *args, procs=procs)
        invariants(out)
        try:
            timing(out)
            return out
        except AssertionError as exc:
            failures.append(str(exc))
    pytest.fail(f"{name}: the timing checks failed on all {attempts} runs:\n" + "\n---\n".join(failures))


def grab(pattern: str, text: str) -> re.Match[str]:
    m = re.search(pattern, text, re.MULTILINE)
    assert m, f"no line matching {pattern!r} in:\n{text}"
    return m


pytestmark = pytest.mark.timeout(120)


# ---- chapter 1: basics ----------------------------------------------------------------------


def test_tasks_every_step_runs_once_and_interleaves() -> None:
    out = run_example("tasks")
    steps = [line for line in out.splitlines() if re.match(r"task \d: step \d$", line)]
    assert sorted(steps) == sorted(f"task {t}: step {s}" for t in range(3) for s in range(3))
    # On one processor gosched is round robin: no task finishes before the others start.
    assert steps[:3] != [f"task 0: step {s}" for s in range(3)]
    assert "done: 3 tasks ran 3 steps each" in out


@pytest.mark.parametrize("procs", PROCS)
def test_channels_deliver_every_value_once_in_order(procs: int) -> None:
    out = run_example("channels", "--n", "20000", procs=procs)
    assert "received 'ping'" in out
    assert f"received 20000 numbers, sum {sum(range(20000))}, in order: True" in out


def test_buffering_runs_ahead_by_exactly_the_capacity() -> None:
    out = run_example("buffering", "--cap", "7", "--n", "500")
    assert "sent 7 values with no receiver: len=7 cap=7" in out
    assert [f"buffered {i}" for i in range(7)] == [l for l in out.splitlines() if l.startswith("buffered ")]
    assert "ran ahead by len=7 values (cap 7)" in out
    assert f"received sum {sum(range(500))} of 500 values" in out


def test_synchronization_main_waits_for_every_worker() -> None:
    out = run_example("synchronization", "--n", "3", "--work", "0.02")
    lines = out.splitlines()
    for i in range(3):
        assert lines.count(f"worker {i}: done") == 1
    assert lines[-1] == "main: all 3 workers finished"
    assert all(lines.index(f"worker {i}: done") < len(lines) - 1 for i in range(3))


def test_directions_relay_and_refuse_the_wrong_direction() -> None:
    out = run_example("directions")
    assert out.splitlines()[0] == "passed message"
    assert "refuses send: AttributeError" in out
    assert "relayed 1000 of 1000 values" in out


def test_select_overlaps_waits_and_picks_fairly() -> None:
    out = run_example("select", "--delay", "0.02", "--rounds", "4000")
    assert re.search(r"^received one \(case 0\)$", out, re.M)
    assert re.search(r"^received two \(case 1\)$", out, re.M)
    m = grab(r"picked a=(\d+) b=(\d+)", out)
    a, b = int(m[1]), int(m[2])
    assert a + b == 4000
    assert 1600 < a < 2400  # uniform choice: 2000 +- 10 standard deviations (~32)


def test_timeouts_first_times_out_second_succeeds() -> None:
    out = run_example("timeouts")
    assert out.splitlines() == ["timeout 1", "result 2"]


def test_non_blocking_never_blocks_and_sheds_load() -> None:
    out = run_example("non_blocking", "--n", "50", "--queue", "8")
    assert out.splitlines()[:3] == ["no message received", "no message sent", "no activity"]
    assert "accepted 8, dropped 42" in out


@pytest.mark.parametrize("procs", PROCS)
def test_closing_channels_every_job_received_once(procs: int) -> None:
    out = run_example("closing_channels", "--n", "10", procs=procs)
    received = re.findall(r"received job (\d+)", out)
    assert received == [str(j) for j in range(1, 11)]  # one receiver: in order, each once
    assert "worker counted 10; received more jobs: False" in out


def test_range_over_channels_ends_at_close() -> None:
    out = run_example("range_over_channels", "--n", "1000")
    assert out.splitlines()[:2] == ["one", "two"]
    assert f"sum {sum(range(1, 1001))}" in out


def test_timers_stopped_timer_never_fires() -> None:
    out = run_example("timers", "--wait", "0.05")
    assert "timer 1 fired" in out
    assert "timer 2 stopped" in out
    assert "timer 2 fired" not in out
    assert "timer 3 reset to 0.05s fired" in out


def test_tickers_tick_until_stopped() -> None:
    out = run_example("tickers", "--period", "0.02", "--ticks", "5")
    ticks = [float(t) for t in re.findall(r"^tick at ([\d.]+)s$", out, re.M)]
    n = int(grab(r"ticker stopped after (\d+) ticks", out)[1])
    assert n == len(ticks) >= 1
    assert ticks == sorted(ticks)
    assert ticks[0] >= 0.02 * 0.99  # a ticker never fires early


@pytest.mark.parametrize("procs", PROCS)
def test_worker_pools_each_job_done_by_exactly_one_worker(procs: int) -> None:
    out = run_example("worker_pools", "--workers", "3", "--jobs", "9", "--work", "0.01", procs=procs)
    finished = re.findall(r"worker (\d) finished job (\d+)", out)
    assert sorted(int(job) for _w, job in finished) == list(range(1, 10))
    assert {w for w, _job in finished} <= {"1", "2", "3"}
    assert "9 jobs on 3 workers: 9 results, all doubled: True" in out


def test_waitgroups_wait_for_all() -> None:
    out = run_example("waitgroups", "--n", "6", "--work", "0.01")
    lines = out.splitlines()
    assert sorted(l for l in lines if l.endswith(" done") and l.startswith("worker")) == sorted(
        f"worker {i} done" for i in range(1, 7)
    )
    assert lines[-1] == "all 6 workers done"


def test_rate_limiting_paces_requests() -> None:
    out = run_example("rate_limiting", "--n", "4", "--period", "0.02", "--burst", "2")
    steady = [float(t) for t in re.findall(r"^request \d at ([\d.]+)s$", out, re.M)]
    bursty = [float(t) for t in re.findall(r"^bursty request \d at ([\d.]+)s$", out, re.M)]
    assert len(steady) == len(bursty) == 4
    assert steady[-1] >= 4 * 0.02 * 0.99  # request i waits for tick i: never earlier
    assert bursty[2] >= 0.02 * 0.99  # after the burst of 2, the third waits for a refill tick


@pytest.mark.parametrize("procs", PROCS)
def test_atomic_counters_count_exactly(procs: int) -> None:
    out = run_example("atomic_counters", "--tasks", "20", "--ops", "500", procs=procs)
    assert "ops: 10000 (expected 10000)" in out


@pytest.mark.parametrize("procs", PROCS)
def test_mutexes_guard_and_unguarded_loses_updates(procs: int) -> None:
    out = run_example("mutexes", "--n", "2000", procs=procs)
    assert "with the mutex:    {'a': 4000, 'b': 2000}" in out
    m = grab(r"without the mutex: \{'a': (\d+), 'b': (\d+)\}", out)
    assert int(m[1]) <= 4000
    if procs == 1:  # deterministic there: a switch between read and write loses the other's update
        assert int(m[1]) < 4000


@pytest.mark.parametrize("procs", PROCS)
def test_stateful_tasks_every_write_applied_once(procs: int) -> None:
    out = run_example("stateful_tasks", "--readers", "20", "--writers", "5", "--seconds", "0.1", procs=procs)
    reads = int(grab(r"^read ops: (\d+)$", out)[1])
    m = grab(r"write ops acknowledged: (\d+), applied by the owner: (\d+), keys: (\d+)", out)
    assert reads > 0 and int(m[1]) > 0
    assert m[1] == m[2]
    assert 1 <= int(m[3]) <= 5


@pytest.mark.parametrize("procs", PROCS)
def test_context_deadline_and_tree_cancellation(procs: int) -> None:
    out = run_example("context", "--timeout", "0.1", "--workers", "25", procs=procs)
    assert "request 1: finished" in out
    assert "request 2: stopped, DeadlineExceeded" in out
    assert "25 of 25 workers stopped, each once: True; parent err: Canceled" in out


# ---- chapter 2: patterns --------------------------------------------------------------------


@pytest.mark.parametrize("procs", PROCS)
def test_ping_pong_players_alternate(procs: int) -> None:
    out = run_example("ping_pong", "--hits", "1000", "--show", "6", procs=procs)
    shown = out.splitlines()[:6]
    names = [l.split()[0] for l in shown]
    assert [int(l.split()[1]) for l in shown] == list(range(1, 7))
    assert all(a != b for a, b in zip(names, names[1:]))  # strictly alternating
    m = grab(r"^1000 hits: \{'(\w+)': (\d+), '(\w+)': (\d+)\}$", out)
    assert int(m[2]) == int(m[4]) == 500


def test_generator_yields_fibonacci_and_lockstep_services() -> None:
    out = run_example("generator", "--n", "12")
    assert "fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89] (12 values)" in out
    assert [l for l in out.splitlines() if l.startswith(("joe ", "ann "))] == [
        f"{who} {i}" for i in range(3) for who in ("joe", "ann")
    ]
    assert f"sum of squares of 0..11: {sum(i * i for i in range(12))}" in out


@pytest.mark.parametrize("procs", PROCS)
def test_fan_in_every_message_exactly_once(procs: int) -> None:
    out = run_example("fan_in", "--sources", "4", "--n", "30", procs=procs)
    assert "received 120 messages from 4 sources, each exactly once: True" in out


def test_daisy_chain_whispers_through_100000_tasks() -> None:
    out = run_example("daisy_chain")  # the default is Pike's 100,000
    assert out.splitlines()[0] == "100001"
    assert "100000 tasks in the chain (peak 100001 alive)" in out


FIRST_25_PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97]


@pytest.mark.parametrize("procs", PROCS)
def test_prime_sieve_prints_the_first_25_primes(procs: int) -> None:
    out = run_example("prime_sieve", procs=procs)
    assert out.splitlines()[0] == " ".join(map(str, FIRST_25_PRIMES))
    assert "25 primes, 26 tasks in the sieve" in out


@pytest.mark.parametrize("procs", PROCS)
def test_pipeline_cancellation_leaks_no_stage(procs: int) -> None:
    out = run_example("pipeline", "--n", "500", "--take", "7", "--workers", "3", procs=procs)
    m = grab(r"took 7 of 500 squares: \[([\d, ]+)\]", out)
    squares = [int(v) for v in m[1].split(", ")]
    assert len(squares) == len(set(squares)) == 7
    assert all(round(v ** 0.5) ** 2 == v and 1 <= v <= 500 ** 2 for v in squares)
    assert "tasks after cancelling: 1 (only main: no stage leaked)" in out


def test_bounded_parallelism_hashes_every_file_with_at_most_n_workers(tmp_path: Path) -> None:
    expected: dict[str, str] = {}
    for i in range(40):
        folder = tmp_path / f"d{i % 4}"
        folder.mkdir(exist_ok=True)
        data = f"file {i}\n".encode() * (i + 1)
        (folder / f"f{i}.txt").write_bytes(data)
        expected[f"d{i % 4}/f{i}.txt"] = hashlib.md5(data).hexdigest()
    tree = hashlib.md5("".join(f"{p}:{d}\n" for p, d in sorted(expected.items())).encode()).hexdigest()
    out = run_example("bounded_parallelism", "--root", str(tmp_path), "--workers", "3", "--show", "40")
    printed = dict(reversed(line.split("  ", 1)) for line in out.splitlines() if re.match(r"^[0-9a-f]{32}  ", line))
    assert printed == expected
    assert "hashed 40 files" in out
    peak = int(grab(r"peak concurrent digesters: (\d+) \(limit 3\)", out)[1])
    assert 1 <= peak <= 3
    assert f"tree digest: {tree}" in out


def test_bounded_parallelism_default_folder_is_the_cspy_package() -> None:
    out = run_example("bounded_parallelism", "--show", "0")
    root = grab(r"^hashed (\d+) files \(\d+ bytes\) under (.+) with 4 workers$", out)
    assert Path(root[2]) == Path(cspy.__file__).resolve().parent
    assert int(root[1]) > 10


def test_google_search_one_answer_per_backend_or_a_timeout() -> None:
    out = run_example("google_search", "--queries", "2")
    for version in ("1.0 serial", "2.0 parallel \\+ timeout", "3.0 replicated \\+ timeout"):
        grab(rf"^Google search {version}: \d+ ms per query, \d+ timeouts in 2 queries$", out)
    blocks = re.split(r"^Google search .*$", out, flags=re.M)[1:]
    assert len(blocks) == 3
    serial = [l.strip() for l in blocks[0].strip().splitlines()]
    assert serial == [f"{k} result for 'golang 0' from replica 1" for k in ("web", "image", "video")]
    for block in blocks[1:]:
        answers = [l.strip() for l in block.strip().splitlines()]
        kinds = [a.split()[0] for a in answers if a != "timed out"]
        assert len(kinds) == len(set(kinds)) <= 3  # first reply wins: one answer per backend
        assert len(answers) - len(kinds) <= 1  # at most one "timed out", and it ends the list


@pytest.mark.parametrize("procs", [1, 2])
def test_echo_server_echoes_every_byte_in_order(procs: int) -> None:
    out = run_example("echo_server", "--clients", "8", "--messages", "50", "--size", "8192", procs=procs)
    grab(r"^echo server listening on 127\.0\.0\.1:\d+$", out)
    sent = grab(r"^8 connections, 400 messages, (\d+) bytes each way in [\d.]+s$", out)
    server = grab(r"^server: 8 connections accepted, (\d+) bytes echoed, all connection tasks finished$", out)
    assert int(sent[1]) == int(server[1]) > 400 * len("0:0:")  # what went out came back, no more
    rtt = grab(r"^round trip: p50 ([\d.]+) ms, p99 ([\d.]+) ms$", out)
    assert float(rtt[1]) <= float(rtt[2])
    assert out.splitlines()[-1] == "every byte echoed in order: True"


def test_echo_server_refuses_a_size_that_could_deadlock() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(
        [sys.executable, "-m", "cspy", "examples", "run", "echo_server", "--size", "1000000"],
        env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )
    assert proc.returncode == 2
    assert "--size must be between 16 and 65536 bytes, got 1000000" in proc.stderr


@pytest.mark.parametrize("procs", [1, 2])
def test_http_echo_echoes_every_byte_on_kept_alive_connections(procs: int) -> None:
    out = run_example("http_echo", "--clients", "6", "--messages", "30", "--size", "20000", procs=procs)
    grab(r"^http echo server listening on 127\.0\.0\.1:\d+$", out)
    sent = grab(r"^6 clients, 180 requests, (\d+) bytes each way in [\d.]+s$", out)
    server = grab(r"^server: (\d+) connections accepted for 180 requests \(kept alive\), (\d+) bytes echoed, "
                  r"all connection tasks finished$", out)
    assert int(server[1]) <= 6  # at most one connection per client task: reused, not redialled
    assert int(sent[1]) == int(server[2]) > 180 * len("0:0:")
    rtt = grab(r"^round trip: p50 ([\d.]+) ms, p99 ([\d.]+) ms$", out)
    assert float(rtt[1]) <= float(rtt[2])
    assert out.splitlines()[-1] == "every byte echoed in order: True"


# ---- the HTTP examples serve curl -----------------------------------------------------------


def serve_example(name: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start an example with ``--serve 0`` (its own process); (the process, the URL it printed)."""
    path = next((REPO / "examples").glob(f"*/[0-9][0-9]_{name}.py"))
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("CSPY_LIVE", None)
    proc = subprocess.Popen([sys.executable, str(path), "--serve", "0", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the first line names the URL; blocks until it is printed
    m = re.search(r"(http://127\.0\.0\.1:\d+)\S*", line)
    if not m:
        proc.kill()
        pytest.fail(f"{name} --serve printed {line!r}; stderr: {proc.communicate()[1]}")
    return proc, m[1]


def stop_example(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C the example (by its pid) and wait for it; its stderr."""
    import signal

    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, err
    return err


def curl(*args: str) -> str:
    import shutil

    path = shutil.which("curl")
    if path is None:
        pytest.fail("curl is not installed (apt-get install -y curl; .ci/run does)")
    out = subprocess.run([path, "-sS", *args], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode()


def test_api_gateway_serves_curl() -> None:
    proc, base = serve_example("api_gateway", "--timeout", "1.0")  # healthy calls never time out
    try:
        ok = curl("-i", f"{base}/user/7")
        codes = curl("-o", "/dev/null", "-w", "%{http_code} ", f"{base}/user/[1-25]").split()
        missing = curl("-i", f"{base}/nope")
    finally:
        err = stop_example(proc)
    assert ok.startswith("HTTP/1.1 200 OK") and ok.endswith("users:7 orders:7")
    assert codes.count("504") == 1 and codes.count("200") == 24  # the 25th orders call hangs
    assert missing.startswith("HTTP/1.1 404 ")
    assert "stopped" in err


def test_gateway_overload_serves_curl() -> None:
    proc, base = serve_example("gateway_overload")
    try:
        ok = curl("-i", f"{base}/order/1")
        codes = curl("-o", "/dev/null", "-w", "%{http_code} ", "--parallel", "--parallel-max", "50",
                     f"{base}/order/[1-300]").split()
    finally:
        stop_example(proc)
    assert ok.startswith("HTTP/1.1 200 OK") and ok.endswith("ok 1 order:1")
    assert len(codes) == 300 and set(codes) <= {"200", "503", "504"}
    assert "503" in codes  # 300 at once against 150/s (burst 15) and 4 in flight: shed


def test_http_echo_serves_curl() -> None:
    proc, base = serve_example("http_echo")
    try:
        plain = curl("--data-binary", "hello", f"{base}/echo")
        streamed = curl("-i", "--data-binary", "x" * 10000, f"{base}/echo?stream=1")
    finally:
        stop_example(proc)
    assert plain == "hello"
    assert "transfer-encoding: chunked" in streamed.lower() and streamed.endswith("x" * 10000)


# ---- chapter 3: cookbook --------------------------------------------------------------------


def test_task_pool_bounds_concurrency_and_tasks() -> None:
    out = run_example("task_pool", "--jobs", "600", "--workers", "12", "--capacity", "12")
    unbounded = grab(r"^unbounded spawn\s+[\d,]+\s+(\d+)\s+(\d+)\s+(\w+)$", out)
    pooled = grab(r"^pool of 12\s+[\d,]+\s+(\d+)\s+(\d+)\s+(\w+)$", out)
    assert unbounded[3] == pooled[3] == "ok"
    assert int(pooled[2]) <= 12  # never more than N jobs at once
    assert int(pooled[1]) <= 12 + 1  # the workers and main
    assert int(unbounded[1]) > 12 + 1  # one task per job


def test_lock_contention_all_three_count_exactly() -> None:
    out = run_example("lock_contention", "--tasks", "20", "--ops", "3", "--latency", "0.001")
    for name in ("one Mutex", "sharded x16", "AtomicInt"):
        grab(rf"^{name}\s+[\d.]+s\s+[\d,]+ ops/s\s+total 60 \(exact: True\)$", out)


def test_once_loads_exactly_once() -> None:
    out = run_example("once", "--tasks", "30", "--load", "0.05")
    naive = grab(r"^naive check-then-load: (\d+) loads, (\d+) different configs for 30 tasks$", out)
    assert int(naive[1]) > 1 and naive[1] == naive[2]  # the race: several loads, several configs
    assert "with cspy.Once:        1 loads, 1 different configs for 30 tasks" in out


def test_rwmutex_cache_readers_share_writers_exclude() -> None:
    out = run_example("rwmutex_cache", "--readers", "20", "--reads", "5", "--read", "0.002")
    mutex = grab(r"^Mutex .*peak readers inside: (\d+); readers inside during a write: (\d+)$", out)
    rw = grab(r"^RWMutex .*peak readers inside: (\d+); readers inside during a write: (\d+)$", out)
    assert mutex[1] == "1" and mutex[2] == "0"
    assert int(rw[1]) > 1 and rw[2] == "0"


@pytest.mark.parametrize("procs", PROCS)
def test_singleflight_hits_the_database_once_per_key(procs: int) -> None:
    out = run_example("singleflight_cache", "--keys", "4", "--requests", "80", procs=procs)
    naive = grab(r"^naive cache-aside\s+80 requests for 4 keys: (\d+) database queries .*answers correct: True$", out)
    single = grab(r"^with singleflight\s+80 requests for 4 keys: (\d+) database queries \(per key: \[1\]\)"
                  r".*answers correct: True$", out)
    assert single[1] == "4"
    assert int(naive[1]) > 4  # the stampede the singleflight collapses


def test_rate_limiters_admit_within_10_percent_of_the_rate() -> None:
    def invariants(out: str) -> None:
        for name in ("token bucket", "sliding window"):
            grab(rf"^{name}\s+admitted/rejected per 0.25s:", out)
        assert len(re.findall(r"total admitted (\d+), rejected (\d+)", out)) == 2

    def timing(out: str) -> None:
        rates = [float(r) for r in re.findall(r"steady rate ([\d.]+)/s \(limit 100/s\)", out)]
        assert len(rates) == 2
        for r in rates:
            assert 90 <= r <= 110, out
        totals = re.findall(r"total admitted (\d+), rejected (\d+)", out)
        assert all(int(rejected) > int(admitted) for admitted, rejected in totals), out  # 3x overload

    run_timed_example("rate_limiters", "--rate", "100", "--seconds", "1", invariants=invariants, timing=timing)


def test_circuit_breaker_sheds_load_and_recovers() -> None:
    failing_re = r"^phase failing: (\d+) answers, (\d+) from the service, (\d+) fallbacks; (\d+) calls"

    def invariants(out: str) -> None:
        failing = grab(failing_re, out)
        assert int(failing[2]) <= 5  # only the calls already in flight when it broke
        # The failing dependency sees the calls in flight when it broke, the threshold, one probe
        # per open period -- not one call per answer.
        assert int(failing[4]) <= 5 + 3 + int(0.2 / 0.05) + 2
        assert "circuit closed -> open" in out

    def timing(out: str) -> None:
        failing = grab(failing_re, out)
        assert int(failing[1]) > 2 * int(failing[4]), out  # answers (fallbacks) outnumber calls
        assert "circuit half-open -> closed" in out
        assert out.splitlines()[-1] == "final state: closed"

    run_timed_example("circuit_breaker", "--clients", "5", "--phase", "0.2", "--threshold", "3", "--open", "0.05",
                      invariants=invariants, timing=timing)


def test_batch_chunks_every_item_once_for_every_chunk_count() -> None:
    out = run_example("batch_chunks", "--items", "1000", "--chunks", "1,3,8,1000")
    rows = re.findall(r"^\s+(\d+)\s+[\d.]+\s+[\d,]+\s+(True|False)$", out, re.M)
    assert rows == [("1", "True"), ("3", "True"), ("8", "True"), ("1000", "True")]


@pytest.mark.parametrize("procs", PROCS)
def test_api_gateway_answers_every_request_once_and_times_out_hung_calls(procs: int) -> None:
    out = run_example("api_gateway", "--clients", "5", "--requests", "10", "--slow-every", "10", procs=procs)
    m = grab(r"^50 requests from 5 clients in [\d.]+s \([\d,]+ req/s\): (\d+) ok, (\d+) timed out \(504\)$", out)
    ok, timed_out = int(m[1]), int(m[2])
    assert ok + timed_out == 50
    assert timed_out >= 5  # every 10th orders call hangs past the deadline
    assert ok > 0
    assert "every request answered exactly once: True; answers correct: True" in out


@pytest.mark.parametrize("procs", [1, 2])
def test_gateway_overload_sheds_load_and_answers_every_request_once(procs: int) -> None:
    # 4x the admitted rate; a 0.2 s deadline (10x the backend's latency) so that a loaded machine
    # does not time out healthy calls; the backend hangs 0.3..0.9 s of the 1.6 s run, long enough
    # for the breaker to open and fail a probe, short enough to leave it time to close again.
    summary_re = (r"^sent (\d+) in [\d.]+s: accepted (\d+), rejected (\d+) \(limiter (\d+), "
                  r"concurrency (\d+), breaker (\d+)\), timed out (\d+), failed (\d+)$")
    transitions_re = r"circuit (closed|open|half-open) -> (closed|open|half-open)"

    def invariants(out: str) -> None:
        m = grab(summary_re, out)
        sent, accepted, rejected, limiter, concurrency, by_breaker, timed_out, failed = map(int, m.groups())
        assert accepted + rejected + timed_out == sent  # one answer each, none of them a 502
        assert failed == 0
        assert limiter + concurrency + by_breaker == rejected
        assert "every request answered exactly once: True; answers match their requests: True" in out
        b = grab(r"^breaker: opened (\d+), closed (\d+), final state (\S+); (\d+) calls reached", out)
        assert int(b[1]) == sum(1 for _, new in re.findall(transitions_re, out) if new == "open")

    def timing(out: str) -> None:
        m = grab(summary_re, out)
        sent, accepted, rejected, limiter, concurrency, by_breaker, timed_out, failed = map(int, m.groups())
        assert accepted > 0, out
        assert limiter > 0, out  # the offered load is 4x the rate
        assert concurrency > 0, out  # hung backend calls hold every slot for the whole deadline
        assert by_breaker > 0, out  # while open, the breaker answers 503 with the fallback
        assert timed_out >= 5, out  # the breaker opens only after 5 failures in a row: those are 504s
        p = grab(r"^accepted latency: p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms", out)
        assert 0 < float(p[1]) <= float(p[2]) <= float(p[3])
        transitions = re.findall(transitions_re, out)
        assert transitions[0] == ("closed", "open"), out
        assert transitions[-1] == ("half-open", "closed"), out
        b = grab(r"^breaker: opened (\d+), closed (\d+), final state (\S+); (\d+) calls reached", out)
        assert int(b[1]) >= 1 and int(b[2]) >= 1 and b[3] == "closed", out

    run_timed_example("gateway_overload", "--clients", "40", "--rate", "100", "--overload", "4",
                      "--seconds", "1.6", "--timeout", "0.2", "--down-for", "0.6", procs=procs,
                      invariants=invariants, timing=timing)


@pytest.mark.parametrize("procs", PROCS)
def test_sync_pool_buffers_reuses_buffers_and_changes_no_result(procs: int) -> None:
    tasks, requests = 8, 300
    out = run_example("sync_pool_buffers", "--tasks", str(tasks), "--requests", str(requests),
                      "--size", "65536", "--rounds", "2", procs=procs)
    assert "every request handled once: True; same results: True" in out
    made = {m[1]: int(m[2]) for m in re.finditer(r"^(alloc|pool) .* buffers allocated +(\d+) per round", out, re.M)}
    assert made["alloc"] == tasks * requests  # one buffer per request
    # a buffer per task held across the switch, plus what other processors' caches keep
    assert made["pool"] < tasks * requests // 10, out
    sums = re.findall(r"checksum ([0-9a-f]{8})$", out, re.M)
    assert len(sums) == 2 and sums[0] == sums[1]
