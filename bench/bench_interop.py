"""variantlib 0.2.2 loading our providers vs our own report, whole process.

Same providers both ways (any other installed ``variant_plugins`` plugin is
hidden from both, see ``tests.conftest.python_without_standard_plugins``):
`variantlib plugins get-configs --supported` loads them through the
`variant_plugins` entry points (and runs them in its own plugin subprocess);
`python -m variant_providers report --json` runs them through the host.
Cold: an empty cache directory for each run; warm: the cache was filled by
the run before.  Target: ours at least 4x faster warm, 2x cold.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import python_without_standard_plugins

RUNS = 7
VARIANTLIB = ["variantlib.commands.main:main", "plugins", "get-configs", "-s"]
OURS = ["variant_providers", "report", "--json"]


def _time(argv: List[str], env: Dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1e3


def _measure(argv: List[str]) -> tuple[float, float]:
    cold, warm = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "VARIANT_PROVIDERS_CACHE_DIR": cache}
            cold.append(_time(argv, env))
            warm.append(_time(argv, env))
    return statistics.median(cold), statistics.median(warm)


def main() -> None:
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        # Both sides see only our providers: other installed standard plugins are hidden.
        python = python_without_standard_plugins(Path(tmp))
        _measure([*python, *OURS])  # compile bytecode once, as an installed package has it
        theirs_cold, theirs_warm = _measure([*python, *VARIANTLIB])
        ours_cold, ours_warm = _measure([*python, *OURS])
    print(f"{'':34}{'cold':>10}{'warm':>10}")
    print(f"{'variantlib plugins get-configs -s':34}{theirs_cold:8.1f}ms{theirs_warm:8.1f}ms")
    print(f"{'variant_providers report --json':34}{ours_cold:8.1f}ms{ours_warm:8.1f}ms")
    print(
        f"{'ratio (variantlib / ours)':34}{theirs_cold / ours_cold:9.1f}x"
        f"{theirs_warm / ours_warm:9.1f}x   (targets: 2x cold, 4x warm)"
    )


if __name__ == "__main__":
    main()
