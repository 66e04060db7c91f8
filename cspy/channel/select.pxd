# Cython declarations for select.py (read cspy/build.py): a case is a C struct whose channel the
# select reads directly; polling, completing and blocking are C calls into the compiled channel,
# wait queues and park. ``select`` itself stays a Python function (``*cases``); its body is
# ``_select``.
cimport cython
from cspy.scheduler.task cimport Task
from cspy.scheduler.testpoint cimport Hook
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.park cimport current_task, park
from cspy.channel.waitq cimport SelectToken, Sudog, WaitQ, has_waiter
from cspy.channel.chan cimport Chan

cdef Hook hook  # (testpoint.py: the exploration hook, a C field read per select)
cdef object _CLOSED, _by_id, _SELECT, _SELECT_NO_CASES

cdef class _Case:
    cdef public Chan chan

@cython.final
cdef class Recv(_Case):
    pass

@cython.final
cdef class Send(_Case):
    cdef public object value

@cython.locals(c=_Case, ch=Chan, last=Chan, unsorted=bint, i=Py_ssize_t, nready=Py_ssize_t,
               repeat=bint, ready=list, chans=list)
cpdef _select(tuple cases, bint default)

cpdef _select_nil(tuple cases, bint default)

@cython.locals(ch=Chan, prev=Chan)
cpdef bint _has_repeat(list chans) except -1

@cython.locals(ch=Chan)
cpdef _unlock(list chans)

@cython.locals(c=_Case, ch=Chan, q=WaitQ, i=Py_ssize_t)
cpdef list _poll(tuple cases)

@cython.locals(c=_Case, ch=Chan, s=Send)
cpdef _complete(tuple cases, Py_ssize_t i)

@cython.locals(task=Task, token=SelectToken, c=_Case, ch=Chan, sg=Sudog, n=Py_ssize_t,
               i=Py_ssize_t, v=object, ok=bint, sudogs=list)
cpdef _block(tuple cases, list chans, bint repeat)

@cython.locals(c=_Case, sg=Sudog, ch=Chan, cch=Chan, q=WaitQ, i=Py_ssize_t)
cpdef _dequeue_losers(tuple cases, list chans, list sudogs, Py_ssize_t fired)
