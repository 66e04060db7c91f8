# Cython declarations for runqueue.py (read cspy/build.py).
cimport cython
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task

@cython.final
cdef class GlobalRunQueue:
    cdef public object q
    cdef public Lock lock

cdef class RunQueue:
    cdef public Task runnext
    cdef public object pinned, new
    cdef public Lock lock
    cdef public Py_ssize_t cap
    cdef public GlobalRunQueue glob
    cdef public long long seq
    cdef public long streak
    cdef public long long steals_in, steals_out

    @cython.locals(old=Task, new=object, lock=Lock)
    cpdef runqput(self, Task task, bint next=*)
    @cython.locals(nxt=Task, task=Task, pinned=object, new=object, lock=Lock)
    cpdef Task runqget(self)
