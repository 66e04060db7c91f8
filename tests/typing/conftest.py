"""The typing cases are inputs for mypy (test_typing.py runs it on them), not modules to import:
the bad ones fail at run time by design."""

collect_ignore_glob = ["bad_*.py", "good_*.py"]
