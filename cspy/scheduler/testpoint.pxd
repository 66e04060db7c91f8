# Cython declarations for testpoint.py (read cspy/build.py).
cimport cython

@cython.final
cdef class Hook:
    cdef public object point

