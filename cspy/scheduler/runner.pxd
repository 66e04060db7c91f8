# Cython declarations for runner.py (read cspy/build.py). Stack is greenlet's own C type with
# two fields; Runners stays a Python mixin of Processor (its methods run once per task, not per
# switch).
cimport cython
from cspy.scheduler cimport glet
from cspy.scheduler.task cimport Task

cdef class Stack(glet.greenlet):
    cdef public object p
    cdef public Task task

@cython.locals(s=Stack)
cpdef Task running_task()
@cython.locals(s=Stack)
cpdef object running_processor()
