"""Stateful tasks: one task owns the state; the others read and write it over channels.

Go idiom (Go by Example, "Stateful Goroutines"): "share memory by communicating". A single
goroutine owns a map; readers send a `readOp{key, resp}` and writers a `writeOp{key, val,
resp}` on channels, and the owner `select`s over both. No lock anywhere: only the owner touches
the map, one request at a time. Every write is acknowledged, so the counts must agree.

Live view (`cspy examples run stateful_tasks --live --seconds 5 --readers 1000`): the owner is
busy; the readers and writers queue on "chan send" and "chan receive" around it.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field

import cspy


@dataclass
class ReadOp:
    key: int
    resp: cspy.Chan[int] = field(default_factory=cspy.Chan)


@dataclass
class WriteOp:
    key: int
    val: int
    resp: cspy.Chan[bool] = field(default_factory=cspy.Chan)


def owner(reads: cspy.RecvChan[ReadOp], writes: cspy.RecvChan[WriteOp],
          report: cspy.SendChan[tuple[int, int]], stop: cspy.RecvChan[None]) -> None:
    state: dict[int, int] = {}  # owned by this task alone
    applied = 0
    while True:
        index, op, _ok = cspy.select(cspy.Recv(reads), cspy.Recv(writes), cspy.Recv(stop))
        if index == 0:
            op.resp.send(state.get(op.key, 0))
        elif index == 1:
            state[op.key] = op.val
            applied += 1
            op.resp.send(True)
        else:
            report.send((applied, len(state)))
            return


def program(readers: int, writers: int, seconds: float) -> None:
    reads, writes = cspy.Chan[ReadOp](), cspy.Chan[WriteOp]()
    stop, report = cspy.Chan[None](), cspy.Chan[tuple[int, int]]()
    cspy.go(owner, reads.recv_only(), writes.recv_only(), report.send_only(), stop.recv_only())

    read_ops, write_ops = cspy.AtomicInt(), cspy.AtomicInt()
    quit = cspy.Chan[None]()  # closed to tell the clients to stop
    wg = cspy.WaitGroup()

    def reader() -> None:
        try:
            while not quit.closed:
                op = ReadOp(random.randrange(5))
                reads.send(op)
                op.resp.recv()
                read_ops.add(1)
                cspy.sleep(0.001)
        finally:
            wg.done()

    def writer() -> None:
        try:
            while not quit.closed:
                op = WriteOp(random.randrange(5), random.randrange(100))
                writes.send(op)
                if op.resp.recv():
                    write_ops.add(1)
                cspy.sleep(0.001)
        finally:
            wg.done()

    for client in [reader] * readers + [writer] * writers:
        wg.add(1)
        cspy.go(client)
    cspy.sleep(seconds)
    quit.close()
    wg.wait()  # every client finished its last request; the owner still serves until stopped
    stop.send(None)
    applied, keys = report.recv()
    print(f"read ops: {read_ops.load()}")
    print(f"write ops acknowledged: {write_ops.load()}, applied by the owner: {applied}, keys: {keys}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100, help="reader tasks (default 100)")
    parser.add_argument("--writers", type=int, default=10, help="writer tasks (default 10)")
    parser.add_argument("--seconds", type=float, default=0.3, help="run time (default 0.3)")
    args = parser.parse_args(argv)
    cspy.run(program, args.readers, args.writers, args.seconds)


if __name__ == "__main__":
    main()
