"""Blocking calls (``cspy.blocking``): run a function on an offload thread, park only the task.

Go hands a P off when its M enters a blocking syscall; we cannot move a started greenlet to
another thread, so instead the *call* moves: the task parks, a pool thread runs ``fn``, stores
the outcome in the task's wait record (``val``/``ok``) and readies it through its home
processor's inbox. The call is a pending operation (runtime.py) from submit to wake-up, so
deadlock detection treats it as future work.

Threads are created on demand, up to OFFLOAD_THREADS, and joined when ``run`` returns (a call
still running then delays ``run``'s return: no thread outlives it).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import Callable

from cspy.scheduler.task import Task, WaitReason

if TYPE_CHECKING:
    from cspy.scheduler.runtime import Runtime

__all__ = ["OffloadPool", "OFFLOAD_THREADS"]

T = TypeVar("T")

OFFLOAD_THREADS = 64


class OffloadPool:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        # Threads are started on demand by the executor itself, so making it here costs nothing
        # and no two processors can race to make it.
        self._pool = ThreadPoolExecutor(OFFLOAD_THREADS, thread_name_prefix="cspy-offload")
        self._calls_lock = threading.Lock()
        self.calls = 0

    def call(self, task: Task, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        from cspy.scheduler.park import park

        self.rt.op_begin()
        with self._calls_lock:
            self.calls += 1
        self._pool.submit(self._work, task, fn, args, kwargs)
        park(WaitReason.BLOCKING, on=fn, task=task)
        val, task.val = task.val, None
        if task.ok:
            return val  # type: ignore[no-any-return]
        raise val

    def _work(self, task: Task, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        from cspy.scheduler.park import ready

        try:
            task.val, task.ok = fn(*args, **kwargs), True
        except BaseException as exc:  # re-raised in the task
            task.val, task.ok = exc, False
        ready(task)
        self.rt.op_end()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
