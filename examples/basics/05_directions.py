"""Directions: send-only and receive-only channel views, Go's `chan<- T` and `<-chan T`.

Go idiom (Go by Example, "Channel Directions"): `func ping(pings chan<- string, msg string)`,
`func pong(pings <-chan string, pongs chan<- string)`. The compiler rejects a send on a
receive-only channel; here mypy does, and at run time the view has no such method
(`AttributeError`). A `Chan` converts with `ch.send_only()` / `ch.recv_only()`.

Live view: not much to see -- two short hand-offs. Run `directions --n 100000` to relay
many messages through ping and pong.
"""

from __future__ import annotations

import argparse

import cspy


def ping(pings: cspy.SendChan[str], msg: str) -> None:
    pings.send(msg)


def pong(pings: cspy.RecvChan[str], pongs: cspy.SendChan[str]) -> None:
    pongs.send(pings.recv())


def relay(src: cspy.RecvChan[int], dst: cspy.SendChan[int]) -> None:
    for v in src:
        dst.send(v)
    dst.close()


def program(n: int) -> None:
    pings = cspy.Chan[str](1)
    pongs = cspy.Chan[str](1)
    ping(pings.send_only(), "passed message")
    pong(pings.recv_only(), pongs.send_only())
    print(pongs.recv())

    recv_view = pings.recv_only()
    try:
        recv_view.send("not allowed")  # type: ignore[attr-defined]
    except AttributeError:
        print("a receive-only view refuses send: AttributeError")

    src, dst = cspy.Chan[int](64), cspy.Chan[int](64)
    cspy.go(relay, src.recv_only(), dst.send_only())

    def feed() -> None:
        for i in range(n):
            src.send(i)
        src.close()

    cspy.go(feed)
    print(f"relayed {sum(1 for _ in dst)} of {n} values through directional views")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="values to relay (default 1000)")
    args = parser.parse_args(argv)
    cspy.run(program, args.n)


if __name__ == "__main__":
    main()
