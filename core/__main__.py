"""``python -m variant_providers`` and ``variant-providers``: the warm path first.

A warm ``report --json`` is answered by :mod:`variant_providers.warm` from one
small file; only when it cannot answer is the command line
(:mod:`variant_providers.cli`: pluggy, the providers, and argparse for any
command line but a flags-only ``report``) imported at all.
"""

from __future__ import annotations

import sys

from .warm import serve

__all__ = ["run"]


def run() -> int:
    """The command line's exit code, from the warm record when it answers."""
    code = serve(sys.argv[1:])
    if code is None:
        from .cli import main  # lazy on purpose: a warm answer never needs it

        code = main()
    return code


if __name__ == "__main__":
    sys.exit(run())
