# Cython declarations for cond.py (read cspy/build.py): the waiters and their states as C fields
# under a C lock; park and ready are C calls. ``locker`` is any object with lock() and unlock().
cimport cython
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.park cimport park, ready

cdef object _COND
cdef int _QUEUED, _PARKED, _SIGNALLED
cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per operation)

@cython.final
cdef class _Waiter:
    cdef public Task task
    cdef public int state

cdef class Cond:
    cdef public object locker
    cdef public Lock _lock
    cdef public object _waiters

    @cython.locals(lk=Lock, w=_Waiter)
    cpdef wait(self)
    @cython.locals(lk=Lock)
    cdef _leave(self, _Waiter w)
    @cython.locals(lk=Lock, w=_Waiter)
    cdef _wake_head(self)
    cpdef signal(self)
    @cython.locals(lk=Lock, w=_Waiter, task=Task, parked=list)
    cpdef broadcast(self)
