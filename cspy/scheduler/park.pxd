# Cython declarations for park.py (read cspy/build.py): park and ready are C calls for the
# compiled channels and sync primitives, with typed access to the task and its processor.
cimport cython
from cspy.scheduler cimport glet
from cspy.scheduler.lock cimport Lock
from cspy.scheduler.task cimport Task
from cspy.scheduler.processor cimport Processor
from cspy.scheduler.runner cimport Stack, running_processor, running_task

cdef object WAITING, RUNNABLE, RUNNING
cdef long GLOBAL_CHECK_INTERVAL, RUNNEXT_STREAK

@cython.locals(g=glet.greenlet, s=Stack, task=Task)
cpdef Task current_task()

@cython.locals(p=Processor, nxt=Task, ticks=cython.longlong, mine=Lock)
cpdef park(reason, lock=*, on=*, Task task=*)

@cython.locals(home=Processor, old=Task, g=glet.greenlet, s=Stack)
cpdef ready(Task task)

@cython.locals(p=Processor)
cpdef gosched()

@cython.locals(p=Processor, task=Task)
cpdef Task _spawn(rt, fn, tuple args, dict kwargs, name)
