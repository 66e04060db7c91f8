"""Must FAIL ``mypy --strict``: a receive-only view has no ``send``."""

import cspy

ch = cspy.Chan[int]()
ch.recv_only().send(1)  # expect: attr-defined has no attribute "send"
