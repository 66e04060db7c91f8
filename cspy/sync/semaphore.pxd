# Cython declarations for semaphore.py (read cspy/build.py): the state as C fields under a C lock;
# park and ready are C calls. ``size`` and ``_cur`` are C integers (at most sys.maxsize).
cimport cython
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.park cimport park, ready

cdef object _SEMAPHORE, _MAX
cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per operation)

cdef object _check_units(str what, object k)

cdef class Semaphore:
    cdef public Py_ssize_t size, _cur
    cdef public Lock _lock
    cdef public object _waiters

    @cython.locals(lk=Lock, task=Task, queued=bint)
    cpdef acquire(self, k=*)
    @cython.locals(ok=bint)
    cpdef bint try_acquire(self, k=*) except -1
    @cython.locals(lk=Lock)
    cpdef release(self, k=*)
    @cython.locals(lk=Lock, task=Task, woken=list)
    cdef _release(self, k)
    cpdef held(self)
