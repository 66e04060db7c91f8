"""Circuit breaker: stop calling a failing dependency, serve a fallback, and probe for recovery.

Go idiom: `sony/gobreaker`-style `cb.Execute(func() (any, error) { return client.Get(url) })`,
here `cspy.x.breaker.CircuitBreaker(failure_threshold, open_timeout, fallback)`. A dependency
that fails slowly (a timeout) is worse than one that is down: every caller waits for it. After
--threshold failures in a row the circuit opens: calls get the fallback at once and the
dependency gets no load. After --open seconds one trial call goes through (half-open); success
closes the circuit. The run has three phases -- healthy, failing (injected), recovered -- and
prints the state changes and, per phase, where the answers came from.

Live view (`cspy examples run circuit_breaker --live --phase 3 --clients 200`): while the
circuit is open the clients barely park -- no one waits on the dead dependency.
"""

from __future__ import annotations

import argparse

import cspy
from cspy.x import breaker


class PriceService:
    """The dependency: fast when up; when down it hangs for `timeout`, then fails."""

    def __init__(self, latency: float, timeout: float) -> None:
        self.latency = latency
        self.timeout = timeout
        self.down = False
        self.calls = cspy.AtomicInt()  # calls that reached the service

    def price(self, item: int) -> float:
        self.calls.add(1)
        if self.down:
            cspy.sleep(self.timeout)
            raise ConnectionError("price service timed out")
        cspy.sleep(self.latency)
        return 10.0 + item


def program(clients: int, phase: float, threshold: int, open_timeout: float) -> None:
    service = PriceService(latency=0.002, timeout=0.02)
    start = cspy.now()

    def on_change(old: breaker.State, new: breaker.State) -> None:
        print(f"  {cspy.now() - start:5.2f}s  circuit {old.value} -> {new.value}")

    cb = breaker.CircuitBreaker(threshold, open_timeout, fallback=lambda exc: -1.0, on_change=on_change)
    served, fallbacks = cspy.AtomicInt(), cspy.AtomicInt()
    stop = cspy.Chan[None]()
    wg = cspy.WaitGroup()

    def client(cid: int) -> None:
        try:
            while not stop.closed:
                price = cb.call(service.price, cid)
                (fallbacks if price < 0 else served).add(1)
                cspy.sleep(0.005)
        finally:
            wg.done()

    for cid in range(clients):
        wg.add(1)
        cspy.go(client, cid)
    for name, down in (("healthy", False), ("failing", True), ("recovered", False)):
        service.down = down
        before = (service.calls.load(), served.load(), fallbacks.load())
        print(f"== {name} ==")
        cspy.sleep(phase)
        calls, ok, fell_back = (service.calls.load() - before[0], served.load() - before[1],
                                fallbacks.load() - before[2])
        print(f"phase {name}: {ok + fell_back} answers, {ok} from the service, "
              f"{fell_back} fallbacks; {calls} calls reached the service")
    stop.close()
    wg.wait()
    print(f"final state: {cb.state.value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="client tasks (default 10)")
    parser.add_argument("--phase", type=float, default=0.3, help="seconds per phase (default 0.3)")
    parser.add_argument("--threshold", type=int, default=5, help="failures that open the circuit (default 5)")
    parser.add_argument("--open", type=float, default=0.1, help="seconds before a probe (default 0.1)")
    args = parser.parse_args(argv)
    cspy.run(program, args.clients, args.phase, args.threshold, args.open)


if __name__ == "__main__":
    main()
