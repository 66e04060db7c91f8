# Cython declarations for chan.py (read cspy/build.py): the channel's state as C fields (_HChan),
# and send/recv as C calls into the compiled wait queues and park/ready. The fields stay public:
# select.py and waitq.py read them.
cimport cython
from cspy.scheduler.task cimport Task, WaitLinks
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.park cimport current_task, park, ready
from cspy.channel.waitq cimport Sudog, WaitQ, dequeue

cdef object CHAN_SEND, CHAN_RECEIVE, _EMPTY
cdef WaitQ NO_WAITERS
cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per operation)

cdef class _HChan:
    cdef public Lock _lock
    cdef public object _buf
    cdef public Py_ssize_t _cap, _limit
    cdef public bint _closed
    cdef public WaitQ _sendq, _recvq
    cdef public object id, name
    cdef object __weakref__

cdef class Chan(_HChan):
    @cython.locals(lock=Lock, w=WaitLinks, t=Task, nxt=WaitLinks, recvq=WaitQ, buf=object)
    cpdef send(self, value)
    @cython.locals(lock=Lock)
    cpdef _send_locked(self, value)
    @cython.locals(task=Task, sendq=WaitQ, last=WaitLinks)
    cpdef _wait_to_send(self, Lock lock, value)
    @cython.locals(w=WaitLinks, buf=object)
    cpdef bint try_send_locked(self, value) except -1
    @cython.locals(lock=Lock, w=WaitLinks, t=Task, nxt=WaitLinks, sendq=WaitQ, buf=object)
    cpdef recv(self)
    cpdef recv_ok(self)
    @cython.locals(lock=Lock)
    cpdef _recv_locked(self)
    @cython.locals(task=Task, recvq=WaitQ, last=WaitLinks)
    cpdef _wait_to_recv(self, Lock lock)
    @cython.locals(w=WaitLinks, buf=object)
    cpdef try_recv_locked(self)
    cpdef _enqueue_waiter(self, WaitLinks w, bint sending)  # (select.py: a C call)

@cython.locals(task=Task)
cpdef _wake(WaitLinks w, val, bint ok)
