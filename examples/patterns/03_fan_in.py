"""Fan-in: merge several channels into one with select, dropping each input as it closes.

Go idiom (Rob Pike, "Go Concurrency Patterns"): `func fanIn(input1, input2 <-chan string)
<-chan string` with one goroutine looping on `select { case s := <-input1: c <- s; case s :=
<-input2: c <- s }`. When an input closes, set it to nil: a nil channel is never ready, so
select stops picking it (here: replace the case's channel with None). The merged channel closes
when every input has.

Live view (`cspy examples run fan_in --live --sources 100 --n 10000`): the merger parked on
"select" over a hundred inputs; talkers parked on "sleep" and "chan send".
"""

from __future__ import annotations

import argparse
import random

import cspy


def talker(name: str, n: int, out: cspy.SendChan[str]) -> None:
    for i in range(n):
        cspy.sleep(random.uniform(0, 0.002))  # talk at an irregular pace
        out.send(f"{name} {i}")
    out.close()


def fan_in(*inputs: cspy.RecvChan[str]) -> cspy.RecvChan[str]:
    merged = cspy.Chan[str]()

    def merge() -> None:
        live: list[cspy.RecvChan[str] | None] = list(inputs)
        while any(ch is not None for ch in live):
            index, msg, ok = cspy.select(*(cspy.Recv(ch) for ch in live))
            if not ok:
                live[index] = None  # closed: a nil channel is never selected again
                continue
            merged.send(msg)
        merged.close()

    cspy.go(merge)
    return merged.recv_only()


def program(sources: int, n: int) -> None:
    names = ["joe", "ann"] if sources == 2 else [f"talker{i}" for i in range(sources)]
    inputs = []
    for name in names:
        ch = cspy.Chan[str]()
        cspy.go(talker, name, n, ch.send_only())
        inputs.append(ch.recv_only())

    received: list[str] = []
    for msg in fan_in(*inputs):
        if len(received) < 10:
            print(msg)
        received.append(msg)
    expected = {f"{name} {i}" for name in names for i in range(n)}
    once = len(received) == len(set(received)) and set(received) == expected
    print(f"received {len(received)} messages from {sources} sources, each exactly once: {once}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=2, help="talkers (default 2)")
    parser.add_argument("--n", type=int, default=50, help="messages per talker (default 50)")
    args = parser.parse_args(argv)
    cspy.run(program, args.sources, args.n)


if __name__ == "__main__":
    main()
