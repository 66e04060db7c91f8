# Cython declarations for timers.py (read cspy/build.py): timers and the heap are C structs;
# the heap's lock is the C lock (lock.pxd), taken and released as C calls.
cimport cython
from cspy.scheduler.lock cimport Lock

cdef int _PENDING, _FIRED, _CANCELLED
cdef double _INF

@cython.final
cdef class Timer:
    cdef public double when
    cdef public long long seq
    cdef public object fn, arg
    cdef public int state
    cdef public TimerHeap heap
    @cython.locals(heap=TimerHeap, lock=Lock)
    cpdef bint cancel(self) except -1

@cython.final
cdef class TimerHeap:
    cdef public list heap
    cdef public Lock lock
    cdef public long long live, seq
    cdef public object on_cancel
    @cython.locals(t=Timer, lock=Lock)
    cpdef Timer add(self, double when, fn, arg)
    @cython.locals(heap=list, top=Timer)
    cpdef next_deadline(self)
    @cython.locals(heap=list, lock=Lock, t=Timer, fired=long)
    cpdef long run_due(self, double now) except -1
    @cython.locals(lock=Lock, timers=list, t=Timer)
    cpdef clear(self)
