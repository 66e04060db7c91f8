# Cython declarations for waitq.py (read cspy/build.py).
cimport cython
from cspy.scheduler.task cimport Task, WaitLinks

@cython.final
cdef class SelectToken:
    cdef public Task task
    cdef public object lock
    cdef public bint done
    cdef public Py_ssize_t index
    cdef public list chans
    @cython.locals(lock=object)
    cpdef bint claim(self, Py_ssize_t index)
    cpdef release(self)

@cython.final
cdef class Sudog(WaitLinks):
    cdef public Task task
    cdef public SelectToken token
    cdef public Py_ssize_t index
    cdef public object val

cdef class WaitQ:
    cdef public WaitLinks first, last
    cdef public Py_ssize_t n
    @cython.locals(last=WaitLinks)
    cpdef push(self, WaitLinks w)
    @cython.locals(w=WaitLinks, nxt=WaitLinks)
    cpdef WaitLinks pop(self)
    @cython.locals(prev=WaitLinks, nxt=WaitLinks)
    cpdef bint remove(self, WaitLinks w)

@cython.final
cdef class _NoWaiters(WaitQ):
    pass

@cython.locals(w=WaitLinks, sg=Sudog)
cpdef WaitLinks dequeue(WaitQ q)
@cython.locals(w=WaitLinks, sg=Sudog)
cpdef bint has_waiter(WaitQ q)

# A C call from SelectToken.release (park releases a blocked select's locks through it)
cpdef unlock_chans(list chans)
