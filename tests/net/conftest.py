"""Helpers for the network tests: loopback only, ports chosen by the OS (port 0)."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import cspy


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Assert that no thread and no file descriptor outlives the test's ``cspy.run``."""
    gc.collect()  # descriptors of earlier tests' garbage are closed now, not inside this count
    threads, fds = threading.active_count(), open_fds()
    yield
    assert threading.active_count() == threads, threading.enumerate()
    assert open_fds() == fds, os.listdir("/proc/self/fd")


def echo_server(ln: cspy.net.Listener) -> None:
    """Accept until the listener closes; echo every connection in a task of its own."""
    while True:
        try:
            conn = ln.accept()
        except cspy.net.ClosedError:
            return
        cspy.go(echo, conn)


def echo(conn: cspy.net.Conn) -> None:
    with conn:
        while data := conn.read(65536):
            conn.write(data)


def read_exactly(conn: cspy.net.Conn, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        data = conn.read(n - len(buf))
        assert data, f"end of stream after {len(buf)} of {n} bytes"
        buf += data
    return bytes(buf)


class FakeContext:
    """The part of a cspy.context context that cspy.net uses: ``done()`` and ``err()``."""

    def __init__(self) -> None:
        self._done: cspy.Chan[None] = cspy.Chan()
        self._err: Any = None

    def done(self) -> Any:
        return self._done

    def err(self) -> Any:
        return self._err

    def cancel(self) -> None:
        if self._err is None:
            self._err = CancelledForTest
            self._done.close()


class CancelledForTest(Exception):
    pass
