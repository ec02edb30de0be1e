"""Whole-process cost of `python -m variant_providers report --json`, cold and warm.

Cold: an empty cache directory each run (every provider detects).  Warm: the
cache was filled by a previous run.  Medians of several runs on this machine.
Targets on a 2-core machine without GPUs: warm < 40 ms, cold < 80 ms.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 9


def _time(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "variant_providers", "report", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    # Installed packages carry compiled bytecode; measure that situation even
    # where the environment disables writing it.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    _time({**os.environ})
    baseline = statistics.median(_time_cmd([sys.executable, "-c", "pass"]) for _ in range(RUNS))
    cold, warm = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "VARIANT_PROVIDERS_CACHE_DIR": cache}
            cold.append(_time(env))
            warm.append(_time(env))
    print(f"python -c pass            median {baseline:7.1f} ms")
    print(f"report --json, cold cache median {statistics.median(cold):7.1f} ms  (target < 80 ms)")
    print(f"report --json, warm cache median {statistics.median(warm):7.1f} ms  (target < 40 ms)")


def _time_cmd(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    return (time.perf_counter() - start) * 1e3


if __name__ == "__main__":
    main()
