# Cython declarations for waitgroup.py (read cspy/build.py): the counter and the waiters as C
# fields under a C lock; park and ready are C calls. ``_count`` is a C integer (at most sys.maxsize).
cimport cython
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.park cimport park, ready

cdef object _WAITGROUP, _MAX
cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per operation)

cdef class WaitGroup:
    cdef public Py_ssize_t _count
    cdef public list _waiters
    cdef public Lock _lock

    cpdef add(self, n=*)
    @cython.locals(lk=Lock, task=Task, waiters=list, count=object)
    cdef _add(self, n)
    cpdef done(self)
    @cython.locals(lk=Lock, task=Task)
    cpdef wait(self)
