# Cython declarations for task.py (read cspy/build.py): the compiled Task is a C struct whose
# fields the compiled scheduler and channels read directly. Every field stays public, so the
# pure modules (stats, dump, trace, testing) see the same attributes as in pure Python.
# ``system`` and ``obs`` exist here from the start (None): C fields cannot be unset, and every
# reader uses getattr(task, name, default), which None satisfies.
cimport cython

cdef object _NEW, _RUNNABLE, _WAITING

cdef class WaitLinks:
    cdef public WaitLinks wprev, wnext

@cython.final
cdef class Task(WaitLinks):
    cdef public object id
    cdef public object _name
    cdef public object fn, args, kwargs
    cdef public object state
    cdef public object reason
    cdef public double wait_since
    cdef public object waiting_on
    cdef public object home
    cdef public object glet
    cdef public long long seq
    cdef public object val
    cdef public bint ok
    cdef public object system
    cdef public object obs
    cdef object __weakref__

    @cython.locals(state=object, reason=object, home=object)
    cpdef tuple snapshot(self)

@cython.locals(t=Task, parked=dict, runnable=Py_ssize_t, state=object, reason=object)
cpdef tuple tally(list tasks)
