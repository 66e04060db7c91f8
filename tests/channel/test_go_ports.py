"""Ports of programs from the Go repository's test/chan/ directory and of runtime/chan_test.go.

Each test names its source file and follows it statement by statement. Where Go syntax has no
cspy counterpart the adaptation is stated at the spot:
- a nil channel exists in cspy only as a ``None`` case of ``select``;
- receiving from a closed channel: Go yields the zero value; cspy's ``recv`` raises
  ``ChannelClosed`` and ``recv_ok`` returns ``(None, False)``;
- a Go panic is an exception (``ChannelClosed`` for channel misuse).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

import cspy
from cspy import testing
from tests.conftest import PROCS

pytestmark = pytest.mark.timeout(60)


# ---- test/chan/sieve1.go -------------------------------------------------------------------------
# Generate primes up to 100 using channels, checking the results. This sieve consists of a
# linear chain of divisibility filters, equivalent to trial-dividing each n by all primes p <= n.


def generate(ch: cspy.SendChan[int]) -> None:
    """Send the sequence 2, 3, 4, ... to channel 'ch'."""
    i = 2
    while True:
        ch.send(i)
        i += 1


def filter_(inp: cspy.RecvChan[int], out: cspy.SendChan[int], prime: int) -> None:
    """Copy the values from channel 'in' to channel 'out', removing those divisible by 'prime'."""
    for i in inp:
        if i % prime != 0:
            out.send(i)


def sieve(primes: cspy.SendChan[int]) -> None:
    """The prime sieve: daisy-chain filter tasks together."""
    ch = cspy.Chan[int]()
    cspy.go(generate, ch)
    while True:
        prime = ch.recv()  # ch is different on each iteration
        primes.send(prime)
        ch1 = cspy.Chan[int]()
        cspy.go(filter_, ch, ch1, prime)
        ch = ch1


@pytest.mark.parametrize("procs", PROCS)
def test_sieve1(procs: int) -> None:
    def main() -> None:
        primes = cspy.Chan[int]()
        cspy.go(sieve, primes)
        a = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97]
        for want in a:
            x = primes.recv()
            assert x == want, f"{x} != {want}"

    cspy.run(main, procs=procs)


# ---- test/chan/select3.go ------------------------------------------------------------------------
# Tests verifying the semantics of the select statement for basic empty/non-empty cases.

ALWAYS = "function did not"
NEVER = "function did"


def unreachable() -> None:
    raise AssertionError("control flow shouldn't reach here")


def panic_check(signal: str, f: Callable[[], Any]) -> None:
    """Calls f and verifies that f always/never panics (raises) depending on signal."""
    s = NEVER
    try:
        f()
    except cspy.ChannelClosed:
        s = ALWAYS  # f panicked
    assert s == signal, signal + " panic"




def block_check(signal: str, f: Callable[[], Any]) -> None:
    """Calls f and empirically verifies that f always/never blocks depending on signal."""
    c = cspy.Chan[str]()

    def run_f() -> None:
        f()
        c.send(NEVER)  # f didn't block

    def timeout() -> None:
        cspy.sleep(0.1)  # 0.1s seems plenty long (test_select3: virtual, so exactly enough)
        c.send(ALWAYS)  # f blocked always

    cspy.go(run_f)
    cspy.go(timeout)
    assert c.recv() == signal, signal + " block"


def select3_main() -> None:
    asynchronous = 1  # asynchronous channels
    nilch = None
    closedch = cspy.Chan[int]()
    closedch.close()

    # sending/receiving from a nil channel blocks (cspy: a nil channel is a None select case)
    block_check(ALWAYS, lambda: cspy.select(cspy.Send(nilch, 7)))
    block_check(ALWAYS, lambda: cspy.select(cspy.Recv(nilch)))

    # sending/receiving from a nil channel inside a select is never selected
    def nil_send_default() -> None:
        if cspy.select(cspy.Send(nilch, 7), default=True)[0] == 0:
            unreachable()

    panic_check(NEVER, nil_send_default)

    def nil_recv_default() -> None:
        if cspy.select(cspy.Recv(nilch), default=True)[0] == 0:
            unreachable()

    panic_check(NEVER, nil_recv_default)

    # sending to an async channel with free buffer space never blocks
    block_check(NEVER, lambda: cspy.Chan[int](asynchronous).send(7))

    # receiving from a closed channel never blocks
    def recv_closed() -> None:
        for _ in range(10):
            # Go: <-closedch yields the zero value; cspy: recv raises, recv_ok gives (None, False)
            with pytest.raises(cspy.ChannelClosed):
                closedch.recv()
            x, ok = closedch.recv_ok()
            assert x is None and not ok, f"closedch: {x} {ok}"

    block_check(NEVER, recv_closed)

    # sending to a closed channel panics.
    panic_check(ALWAYS, lambda: closedch.send(7))

    # receiving from a non-ready channel always blocks
    block_check(ALWAYS, lambda: cspy.Chan[int]().recv())

    # empty selects always block
    block_check(ALWAYS, lambda: cspy.select())

    # selects with only nil channels always block
    block_check(ALWAYS, lambda: (cspy.select(cspy.Recv(nilch)), unreachable()))
    block_check(ALWAYS, lambda: (cspy.select(cspy.Send(nilch, 7)), unreachable()))
    block_check(ALWAYS, lambda: (cspy.select(cspy.Recv(nilch), cspy.Send(nilch, 7)), unreachable()))

    # selects with non-ready non-nil channels always block
    block_check(ALWAYS, lambda: (cspy.select(cspy.Recv(cspy.Chan[int]())), unreachable()))

    # selects with default cases don't block
    block_check(NEVER, lambda: cspy.select(default=True))
    block_check(NEVER, lambda: cspy.select(cspy.Recv(nilch), default=True)[0] == 0 and unreachable())
    block_check(NEVER, lambda: cspy.select(cspy.Send(nilch, 7), default=True)[0] == 0 and unreachable())

    # selects with ready channels don't block
    def ready_send() -> None:
        ch = cspy.Chan[int](asynchronous)
        if cspy.select(cspy.Send(ch, 7), default=True)[0] == -1:
            unreachable()

    block_check(NEVER, ready_send)

    def ready_recv() -> None:
        ch = cspy.Chan[int](asynchronous)
        ch.send(7)
        if cspy.select(cspy.Recv(ch), default=True)[0] == -1:
            unreachable()

    block_check(NEVER, ready_recv)

    # selects with closed channels behave like ordinary operations
    block_check(NEVER, lambda: cspy.select(cspy.Recv(closedch)))
    block_check(NEVER, lambda: cspy.select(cspy.Recv(closedch))[1])  # case x := (<-closedch)
    block_check(NEVER, lambda: cspy.select(cspy.Recv(closedch))[1:])  # case x, ok := (<-closedch)
    panic_check(ALWAYS, lambda: cspy.select(cspy.Send(closedch, 7)))

    # select should not get confused if it sees itself
    def sees_itself() -> None:
        c = cspy.Chan[int]()
        cspy.select(cspy.Send(c, 1), cspy.Recv(c))

    block_check(ALWAYS, sees_itself)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", PROCS)
def test_select3(procs: int) -> None:
    # In virtual time block_check's 0.1 s timeout passes only once f is blocked for good (every
    # other task is), so a slow f on a loaded machine is never taken for a blocked one; the
    # blocked f's and the losing timeouts stay parked at the end, as in Go's test.
    testing.run(select3_main, procs=procs, leaks="off")


# ---- test/chan/nonblock.go -----------------------------------------------------------------------
# Test channel operations that test for blocking. Use several sizes and types of operands.
# (Go's int32/int64/bool/string channels become Chan[int]/Chan[int]/Chan[bool]/Chan[str].)


def i32receiver(c: cspy.Chan[int], strobe: cspy.Chan[bool]) -> None:
    if c.recv() != 123:
        raise AssertionError("i32 value")
    strobe.send(True)


def i32sender(c: cspy.Chan[int], strobe: cspy.Chan[bool]) -> None:
    c.send(234)
    strobe.send(True)


def i64receiver(c: cspy.Chan[int], strobe: cspy.Chan[bool]) -> None:
    if c.recv() != 123456:
        raise AssertionError("i64 value")
    strobe.send(True)


def i64sender(c: cspy.Chan[int], strobe: cspy.Chan[bool]) -> None:
    c.send(234567)
    strobe.send(True)


def breceiver(c: cspy.Chan[bool], strobe: cspy.Chan[bool]) -> None:
    if not c.recv():
        raise AssertionError("b value")
    strobe.send(True)


def bsender(c: cspy.Chan[bool], strobe: cspy.Chan[bool]) -> None:
    c.send(True)
    strobe.send(True)


def sreceiver(c: cspy.Chan[str], strobe: cspy.Chan[bool]) -> None:
    if c.recv() != "hello":
        raise AssertionError("s value")
    strobe.send(True)


def ssender(c: cspy.Chan[str], strobe: cspy.Chan[bool]) -> None:
    c.send("hello again")
    strobe.send(True)


MAX_TRIES = 10000  # Up to 100ms per test.


def nonblock_main() -> None:
    ticker = cspy.tick(10e-6)  # 10 us

    def sleep() -> None:
        ticker.recv()
        ticker.recv()
        cspy.gosched()
        cspy.gosched()
        cspy.gosched()

    def send_until(c: cspy.Chan[Any], v: Any, what: str) -> None:
        for _ in range(MAX_TRIES + 1):
            if cspy.select(cspy.Send(c, v), default=True)[0] == 0:
                return
            sleep()
        raise AssertionError(what)

    def recv_until(c: cspy.Chan[Any], what: str) -> Any:
        for _ in range(MAX_TRIES + 1):
            i, v, _ = cspy.select(cspy.Recv(c), default=True)
            if i == 0:
                return v
            sleep()
        raise AssertionError(what)

    sync = cspy.Chan[bool]()

    for buffer in range(2):
        c32 = cspy.Chan[int](buffer)
        c64 = cspy.Chan[int](buffer)
        cb = cspy.Chan[bool](buffer)
        cs = cspy.Chan[str](buffer)

        for c, what in ((c32, "i32"), (c64, "i64"), (cb, "b"), (cs, "s")):
            if cspy.select(cspy.Recv(c), default=True)[0] == 0:
                raise AssertionError(f"blocked {what}sender")

        cases: list[tuple[Any, Any, Any, Any, Any, str]] = [
            (c32, i32receiver, 123, i32sender, 234, "i32"),
            (c64, i64receiver, 123456, i64sender, 234567, "i64"),
            (cb, breceiver, True, bsender, True, "b"),
            (cs, sreceiver, "hello", ssender, "hello again", "s"),
        ]
        for c, receiver, out_v, sender, in_v, what in cases:
            cspy.go(receiver, c, sync)
            send_until(c, out_v, f"{what}receiver buffer={buffer}")
            sync.recv()

            cspy.go(sender, c, sync)
            if buffer > 0:
                sync.recv()
            got = recv_until(c, f"{what}sender buffer={buffer}")
            if got != in_v:
                raise AssertionError(f"{what}sender value")
            if buffer == 0:
                sync.recv()


@pytest.mark.parametrize("procs", PROCS)
def test_nonblock(procs: int) -> None:
    cspy.run(nonblock_main, procs=procs)


# ---- runtime/chan_test.go: TestPseudoRandomSend ---------------------------------------------------
# Two send cases on one channel: the receiver must see both values, for an unbuffered channel
# (the select blocks, so its cases queue on the channel: the enqueue order must be random) and
# for a buffered one (both cases are ready at once: the choice among ready cases must be random).
# Go's sync.Mutex locked by main and unlocked by the reader is the "wait" signal; cspy.Mutex
# allows the same hand-over.


def pseudo_random_send_main() -> None:
    n = 100
    for chan_cap in (0, n):
        c = cspy.Chan[int](chan_cap)
        l_ = [0] * n
        m = cspy.Mutex()
        m.lock()

        def reader() -> None:
            for i in range(n):
                cspy.gosched()
                l_[i] = c.recv()
            m.unlock()

        cspy.go(reader)
        for _ in range(n):
            cspy.select(cspy.Send(c, 1), cspy.Send(c, 0))
        m.lock()  # wait
        n0 = 0
        n1 = 0
        for i in l_:
            n0 += (i + 1) % 2
            n1 += i
        if n0 <= n // 10 or n1 <= n // 10:
            raise AssertionError(
                f"Want pseudorandom, got {n0} zeros and {n1} ones (chan cap {chan_cap})"
            )


@pytest.mark.parametrize("procs", PROCS)
def test_pseudo_random_send(procs: int) -> None:
    cspy.run(pseudo_random_send_main, procs=procs)


@pytest.mark.parametrize("seed", range(5))
def test_pseudo_random_send_seeded(seed: int) -> None:
    # On one processor a seed fixes the schedule and every random choice: these runs are exact.
    cspy.run(pseudo_random_send_main, procs=1, seed=seed)
