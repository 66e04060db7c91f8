"""Pipeline with cancellation: stages joined by channels, stopped early through a done channel.

Go idiom (Sameer Ajmani, "Go Concurrency Patterns: Pipelines and cancellation", the Go blog):
`gen -> sq (fanned out to --workers) -> merge`, every stage selecting on `done` as well as on
its send, so when the consumer `close(done)`s after taking what it needs, every upstream stage
returns instead of blocking forever on a send nobody will receive (a goroutine leak).
`context.Context` carries the same signal in today's Go: `ctx.done()` is such a channel.

Live view (`cspy examples run pipeline --live --n 10000000 --take 5000000`): the stages run
in a steady rhythm; at the cancel they all wake from "select" and the task count drops to 1.
"""

from __future__ import annotations

import argparse

import cspy


def gen(done: cspy.RecvChan[None], n: int) -> cspy.RecvChan[int]:
    out = cspy.Chan[int]()

    def run() -> None:
        try:
            for i in range(1, n + 1):
                index, _, _ = cspy.select(cspy.Send(out, i), cspy.Recv(done))
                if index == 1:
                    return  # cancelled: stop producing
        finally:
            out.close()

    cspy.go(run)
    return out.recv_only()


def sq(done: cspy.RecvChan[None], src: cspy.RecvChan[int]) -> cspy.RecvChan[int]:
    out = cspy.Chan[int]()

    def run() -> None:
        try:
            for v in src:
                index, _, _ = cspy.select(cspy.Send(out, v * v), cspy.Recv(done))
                if index == 1:
                    return
        finally:
            out.close()

    cspy.go(run)
    return out.recv_only()


def merge(done: cspy.RecvChan[None], *inputs: cspy.RecvChan[int]) -> cspy.RecvChan[int]:
    out = cspy.Chan[int]()
    wg = cspy.WaitGroup()

    def forward(src: cspy.RecvChan[int]) -> None:
        try:
            for v in src:
                index, _, _ = cspy.select(cspy.Send(out, v), cspy.Recv(done))
                if index == 1:
                    return
        finally:
            wg.done()

    def close_when_done() -> None:  # Go: go func() { wg.Wait(); close(out) }()
        wg.wait()
        out.close()

    for src in inputs:
        wg.add(1)
        cspy.go(forward, src)
    cspy.go(close_when_done)
    return out.recv_only()


def program(n: int, take: int, workers: int) -> None:
    done = cspy.Chan[None]()
    numbers = gen(done.recv_only(), n)
    squares = merge(done.recv_only(), *(sq(done.recv_only(), numbers) for _ in range(workers)))

    got = [squares.recv() for _ in range(take)]
    print(f"took {len(got)} of {n} squares: {sorted(got)[:10]}{' ...' if take > 10 else ''}")
    print(f"tasks before cancelling: {cspy.num_tasks()}")
    done.close()  # broadcast: every stage's select sees it
    for _ in squares:
        pass  # drain until merge closes: every stage has now returned
    cspy.sleep(0.01)
    print(f"tasks after cancelling: {cspy.num_tasks()} (only main: no stage leaked)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="numbers generated (default 1000)")
    parser.add_argument("--take", type=int, default=5, help="squares the consumer wants (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="parallel sq stages (default 2)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n, args.take, args.workers)


if __name__ == "__main__":
    main()
