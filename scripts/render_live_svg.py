"""Render the live view of a real workload to docs/live-view.svg (the README's picture).

    python scripts/render_live_svg.py [--out docs/live-view.svg] [--width 120]

Runs a short workload on two processors (a dispatcher spawning a task per job, results fanned
back in to a slow consumer, a ticker, a stubborn task that never yields), samples the scheduler from a thread of
its own the way the live view does, keeps the busiest sample, and renders it with the same
code as ``cspy.run(main, live=True)`` -- so the image shows what the view really draws.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from rich.console import Console  # noqa: E402

import cspy  # noqa: E402
from cspy.live import Sample, Sampler, dashboard  # noqa: E402
from cspy.live.sample import Rates  # noqa: E402


def workload() -> int:
    jobs = 12000
    results = cspy.Chan[int](16, name="results")
    tickets = cspy.Chan[int](64, name="tickets")  # at most 64 jobs in flight
    wg = cspy.WaitGroup()

    def handle(j: int) -> None:
        try:
            if j % 5 == 0:
                cspy.sleep(0.003)  # some jobs wait on "I/O"
            results.send(sum(range(j % 400)))  # and all of them compute a little
            tickets.recv()
        finally:
            wg.done()

    def dispatcher() -> None:  # fans out new tasks: idle processors steal them
        for j in range(jobs):
            tickets.send(j)
            wg.add(1)
            cspy.go(handle, j, name=f"job-{j}")

    def stubborn() -> None:  # holds its processor without yielding: sysmon reports it
        t = time.monotonic()
        while time.monotonic() - t < 0.06:
            pass

    def ticker() -> None:
        for _ in range(100):
            cspy.sleep(0.01)

    cspy.go(dispatcher, name="dispatcher")
    cspy.go(ticker, name="ticker")
    total = 0
    for n in range(jobs):
        total += results.recv()
        if n % 50 == 0:
            cspy.sleep(0.002)  # a slow consumer: results back up
        if n % 4000 == 2000:
            cspy.go(stubborn, name="stubborn")
    wg.wait()
    return total


def best_sample(samples: list[tuple[Sample, Rates]]) -> tuple[Sample, Rates]:
    """The sample with the most going on (queued + parked tasks, switches), late in the run."""

    def score(sr: tuple[Sample, Rates]) -> float:
        s = sr[0].stats
        busy = sum(1 for p in s.procs if p.current is not None or p.runq)
        parts = len(s.parked) + sum(1 for c in sr[0].channels if c.len or c.senders or c.receivers)
        return s.waiting + s.runnable + 50 * busy + 20 * parts + 100 * len(s.long_running_recent)

    return max(samples, key=score)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "live-view.svg")
    ap.add_argument("--width", type=int, default=120)
    ns = ap.parse_args()

    sampler = Sampler()
    samples: list[tuple[Sample, Rates]] = []
    stop = threading.Event()

    def sample_loop() -> None:
        while not stop.wait(0.02):
            taken = sampler.take()
            if taken is not None and taken[0].stats.tasks:
                samples.append(taken)

    cspy.channel.track_channels(True)
    t = threading.Thread(target=sample_loop, name="sampler")
    t.start()
    try:
        cspy.run(workload, procs=2)
    finally:
        stop.set()
        t.join()
        cspy.channel.track_channels(False)
    if not samples:
        raise SystemExit("no sample was taken while the workload ran; try again")
    console = Console(record=True, width=ns.width, force_terminal=True, color_system="truecolor")
    console.print(dashboard(*best_sample(samples)))
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    console.save_svg(str(ns.out), title="cspy live view")
    print(f"wrote {ns.out} ({len(samples)} samples, width {ns.width})")


if __name__ == "__main__":
    main()
