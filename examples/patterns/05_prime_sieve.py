"""Prime sieve: a chain of filter tasks, one per prime found, prints the first --n primes.

Go idiom (the concurrent prime sieve from the Go tour and go/test/chan/sieve1.go): `generate`
sends 2, 3, 4, ...; each prime gets a `filter` goroutine that drops its multiples; the chain
grows by one filter per prime. It is slow as arithmetic goes, and a perfect picture of
goroutines as cheap, composable processes.

Live view (`cspy examples run prime_sieve --live --n 3000`): a growing chain of filters, each
parked on "chan receive" or "chan send" as numbers ripple through.
"""

from __future__ import annotations

import argparse

import cspy


def generate(ch: cspy.SendChan[int]) -> None:
    i = 2
    while True:
        ch.send(i)
        i += 1


def filter_multiples(src: cspy.RecvChan[int], dst: cspy.SendChan[int], prime: int) -> None:
    for i in src:
        if i % prime != 0:
            dst.send(i)


def program(n: int) -> None:
    ch = cspy.Chan[int]()
    cspy.go(generate, ch.send_only())
    primes = []
    src: cspy.RecvChan[int] = ch.recv_only()
    for _ in range(n):
        prime = src.recv()
        primes.append(prime)
        nxt = cspy.Chan[int]()
        cspy.go(filter_multiples, src, nxt.send_only(), prime)
        src = nxt.recv_only()
    print(" ".join(map(str, primes)))
    print(f"{n} primes, {cspy.num_tasks() - 1} tasks in the sieve")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=25, help="primes to print (default 25)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()
