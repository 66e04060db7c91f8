"""Go's ``sync`` package for tasks: every primitive blocks the task, never its processor."""

from cspy.sync.atomic import AtomicInt
from cspy.sync.cond import Cond
from cspy.sync.map import Map
from cspy.sync.mutex import Mutex
from cspy.sync.once import Once
from cspy.sync.pool import Pool
from cspy.sync.rwmutex import RLocker, RWMutex
from cspy.sync.semaphore import Semaphore
from cspy.sync.waitgroup import WaitGroup

__all__ = [
    "AtomicInt",
    "Cond",
    "Map",
    "Mutex",
    "Once",
    "Pool",
    "RLocker",
    "RWMutex",
    "Semaphore",
    "WaitGroup",
]
