"""Testing: virtual time, explored schedules with replay, and leaked tasks, with cspy.testing.

Each program here tests a piece of concurrent code the way a test suite would, and prints what
it checked: a retry loop with an hour of backoff that finishes in milliseconds, a rate limiter
and a circuit breaker checked against exact virtual timestamps, a racy program whose bug
`cspy.testing.explore` finds and `cspy.testing.replay` reproduces, and a leaked task caught
by the leak check (and by the pytest plugin, `@pytest.mark.cspy`).
"""
