"""Must FAIL ``mypy --strict``: a send-only view has no ``recv``."""

import cspy

ch = cspy.Chan[int]()
ch.send_only().recv()  # expect: attr-defined has no attribute "recv"
