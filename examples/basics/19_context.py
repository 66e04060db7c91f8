"""Context: cancel a tree of tasks, or bound it by a deadline, with cspy.context.

Go idiom (Go by Example, "Context", and the `context` package): a handler receives a `ctx` and
`select`s on `ctx.Done()` next to its work, returning `ctx.Err()` when cancelled. Contexts form a
tree: `with_cancel(parent)` and `with_timeout(parent, d)` derive children, and cancelling a
parent cancels every descendant. Values (a request id) ride along with `with_value`. Always
call `cancel()` when done -- it releases the context's timer and its place in the tree.

Live view (`cspy examples run context --live --workers 1000 --timeout 3`): a thousand workers
parked on "select"; when the deadline passes they all wake and finish within one refresh.
"""

from __future__ import annotations

import argparse
from typing import Callable

import cspy
from cspy import context

REQUEST_ID = "request-id"


def handler(ctx: context.Context, work: float) -> str:
    """A request handler: `work` seconds of work unless the context ends first."""
    rid = ctx.value(REQUEST_ID)
    index, _, _ = cspy.select(cspy.Recv(cspy.after(work)), cspy.Recv(ctx.done()))
    if index == 0:
        return f"request {rid}: finished"
    return f"request {rid}: stopped, {type(ctx.err()).__name__}"


def worker(ctx: context.Context, cancel: Callable[[], None], wid: int,
           stopped: cspy.SendChan[int]) -> None:
    try:  # Go: defer cancel()
        while True:
            index, _, _ = cspy.select(cspy.Recv(ctx.done()), default=True)
            if index == 0:
                stopped.send(wid)  # the whole tree was cancelled: clean up and return
                return
            cspy.sleep(0.005)  # a slice of work
    finally:
        cancel()


def program(timeout: float, workers: int) -> None:
    root = context.background()

    # A deadline: the handler gets `timeout` seconds; fast work finishes, slow work is stopped.
    for rid, work in ((1, timeout / 2), (2, timeout * 4)):
        ctx, cancel = context.with_timeout(context.with_value(root, REQUEST_ID, rid), timeout)
        try:
            print(handler(ctx, work))
        finally:
            cancel()

    # Explicit cancellation of a tree: cancel the parent, every worker below it stops.
    parent, cancel_all = context.with_cancel(root)
    stopped = cspy.Chan[int](workers)
    for wid in range(workers):
        child, cancel_child = context.with_cancel(parent)  # children of the one parent
        cspy.go(worker, child, cancel_child, wid, stopped.send_only())
    cspy.sleep(timeout)
    cancel_all()
    ids = sorted(stopped.recv() for _ in range(workers))
    print(f"cancelled the parent: {len(ids)} of {workers} workers stopped, "
          f"each once: {ids == list(range(workers))}; parent err: {type(parent.err()).__name__}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=0.1, help="deadline in seconds (default 0.1)")
    parser.add_argument("--workers", type=int, default=10, help="workers in the tree (default 10)")
    args = parser.parse_args(argv)
    cspy.run(program, args.timeout, args.workers)


if __name__ == "__main__":
    main()
