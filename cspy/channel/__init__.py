"""Channels and select (Go's ``chan`` and ``select``), built on the scheduler's park/ready.

- waitq.py: waiter records (the task itself, or a select's per-case sudog) and the select token;
- chan.py: ``Chan`` (lock, ring buffer, send/recv queues) and channel tracking for the live view;
- directional.py: ``SendChan`` / ``RecvChan`` and the views ``send_only()`` / ``recv_only()``;
- select.py: ``select`` with ``Recv`` / ``Send`` cases.
"""

from cspy.channel.chan import Chan
from cspy.channel.tracking import track_channels, tracked_channels
from cspy.channel.directional import RecvChan, SendChan
from cspy.channel.select import Recv, Send, select

__all__ = [
    "Chan",
    "Recv",
    "RecvChan",
    "Send",
    "SendChan",
    "select",
    "track_channels",
    "tracked_channels",
]
