# Cython declarations for cond.py (read cspy/build.py): the waiter records as a C field under a
# C lock; park and ready are C calls. ``locker`` is any object with lock() and unlock().
cimport cython
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.park cimport park, ready

cdef object _COND
cdef int _QUEUED, _PARKED, _SIGNALLED
cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per operation)

cdef class Cond:
    cdef public object locker
    cdef public Lock _lock
    cdef public object _waiters

    @cython.locals(lk=Lock, w=list, task=Task)
    cpdef wait(self)
    @cython.locals(lk=Lock)
    cdef _leave(self, list w)
    @cython.locals(lk=Lock, w=list, task=Task, state=int)
    cdef _wake_head(self)
    cpdef signal(self)
    @cython.locals(lk=Lock, w=list, parked=list, task=Task)
    cpdef broadcast(self)
