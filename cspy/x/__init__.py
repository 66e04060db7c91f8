"""Helpers in the spirit of ``golang.org/x``: built only on cspy's public primitives.

``from cspy.x import errgroup, singleflight, rate, pool, breaker``; see docs/sync-and-x.md.
"""

from cspy.x import breaker, errgroup, pool, rate, singleflight

__all__ = ["breaker", "errgroup", "pool", "rate", "singleflight"]
