"""Non-blocking operations: try a send or receive with select(..., default=True).

Go idiom (Go by Example, "Non-Blocking Channel Operations"): a `select` with a `default` case
never blocks -- `select { case msg := <-messages: ...; default: fmt.Println("no message
received") }`. Here `cspy.select(..., default=True)` returns index -1 when nothing is ready.
The second half uses a non-blocking send to drop work when a queue is full (load shedding).

Live view: nothing parks -- that is the point. Run `non_blocking --n 1000000` and watch main
stay "running" while the shedding counter grows.
"""

from __future__ import annotations

import argparse

import cspy


def program(n: int, queue_cap: int) -> None:
    messages, signals = cspy.Chan[str](), cspy.Chan[bool]()

    index, msg, _ok = cspy.select(cspy.Recv(messages), default=True)
    print(f"received message {msg}" if index == 0 else "no message received")

    index, _, _ = cspy.select(cspy.Send(messages, "hi"), default=True)
    print("sent message hi" if index == 0 else "no message sent")  # nobody is receiving

    index, value, _ = cspy.select(cspy.Recv(messages), cspy.Recv(signals), default=True)
    print("no activity" if index == -1 else f"activity on case {index}: {value}")

    # Load shedding: offer n jobs to a small queue without ever blocking the producer.
    queue = cspy.Chan[int](queue_cap)
    accepted = dropped = 0
    for job in range(n):
        index, _, _ = cspy.select(cspy.Send(queue, job), default=True)
        if index == 0:
            accepted += 1
        else:
            dropped += 1
    print(f"offered {n} jobs to a queue of {queue_cap}: accepted {accepted}, dropped {dropped}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="jobs to offer (default 100)")
    parser.add_argument("--queue", type=int, default=10, help="queue capacity (default 10)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n, args.queue)


if __name__ == "__main__":
    main()
