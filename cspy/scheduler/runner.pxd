# Cython declarations for runner.py (read cspy/build.py). Stack is greenlet's own C type with
# two fields. Runners is the middle of the processor's class chain (RunQueue -> Runners ->
# Processor): the fields its per-task methods use are declared here, the rest in processor.pxd.
cimport cython
from cspy.scheduler cimport glet
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.runqueue cimport RunQueue
from cspy.scheduler.task cimport Task

cdef class Stack(glet.greenlet):
    cdef public object p
    cdef public Task task

@cython.locals(s=Stack)
cpdef Task running_task()
@cython.locals(s=Stack)
cpdef object running_processor()

cdef class Runners(RunQueue):
    cdef public object rt
    cdef public Stack hub
    cdef public list free
    cdef public dict tasks
    cdef public Task current
    cdef public long long finished
    cdef public list retired
    cdef public object trace

    @cython.locals(lock=Lock)
    cpdef tuple peek(self)

    @cython.locals(trace=object)
    cpdef object hook(self)
    cpdef Task findrunnable_nowait(self)
    @cython.locals(g=Stack, nxt=Task)
    cpdef _runner_main(self, Task task)
    @cython.locals(retired=list)
    cpdef _task_done(self, Stack g, Task task)
    @cython.locals(lock=Lock, old=list)
    cpdef _retire_batch(self, Task task)
