# Greenlet's C API for the compiled build (read glet.py). greenlet.h defines its API table as a
# static pointer in each module that includes it, so every compiled module imports the table
# itself, at its first greenlet call (the NULL test costs a predicted branch).
cdef extern from "greenlet/greenlet.h":
    ctypedef class greenlet.greenlet [object PyGreenlet]:
        pass
    void** _PyGreenlet_API
    greenlet PyGreenlet_GetCurrent()
    object PyGreenlet_Switch(greenlet g, void* args, void* kwargs)
    void PyGreenlet_Import()

cdef inline greenlet getcurrent():
    if _PyGreenlet_API == NULL:
        PyGreenlet_Import()
    return PyGreenlet_GetCurrent()

cdef inline object switch(greenlet g):
    if _PyGreenlet_API == NULL:
        PyGreenlet_Import()
    return PyGreenlet_Switch(g, NULL, NULL)
