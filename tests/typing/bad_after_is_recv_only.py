"""Must FAIL ``mypy --strict``: ``after`` returns a receive-only channel."""

import cspy

cspy.after(1.0).send(2.0)  # expect: attr-defined has no attribute "send"
