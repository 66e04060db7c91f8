"""The ``cspy`` command."""

from __future__ import annotations

import argparse
import sys

import cspy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cspy", description="Go-style CSP for Python.")
    parser.add_argument("--version", action="version", version=f"cspy {cspy.__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
