# The compiled Lock (lock.pyx; read lock.py): compiled callers of acquire()/release() make C calls.
# The C lock, by interpreter: CPython's PyMutex from 3.13 (one byte; a contended lock parks the
# thread with its thread state detached, so on a GIL build the GIL is released meanwhile); before
# 3.13 a one-word spin lock on GCC/Clang atomics whose contended path (lock.pyx) yields the CPU
# with the GIL released; elsewhere CPython's PyThread lock.
cimport cython

cdef extern from *:
    """
    #if PY_VERSION_HEX >= 0x030D0000
    typedef PyMutex cspy_lock_t;
    #define cspy_lock_try(l) (0)
    #define cspy_lock_acquire(l) PyMutex_Lock(l)
    #define cspy_lock_release(l) PyMutex_Unlock(l)
    #define CSPY_LOCK_BLOCKS 1
    #elif defined(__GNUC__)
    typedef struct { int v; } cspy_lock_t;
    static inline int cspy_lock_try(cspy_lock_t *l) {
        int free_ = 0;
        return __atomic_compare_exchange_n(&l->v, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    }
    #define cspy_lock_acquire(l) ((void)0)
    #define cspy_lock_release(l) __atomic_store_n(&(l)->v, 0, __ATOMIC_RELEASE)
    #define CSPY_LOCK_BLOCKS 0
    #else
    #include "pythread.h"
    typedef struct { PyThread_type_lock p; } cspy_lock_t;
    #define cspy_lock_try(l) PyThread_acquire_lock((l)->p, NOWAIT_LOCK)
    #define cspy_lock_acquire(l) PyThread_acquire_lock((l)->p, WAIT_LOCK)
    #define cspy_lock_release(l) PyThread_release_lock((l)->p)
    #define CSPY_LOCK_BLOCKS 0
    #define CSPY_LOCK_PYTHREAD 1
    #endif
    #ifndef CSPY_LOCK_PYTHREAD
    #define CSPY_LOCK_PYTHREAD 0
    #endif
    #if defined(_WIN32)
    #define cspy_yield() ((void)0)
    #else
    #include <sched.h>
    #define cspy_yield() sched_yield()
    #endif
    """
    ctypedef struct cspy_lock_t:
        pass
    bint cspy_lock_try(cspy_lock_t* l) nogil
    void cspy_lock_acquire(cspy_lock_t* l) nogil
    void cspy_lock_release(cspy_lock_t* l) nogil
    void cspy_yield() nogil
    bint CSPY_LOCK_BLOCKS, CSPY_LOCK_PYTHREAD

@cython.final
cdef class Lock:
    cdef cspy_lock_t _lock
    cdef bint held
    cpdef bint acquire(self) except -1
    cpdef int release(self) except -1
    cdef void _contended(self) noexcept
