"""Must FAIL ``mypy --strict``: a Recv case needs a receivable channel."""

import cspy

cspy.select(cspy.Recv(cspy.Chan[int]().send_only()))  # expect: arg-type "Recv" has incompatible type "SendChan[int]"
