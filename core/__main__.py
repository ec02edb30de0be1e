"""``python -m variant_providers`` and ``variant-providers``: the warm path first.

A warm ``report --json`` is answered by :mod:`variant_providers.warm` from one
small file; only when it cannot answer is the command line
(:mod:`variant_providers.cli`: pluggy, the providers, and argparse for any
command line but a flags-only ``report``) imported at all.
"""

from __future__ import annotations

import gc
import sys

from .warm import serve

__all__ = ["GC_THRESHOLD", "run"]

#: The cyclic collector's first threshold in a command-line run (CPython's default: 700).
GC_THRESHOLD = 100_000


def run() -> int:
    """The command line's exit code, from the warm record when it answers."""
    code = serve(sys.argv[1:])
    if code is None:
        # A command-line run is short and leaves little cyclic garbage, but its
        # imports allocate enough objects for ~20 collections at the default
        # threshold: 3 ms of a 50 ms cold report.  This is our own process (the
        # console script or -m), never an installer's that imports the library.
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
        from .cli import main  # lazy on purpose: a warm answer never needs it

        code = main()
        # The interpreter's exit collects every object the run made, twice (~4 ms
        # of a cold report) only to free memory the process is about to return;
        # frozen, they are left to the exit.  Streams are flushed as usual.
        gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
