"""Must FAIL ``mypy --strict``: only the sending side may close."""

import cspy

cspy.Chan[int]().recv_only().close()  # expect: attr-defined has no attribute "close"
