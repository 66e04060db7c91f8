"""Channels and select under stress across processors: every message delivered exactly once
(count and checksum), close racing with blocked senders and receivers, select fan-in/fan-out."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import cspy
from tests.stress.util import PROCS, Tally, run

pytestmark = [pytest.mark.timeout(60, method="thread"), pytest.mark.parametrize("procs", PROCS)]


def _value(p: int, k: int) -> int:
    return p * 1_000_003 + k  # distinct for every (producer, k) pair


@pytest.mark.parametrize("cap", [0, 1, 64])
def test_many_producers_many_consumers_exactly_once(procs: int, cap: int) -> None:
    producers, consumers, per = 8, 8, 400
    got = Tally()

    def produce(p: int, ch: cspy.Chan[int], wg: cspy.WaitGroup) -> None:
        for k in range(per):
            ch.send(_value(p, k))
        wg.done()

    def consume(ch: cspy.Chan[int], wg: cspy.WaitGroup) -> None:
        for v in ch:
            got.add(v, weight=v)
        wg.done()

    def main() -> None:
        ch = cspy.Chan[int](cap)
        sent, recvd = cspy.WaitGroup(), cspy.WaitGroup()
        sent.add(producers)
        recvd.add(consumers)
        for _ in range(consumers):
            cspy.go(consume, ch, recvd)
        for p in range(producers):
            cspy.go(produce, p, ch, sent)
        sent.wait()
        ch.close()
        recvd.wait()

    run(main, procs=procs)
    want = [_value(p, k) for p in range(producers) for k in range(per)]
    got.check(want, checksum=sum(want))


def test_pipeline_through_stages_keeps_every_value(procs: int) -> None:
    # A chain of stages, each a task forwarding from one channel to the next, so values hop
    # between tasks that were stolen onto different processors.
    stages, n = 16, 1500
    got = Tally()

    def stage(src: cspy.Chan[int], dst: cspy.Chan[int]) -> None:
        for v in src:
            dst.send(v + 1)
        dst.close()

    def main() -> None:
        first = cspy.Chan[int]()
        src = first
        for s in range(stages):
            dst = cspy.Chan[int](s % 3)  # unbuffered and small buffers mixed
            cspy.go(stage, src, dst)
            src = dst

        def feed() -> None:
            for i in range(n):
                first.send(i)
            first.close()

        cspy.go(feed)
        for v in src:
            got.add(v, weight=v)

    run(main, procs=procs)
    want = [i + stages for i in range(n)]
    got.check(want, checksum=sum(want))


def test_close_races_with_blocked_senders_and_receivers(procs: int) -> None:
    # Senders and receivers block on both sides of a channel while another task closes it:
    # a send either delivered its value (received exactly once) or raised ChannelClosed.
    rounds, senders, receivers = 40, 12, 12
    delivered = Tally()
    received = Tally()
    refused = Tally()

    def sender(r: int, s: int, ch: cspy.Chan[int], wg: cspy.WaitGroup) -> None:
        for k in range(5):
            v = (r * 1000 + s) * 10 + k
            try:
                ch.send(v)
            except cspy.ChannelClosed:
                refused.add(v)
            else:
                delivered.add(v)
        wg.done()

    def receiver(ch: cspy.Chan[int], wg: cspy.WaitGroup) -> None:
        while True:
            v, ok = ch.recv_ok()
            if not ok:
                break
            received.add(v)
        wg.done()

    def main() -> None:
        for r in range(rounds):
            ch = cspy.Chan[int](r % 2)
            wg = cspy.WaitGroup()
            wg.add(senders + receivers)
            for s in range(senders):
                cspy.go(sender, r, s, ch, wg)
            for _ in range(receivers):
                cspy.go(receiver, ch, wg)
            for _ in range(r % 5):
                cspy.gosched()
            ch.close()
            wg.wait()

    run(main, procs=procs)
    everything = [(r * 1000 + s) * 10 + k for r in range(rounds) for s in range(senders) for k in range(5)]
    # Every value was either delivered or refused, never both, never twice.
    both = Tally()
    for v in delivered.keys() | refused.keys():
        both.add(v)
    assert not delivered.keys() & refused.keys(), "a value was both delivered and refused"
    both.check(everything)
    received.check(delivered.keys())


def test_select_fan_in_from_many_channels(procs: int) -> None:
    # One consumer selects over K channels (plus a done channel) while producers on other
    # processors feed them; each value arrives exactly once.
    k, per = 6, 400
    got = Tally()

    def produce(i: int, ch: cspy.Chan[int], wg: cspy.WaitGroup) -> None:
        for j in range(per):
            ch.send(_value(i, j))
        wg.done()

    def main() -> None:
        chans = [cspy.Chan[int](i % 2) for i in range(k)]
        done = cspy.Chan[None]()
        wg = cspy.WaitGroup()
        wg.add(k)
        for i, ch in enumerate(chans):
            cspy.go(produce, i, ch, wg)
        cspy.go(lambda: (wg.wait(), done.close()))
        cases: list[Any] = [cspy.Recv(ch) for ch in chans] + [cspy.Recv(done)]
        finished = False
        while True:
            i, v, ok = cspy.select(*cases)
            if i == k:
                finished = True
                cases[k] = cspy.Recv(None)  # drain what is left, then stop
                continue
            got.add(v, weight=v)
            if finished and all(len(c) == 0 for c in chans):
                # Producers are done and buffers empty: nothing can still be in flight.
                break
            if got.count() == k * per:
                break

    run(main, procs=procs)
    want = [_value(i, j) for i in range(k) for j in range(per)]
    got.check(want, checksum=sum(want))


def test_selects_on_both_sides_send_and_receive(procs: int) -> None:
    # Selecting senders and selecting receivers meet on shared channels: two wakers can race
    # for the same select (one per channel); each select must complete exactly one case.
    workers, per, nch = 8, 300, 3
    got = Tally()

    def sender(w: int, chans: list[cspy.Chan[int]], wg: cspy.WaitGroup) -> None:
        for j in range(per):
            v = _value(w, j)
            cspy.select(*(cspy.Send(c, v) for c in chans))
        wg.done()

    def receiver(chans: list[cspy.Chan[int]], quota: int, wg: cspy.WaitGroup) -> None:
        for _ in range(quota):
            i, v, ok = cspy.select(*(cspy.Recv(c) for c in chans))
            assert ok
            got.add(v, weight=v)
        wg.done()

    def main() -> None:
        chans = [cspy.Chan[int]() for _ in range(nch)]
        wg = cspy.WaitGroup()
        wg.add(2 * workers)
        for w in range(workers):
            cspy.go(receiver, chans, per, wg)
            cspy.go(sender, w, chans, wg)
        wg.wait()

    run(main, procs=procs)
    want = [_value(w, j) for w in range(workers) for j in range(per)]
    got.check(want, checksum=sum(want))


def test_select_with_default_polls_without_losing_values(procs: int) -> None:
    # Non-blocking selects (default=True) spin with gosched while senders on other processors
    # block in plain sends: a default that fires must not have consumed anything.
    senders, per = 4, 300
    got = Tally()

    def sender(s: int, ch: cspy.Chan[int]) -> None:
        for j in range(per):
            ch.send(_value(s, j))

    def main() -> None:
        ch = cspy.Chan[int]()
        for s in range(senders):
            cspy.go(sender, s, ch)
        n = 0
        while n < senders * per:
            i, v, ok = cspy.select(cspy.Recv(ch), default=True)
            if i == -1:
                assert v is None and not ok
                cspy.gosched()
                continue
            got.add(v, weight=v)
            n += 1

    run(main, procs=procs)
    want = [_value(s, j) for s in range(senders) for j in range(per)]
    got.check(want, checksum=sum(want))


def test_select_timeouts_with_after_across_processors(procs: int) -> None:
    # Timer channels fire on their creator's processor while the selecting tasks may wait on
    # channels fed from elsewhere: every select returns exactly one outcome.
    tasks, rounds = 24, 20
    outcomes = Tally()
    lock = threading.Lock()
    fired = [0, 0]

    def waiter(t: int, ch: cspy.Chan[int], wg: cspy.WaitGroup) -> None:
        for r in range(rounds):
            i, v, ok = cspy.select(cspy.Recv(ch), cspy.Recv(cspy.after(0.0005)))
            with lock:
                fired[i] += 1
            outcomes.add((t, r))
        wg.done()

    def main() -> None:
        ch = cspy.Chan[int]()
        wg = cspy.WaitGroup()
        wg.add(tasks)
        for t in range(tasks):
            cspy.go(waiter, t, ch, wg)

        def feeder() -> None:
            while True:
                i, _, _ = cspy.select(cspy.Send(ch, 1), cspy.Recv(cspy.after(0.002)))
                if i == 1 and stop[0]:
                    return

        stop = [False]
        cspy.go(feeder)
        wg.wait()
        stop[0] = True

    run(main, procs=procs)
    outcomes.check((t, r) for t in range(tasks) for r in range(rounds))
    assert sum(fired) == tasks * rounds
