"""Must FAIL ``mypy --strict``: a SendChan[int] is not a SendChan[object] (it is contravariant)."""

import cspy

out: cspy.SendChan[object] = cspy.Chan[int]().send_only()  # expect: assignment "SendChan[int]", variable has type "SendChan[object]"
