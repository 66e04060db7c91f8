"""A leaked task caught: the leak check after main, and the pytest plugin that runs it.

Go idiom: `defer goleak.VerifyNone(t)` (uber-go/goleak) at the end of a test, which lists the
goroutines still running -- after retrying for a while, since it can only read stack dumps.
cspy's runtime knows every task's state, so `cspy.testing.run` checks at the one exact moment:
main has returned and nothing can run without the clock moving. Here `first_response` asks two
replicas and returns the first answer; the slower replica's task then blocks forever on an
unbuffered channel nobody reads -- a leak. The report names the task, its wait reason
(`chan send`), the channel, and the line that spawned it. The fix, a buffered channel, passes.
In a test suite: mark the test `@pytest.mark.cspy` and the plugin reports the same leak.

Live view: not useful here -- the run takes a few virtual milliseconds.
"""

from __future__ import annotations

import argparse

import cspy


def first_response(buffered: bool) -> str:
    answers = cspy.Chan[str](2 if buffered else 0, name="answers")

    def replica(name: str, latency: float) -> None:
        cspy.sleep(latency)
        answers.send(f"{name} answered")

    cspy.go(replica, "fast", 0.010, name="replica-fast")
    cspy.go(replica, "slow", 0.030, name="replica-slow")
    return answers.recv()


def handler(buffered: bool) -> str:
    """Serve one request, then go on with other work (a second of it) before returning."""
    got = first_response(buffered)
    cspy.sleep(1.0)
    return got


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    try:
        cspy.testing.run(handler, False)
    except cspy.testing.LeakError as err:
        print("unbuffered answers channel:")
        print(err)
        (leak,) = err.leaks
        assert (leak.name, leak.reason) == ("replica-slow", "chan send")
        assert leak.spawned_at is not None and "05_leaked_task.py:" in leak.spawned_at
    else:
        raise SystemExit("the leak was not caught")
    print()
    print(f"buffered answers channel: {cspy.testing.run(handler, True)}, no task leaked")


if __name__ == "__main__":
    main()
