"""Echo server: a TCP server with a task per connection, and clients that check every byte.

Go idiom: `ln, _ := net.Listen("tcp", "127.0.0.1:0")`, then `for { conn, _ := ln.Accept();
go func() { io.Copy(conn, conn); conn.Close() }() }` -- the whole server is an accept loop and
one cheap task per connection, each blocking in plain `read`/`write` while the runtime's netpoll
(epoll, polled by the processors themselves, as in Go) parks it until its socket is ready. --clients tasks each dial once and send
--messages messages of random sizes up to --size bytes, reading every echo back before the next
one; then they half-close (`close_write`), the server reads EOF and hangs up. Shutdown is Go's:
close the listener (the accept loop ends) and wait for the connection tasks with a WaitGroup.

Live view (`cspy examples run echo_server --live --clients 500 --messages 2000`): one task per
client and one per connection, nearly all parked on "I/O wait"; the count drops to one at the end.
"""

from __future__ import annotations

import argparse
import math
import random
import time

import cspy
from cspy import net

# The header alone ("cid:seq:") needs a few bytes; 64 KiB always fits loopback socket buffers.
MIN_SIZE, MAX_SIZE = 16, 65536


class EchoServer:
    """Echo everything each connection sends until it reaches EOF; count what went through."""

    def __init__(self) -> None:
        self.listener = net.listen("127.0.0.1", 0)  # port 0: the OS picks a free one
        self.connections = cspy.AtomicInt()
        self.bytes = cspy.AtomicInt()
        self.handlers = cspy.WaitGroup()
        self.stopped = cspy.WaitGroup()
        self.stopped.add(1)
        cspy.go(self.serve)

    def serve(self) -> None:
        """The accept loop (Go: `for { conn := ln.Accept(); go handle(conn) }`)."""
        try:
            while True:
                try:
                    conn = self.listener.accept()
                except net.ClosedError:
                    return  # shutdown closed the listener
                self.connections.add(1)
                self.handlers.add(1)
                cspy.go(self.handle, conn)
        finally:
            self.stopped.done()

    def handle(self, conn: net.Conn) -> None:
        """Go's `io.Copy(conn, conn)`: write back each chunk as it is read, until EOF."""
        try:
            with conn:
                while data := conn.read(65536):
                    conn.write(data)
                    self.bytes.add(len(data))
        finally:
            self.handlers.done()

    def shutdown(self) -> None:
        """Stop accepting, then wait for every connection task to finish."""
        self.listener.close()
        self.stopped.wait()
        self.handlers.wait()


def read_exactly(conn: net.Conn, n: int) -> bytes:
    """Read until `n` bytes arrived: TCP is a byte stream, an echo may come back in pieces."""
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.read(n - len(buf))
        if not chunk:
            raise EOFError(f"the server closed the connection after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def client(addr: tuple[str, int], cid: int, messages: int, size: int,
           results: cspy.Chan[tuple[int, int, bool, list[float]]]) -> None:
    """Send `messages` messages, check each echo; report (messages, bytes, all equal, rtts)."""
    rng = random.Random(cid)  # reproducible sizes and contents per client
    sent_bytes, intact, rtts = 0, True, []
    with net.dial(*addr, timeout=5) as conn:
        for seq in range(messages):
            header = f"{cid}:{seq}:".encode()  # makes a misrouted or reordered echo visible
            message = header + rng.randbytes(rng.randint(0, max(0, size - len(header))))
            t0 = time.monotonic()
            conn.write(message)
            echo = read_exactly(conn, len(message))
            rtts.append(time.monotonic() - t0)
            intact &= echo == message
            sent_bytes += len(message)
        conn.close_write()  # EOF for the server's read loop...
        intact &= conn.read(1) == b""  # ...which then closes its side: nothing more came back
    results.send((messages, sent_bytes, intact, rtts))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def program(clients: int, messages: int, size: int) -> None:
    server = EchoServer()
    host, port = server.listener.addr
    print(f"echo server listening on {host}:{port}")
    results = cspy.Chan[tuple[int, int, bool, list[float]]](clients)
    start = time.monotonic()
    for cid in range(clients):
        cspy.go(client, (host, port), cid, messages, size, results)
    reports = [results.recv() for _ in range(clients)]
    elapsed = time.monotonic() - start
    server.shutdown()

    total_messages = sum(r[0] for r in reports)
    total_bytes = sum(r[1] for r in reports)
    rtts = sorted(rtt for r in reports for rtt in r[3])
    print(f"{clients} connections, {total_messages} messages, {total_bytes} bytes each way "
          f"in {elapsed:.2f}s")
    print(f"round trip: p50 {percentile(rtts, 0.50) * 1e3:.2f} ms, "
          f"p99 {percentile(rtts, 0.99) * 1e3:.2f} ms")
    print(f"server: {server.connections.load()} connections accepted, "
          f"{server.bytes.load()} bytes echoed, all connection tasks finished")
    in_order = all(r[2] for r in reports) and server.bytes.load() == total_bytes
    print(f"every byte echoed in order: {in_order}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="client connections (default 20)")
    parser.add_argument("--messages", type=int, default=100, help="messages per client (default 100)")
    parser.add_argument("--size", type=int, default=4096, help="largest message in bytes (default 4096)")
    args = parser.parse_args(argv)
    if not MIN_SIZE <= args.size <= MAX_SIZE:
        # A client writes a whole message before it reads the echo: a message larger than the
        # socket buffers could fill them both ways and block client and server on each other.
        parser.error(f"--size must be between {MIN_SIZE} and {MAX_SIZE} bytes, got {args.size}")
    cspy.run(program, args.clients, args.messages, args.size)


if __name__ == "__main__":
    main()
