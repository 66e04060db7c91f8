# Cython declarations for mutex.py (read cspy/build.py): the mutex's state as C fields under its C
# lock, so an uncontended lock()/unlock() is an atomic acquire and release around a C flag; park
# and ready are C calls into the compiled scheduler.
cimport cython
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task
from cspy.scheduler.processor cimport Processor
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.park cimport park, ready

cdef object _HANDOFF, _MUTEX, _UNLOCK_UNLOCKED
cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per operation)

cdef class Mutex:
    cdef public Lock _lock
    cdef public bint _locked, _starving, _woken
    cdef public object _waiters

    @cython.locals(lk=Lock)
    cpdef lock(self)
    @cython.locals(lk=Lock, ok=bint)
    cpdef bint try_lock(self) except -1
    @cython.locals(lk=Lock)
    cpdef unlock(self)
    @cython.locals(lk=Lock, task=Task, started=double)
    cdef _lock_slow(self)
    @cython.locals(lk=Lock)
    cdef _abandon(self, Task task)
    @cython.locals(task=Task, home=Processor)
    cdef _unlock_slow(self)
    cpdef bint locked(self) except -1
