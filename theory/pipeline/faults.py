"""Failure injection for the workflow's restart tests (tests/test_workflow.py).

With ``THEORY_FAIL_ONCE=<file>`` in the environment, the first fit job to start creates <file>
and fails with exit code 1, as a node failure would; its retry (and every later job) finds the
file and runs normally.
"""

import os
import pathlib
import sys


def fail_once(chunk):
    """Exit 1 if THEORY_FAIL_ONCE names a file that does not exist yet (creating it first)."""
    marker = os.environ.get("THEORY_FAIL_ONCE")
    if marker and not pathlib.Path(marker).exists():
        pathlib.Path(marker).write_text(f"chunk {chunk} failed on purpose\n")
        print(f"fit: chunk {chunk} fails on purpose (THEORY_FAIL_ONCE={marker})", file=sys.stderr, flush=True)
        raise SystemExit(1)
