# Cython declarations for rwmutex.py (read cspy/build.py): the state as C fields under a C lock;
# park and ready are C calls. RLocker stays a Python class (a view with two one-line methods).
cimport cython
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.park cimport park, ready

cdef object _READ, _WRITE
cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per operation)

cdef class RWMutex:
    cdef public Lock _lock
    cdef public Py_ssize_t _readers
    cdef public bint _writer
    cdef public list _rwait
    cdef public object _wwait
    cdef public object _rlocker

    @cython.locals(lk=Lock, task=Task, queued=bint)
    cpdef rlock(self)
    cpdef bint try_rlock(self) except -1
    @cython.locals(lk=Lock, task=Task)
    cpdef runlock(self)
    @cython.locals(lk=Lock, task=Task, queued=bint)
    cpdef lock(self)
    @cython.locals(lk=Lock, t=Task, woken=list)
    cdef _abandon_write(self, Task task)
    cpdef bint try_lock(self) except -1
    @cython.locals(lk=Lock, task=Task, woken=list)
    cpdef unlock(self)
