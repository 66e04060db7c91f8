# cython: language_level=3
"""Lock, compiled: threading.Lock's interface over a C lock (read lock.py and lock.pxd).

An uncontended acquire is one atomic instruction, without the method lookup and argument parsing
a ``threading.Lock`` call from C costs. A contended one never holds the GIL while it waits, so a
processor waiting for a channel's lock never stops the thread that holds it. Never held across a
greenlet switch (park releases it before switching): a lock belongs to a thread, not to a task.
"""

cimport cython
from cpython.pythread cimport PyThread_allocate_lock, PyThread_free_lock, PyThread_type_lock

__all__ = ["Lock"]

# Tries before a contended acquire starts yielding the CPU (spin lock only).
cdef int SPINS = 64


@cython.final
cdef class Lock:
    """A mutex: ``acquire()``, ``release()``, ``with lock:``, ``locked()``."""

    def __cinit__(self):
        if CSPY_LOCK_PYTHREAD:
            (<PyThread_type_lock*>&self._lock)[0] = PyThread_allocate_lock()
            if (<PyThread_type_lock*>&self._lock)[0] is NULL:
                raise MemoryError("cannot allocate a lock")

    def __dealloc__(self):
        if CSPY_LOCK_PYTHREAD and (<PyThread_type_lock*>&self._lock)[0] is not NULL:
            PyThread_free_lock((<PyThread_type_lock*>&self._lock)[0])

    cpdef bint acquire(self) except -1:
        if CSPY_LOCK_BLOCKS:
            cspy_lock_acquire(&self._lock)  # PyMutex: spins, then parks without the GIL
        elif not cspy_lock_try(&self._lock):
            self._contended()
        self.held = True
        return True

    cdef void _contended(self) noexcept:
        cdef int i
        with nogil:
            if CSPY_LOCK_PYTHREAD:
                cspy_lock_acquire(&self._lock)
                return
            while True:
                for i in range(SPINS):
                    if cspy_lock_try(&self._lock):
                        return
                cspy_yield()

    cpdef int release(self) except -1:
        if not self.held:
            raise RuntimeError("release unlocked lock")
        self.held = False
        cspy_lock_release(&self._lock)
        return 0

    def locked(self):
        return self.held

    def __enter__(self):
        self.acquire()
        return True

    def __exit__(self, *exc):
        self.release()
