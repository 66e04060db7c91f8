"""Google search: query replicated backends in parallel, take the first reply, give up at a deadline.

Go idiom (Rob Pike, "Go Concurrency Patterns", Google Search 1.0 -> 3.0): a fake search for Web,
Image and Video, each taking a random time. 1.0 asks them in turn (latencies add up); 2.0 asks
them in parallel and fans the replies in (the slowest one sets the pace) with a timeout; 3.0
also asks --replicas replicas of each and takes the first reply (`First(replicas...)`), which
cuts the tail latency. Result channels are buffered, so losing replicas never block (no leak).

Live view (`cspy examples run google_search --live --queries 10000`): bursts of replica
tasks parked on "sleep", main on "select" with a deadline timer.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Callable

import cspy

Search = Callable[[str], str]


def fake_search(kind: str, replica: int, max_latency: float) -> Search:
    def search(query: str) -> str:
        cspy.sleep(random.uniform(0, max_latency))
        return f"{kind} result for {query!r} from replica {replica}"

    return search


def first(query: str, replicas: list[Search]) -> str:
    """Ask every replica; the first reply wins, the others are dropped."""
    c = cspy.Chan[str](len(replicas))  # room for every reply: losers never block
    for search in replicas:
        cspy.go(lambda search=search: c.send(search(query)))
    return c.recv()


def google_serial(query: str, backends: dict[str, list[Search]]) -> list[str]:
    return [replicas[0](query) for replicas in backends.values()]


def google_parallel(query: str, backends: dict[str, list[Search]], timeout: float,
                    replicated: bool) -> list[str]:
    c = cspy.Chan[str](len(backends))
    for replicas in backends.values():
        if replicated:
            cspy.go(lambda r=replicas: c.send(first(query, r)))
        else:
            cspy.go(lambda r=replicas: c.send(r[0](query)))
    results = []
    deadline = cspy.after(timeout)
    for _ in backends:
        index, result, _ok = cspy.select(cspy.Recv(c), cspy.Recv(deadline))
        if index == 1:
            results.append("timed out")
            break
        results.append(result)
    return results


def program(replicas: int, max_latency: float, timeout: float, queries: int) -> None:
    backends = {
        kind: [fake_search(kind, r, max_latency) for r in range(1, replicas + 1)]
        for kind in ("web", "image", "video")
    }
    versions: list[tuple[str, Callable[[str], list[str]]]] = [
        ("1.0 serial", lambda q: google_serial(q, backends)),
        ("2.0 parallel + timeout", lambda q: google_parallel(q, backends, timeout, False)),
        ("3.0 replicated + timeout", lambda q: google_parallel(q, backends, timeout, True)),
    ]
    for title, fn in versions:
        start = time.monotonic()
        answers = [fn(f"golang {i}") for i in range(queries)]
        elapsed = (time.monotonic() - start) / queries
        timed_out = sum(a.count("timed out") for a in answers)
        print(f"Google search {title}: {elapsed * 1000:.0f} ms per query, "
              f"{timed_out} timeouts in {queries} queries")
        for line in answers[0]:
            print(f"  {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3, help="replicas per backend (default 3)")
    parser.add_argument("--latency", type=float, default=0.1, help="max latency (default 0.1 s)")
    parser.add_argument("--timeout", type=float, default=0.08, help="deadline (default 0.08 s)")
    parser.add_argument("--queries", type=int, default=3, help="queries per version (default 3)")
    args = parser.parse_args(argv)
    cspy.run(program, args.replicas, args.latency, args.timeout, args.queries)


if __name__ == "__main__":
    main()
