"""Timeouts: bound a wait with select and cspy.after, Go's `case <-time.After(d)`.

Go idiom (Go by Example, "Timeouts"): `select { case res := <-c1: ...; case <-time.After(1 *
time.Second): fmt.Println("timeout 1") }`. The first call takes 2x--timeout and times out; the
second gets a longer deadline and succeeds. The result channels are buffered (capacity 1) so a
call that lost the race can still deliver and end, instead of leaking a blocked task.

Live view (`cspy examples run timeouts --live --timeout 2`): main parked on "select" with a
pending timer; the slow call parked on "sleep".
"""

from __future__ import annotations

import argparse

import cspy


def slow_call(seconds: float, result: cspy.SendChan[str], value: str) -> None:
    cspy.sleep(seconds)
    result.send(value)  # buffered: never blocks, even when nobody waits any more


def call_with_timeout(name: str, takes: float, timeout: float) -> None:
    result = cspy.Chan[str](1)
    cspy.go(slow_call, takes, result.send_only(), f"result {name}")
    index, value, _ok = cspy.select(cspy.Recv(result), cspy.Recv(cspy.after(timeout)))
    print(value if index == 0 else f"timeout {name}")


def program(timeout: float) -> None:
    call_with_timeout("1", takes=2 * timeout, timeout=timeout)      # too slow: times out
    call_with_timeout("2", takes=2 * timeout, timeout=3 * timeout)  # fast enough: succeeds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=0.1, help="seconds (default 0.1)")
    args = parser.parse_args(argv)
    cspy.run(program, args.timeout)


if __name__ == "__main__":
    main()
