"""cspy.net: TCP for tasks -- Go's ``net`` package over the runtime's netpoll (an epoll that the
processors poll themselves, cspy/scheduler/netpoll.py).

- netpoller.py: the trio thread for ``call_async`` (lazily started, stopped with the runtime);
- fd.py: a non-blocking socket that parks the calling task when it would block (Go's netFD);
- conn.py: ``Conn`` and ``dial``; listener.py: ``Listener`` and ``listen``;
- errors.py: ``Timeout`` (a TimeoutError) and ``ClosedError``.

>>> def main():
...     ln = cspy.net.listen("127.0.0.1", 0)
...     cspy.go(lambda: (c := ln.accept()).write(c.read(4)))
...     with cspy.net.dial(*ln.addr) as conn:
...         conn.write(b"ping")
...         return conn.read(4)
>>> cspy.run(main)
b'ping'
"""

from cspy.net.conn import Conn, dial
from cspy.net.errors import ClosedError, Timeout
from cspy.net.listener import Listener, listen
from cspy.net.netpoller import call_async

__all__ = ["ClosedError", "Conn", "Listener", "Timeout", "call_async", "dial", "listen"]
