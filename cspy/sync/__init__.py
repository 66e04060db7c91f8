"""Go's ``sync`` package for tasks: every primitive blocks the task, never its processor."""

from cspy.sync.waitgroup import WaitGroup

__all__ = ["WaitGroup"]
