"""``python -m variant_providers``: the warm path first, else :mod:`variant_providers.cli`.

A warm ``report --json`` is answered by :mod:`variant_providers.warm` from one
small file; only when it cannot answer is the command line (argparse,
logging, pluggy, the providers) imported at all.
"""

from __future__ import annotations

import sys

from .warm import serve

if __name__ == "__main__":
    code = serve(sys.argv[1:])
    if code is None:
        from .cli import main  # lazy on purpose: a warm answer never needs it

        code = main()
    sys.exit(code)
