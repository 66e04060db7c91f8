# Cython declarations for processor.py (read cspy/build.py). Fields written by one thread and read
# by others are C integers or flags (idle, spinning, counters, thread_ident, cpu_clock, frozen)
# or objects set before the runtime is published (queues, locks, notes, thread_name): a compiled
# object field read from Python loads the field twice, so a write in between corrupts reference
# counts (task.py, ``Task.snapshot``). ``current`` and ``runnext`` are read through ``peek``.
cimport cython
from cspy.scheduler.task cimport Task
from cspy.scheduler.runner cimport Runners, Stack

cdef class Processor(Runners):
    cdef public object id
    cdef public object rand
    cdef public object inbox
    cdef public bint idle
    cdef public object wake
    cdef public object timers
    cdef public list timer_heap
    cdef public unsigned long long thread_ident
    cdef public object thread_name
    cdef public long long id_next, id_end
    cdef public object seeker
    cdef public bint spinning
    cdef public long long frozen
    cdef public long long handoffs_in
    cdef public long long cpu_clock
    cdef public bint stopping
    cdef public double coarse_now
    cdef public object explorer
    cdef public long long ticks, switches, spawned
    cdef object __weakref__

    @cython.locals(idle=bint)
    cpdef inbox_put(self, Task task)
    @cython.locals(task=Task)
    cpdef Task findrunnable_nowait(self)
    @cython.locals(g=object)
    cpdef resume(self, Task task)
    @cython.locals(nxt=Task)
    cpdef schedule_from(self, Task task)
    cpdef long long next_id(self) except -1
