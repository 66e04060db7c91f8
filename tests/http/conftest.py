"""Helpers for the HTTP tests: a cspy.http server in a runtime, and real clients (curl, urllib,
http.client, raw sockets) that talk to it from an offload thread (``cspy.blocking``) or a
child process, so nothing on the client side is cspy."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

import cspy


def curl_path() -> str:
    path = shutil.which("curl")
    if path is None:
        pytest.fail("curl is not installed: the HTTP tests need it (apt-get install -y curl; .ci/run does)")
    return path


def curl(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run curl with ``args`` (silent, errors shown); the completed process, its output decoded
    with line ends kept as they are (``\r\n`` in a head)."""
    out = subprocess.run([curl_path(), "-sS", *args], capture_output=True, timeout=timeout)
    return subprocess.CompletedProcess(out.args, out.returncode, out.stdout.decode("utf-8", "replace"),
                                       out.stderr.decode("utf-8", "replace"))


def with_server(
    handler: Callable[[cspy.http.Request], cspy.http.Response],
    client: Callable[[str, cspy.http.Server], Any],
    *,
    procs: int = 1,
    **options: Any,
) -> Any:
    """Serve ``handler`` in a runtime and run ``client(base_url, server)`` on an offload thread;
    its result. The server is shut down gracefully afterwards; ``run`` returns only once every
    connection task has ended."""

    def main() -> Any:
        ln = cspy.net.listen("127.0.0.1", 0)
        srv = cspy.http.Server(handler, **options)
        done = cspy.Chan[None]()

        def serve() -> None:
            srv.serve(ln)
            done.close()

        cspy.go(serve, name="test server")
        try:
            return cspy.blocking(client, f"http://127.0.0.1:{ln.addr[1]}", srv)
        finally:
            srv.shutdown()
            done.recv_ok()

    return cspy.run(main, procs=procs)


def raw_connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def read_until_closed(sock: socket.socket, limit: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (within ``limit`` seconds)."""
    sock.settimeout(limit)
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def poll(cond: Callable[[], bool], limit: float = 10.0, what: str = "condition") -> None:
    """Wait until ``cond()`` holds, checking every few ms; fail after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {limit} s waiting for {what}")
        time.sleep(0.005)


def task_poll(cond: Callable[[], bool], limit: float = 10.0, what: str = "condition") -> None:
    """``poll`` from a task: sleeps with cspy.sleep, so the runtime keeps running."""
    deadline = time.monotonic() + limit
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit} s waiting for {what}")
        cspy.sleep(0.005)
