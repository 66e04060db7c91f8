"""Timers: a cspy.Timer fires once on its channel, and can be stopped before it does.

Go idiom (Go by Example, "Timers"): `timer1 := time.NewTimer(2 * time.Second); <-timer1.C`, and
`timer2.Stop()` cancels a timer that has not fired (Stop returns true). A plain `sleep` cannot
be cancelled; a timer can. The last part resets a timer: it fires after the new duration.

Live view (`cspy examples run timers --live --wait 2`): the timer count per processor goes up
as timers are armed, and down as they fire or are stopped.
"""

from __future__ import annotations

import argparse

import cspy


def program(wait: float) -> None:
    timer1 = cspy.Timer(wait)
    timer1.c.recv()
    print("timer 1 fired")

    timer2 = cspy.Timer(wait)

    def wait_for_timer2() -> None:
        timer2.c.recv()
        print("timer 2 fired")  # never printed: the timer is stopped first

    cspy.go(wait_for_timer2)
    if timer2.stop():
        print("timer 2 stopped")
    cspy.sleep(2 * wait)  # give timer 2 ample time to fire, if it were going to

    timer3 = cspy.Timer(10 * wait)
    start = cspy.now()
    timer3.reset(wait)  # re-arm with a shorter duration
    timer3.c.recv()
    print(f"timer 3 reset to {wait}s fired after {cspy.now() - start:.2f}s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=0.1, help="timer duration (default 0.1 s)")
    args = parser.parse_args(argv)
    cspy.run(program, args.wait)


if __name__ == "__main__":
    main()
