"""The cspy gallery: runnable Go-style programs, one concept each (`cspy examples` lists them).

Each chapter is a sub-package; each example is a standalone script with a ``main(argv)`` that
parses its flags and calls ``cspy.run`` once. Run one with ``cspy examples run NAME``.
"""
