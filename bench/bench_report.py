"""Whole-process cost of `python -m variant_providers report --json`, cold and warm.

Cold: an empty cache directory each run (every provider detects).  Warm: the
cache was filled by a previous run.  Medians of several runs on this machine.
Targets on a 2-core machine without GPUs: warm < 40 ms, cold < 80 ms.  The
targets are for our providers: other installed ``variant_plugins`` plugins
(the test extras install ascend-variant-provider) are hidden for them, and a
last line shows a warm run with them, each asked in its own child every run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import python_without_standard_plugins

RUNS = 9
REPORT = ["variant_providers", "report", "--json"]


def _time(env: dict[str, str], python: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [*python, *REPORT],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    # Installed packages carry compiled bytecode; measure that situation even
    # where the environment disables writing it.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    everything = [sys.executable, "-m"]
    with tempfile.TemporaryDirectory() as tmp:
        ours = python_without_standard_plugins(Path(tmp))
        _time({**os.environ}, everything)
        baseline = statistics.median(_time_cmd([sys.executable, "-c", "pass"]) for _ in range(RUNS))
        cold, warm, with_standard = [], [], []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "VARIANT_PROVIDERS_CACHE_DIR": cache}
                cold.append(_time(env, ours))
                warm.append(_time(env, ours))
                with_standard.append(_time(env, everything))
    print(f"python -c pass            median {baseline:7.1f} ms")
    print(f"report --json, cold cache median {statistics.median(cold):7.1f} ms  (target < 80 ms)")
    print(f"report --json, warm cache median {statistics.median(warm):7.1f} ms  (target < 40 ms)")
    print(
        f"  warm, with the installed standard plugins {statistics.median(with_standard):7.1f} ms"
        "  (not cached: one child each)"
    )


def _time_cmd(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    return (time.perf_counter() - start) * 1e3


if __name__ == "__main__":
    main()
