"""CPU detection cost: our in-process detection beside archspec and py-cpuinfo.

Prints the median of repeated calls on this machine:

* ``x86_64``/``aarch64`` provider ``detect`` on the live machine (the
  default fast path: ``/proc/cpuinfo`` and ``/proc/self/auxv``);
* the optional second sources: glibc-hwcaps (``ld.so --help``) and the
  CPUID+XGETBV probe in a child interpreter;
* ``archspec.cpu.host()`` with its cache cleared (the JSON already loaded);
* ``cpuinfo.get_cpu_info()`` (py-cpuinfo; a few calls only, it sleeps a second).

Run with ``make bench`` (or ``python bench/bench_cpu.py``).
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Callable, List, Optional

from variant_providers.system import LiveSystem

BUDGET_MS = 1.0


def median_ms(func: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        func()
    times: List[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def line(label: str, value: Optional[float], note: str = "") -> None:
    shown = "n/a" if value is None else f"{value:10.3f} ms"
    print(f"  {label:<46} {shown:>13}  {note}")


def main() -> int:
    system = LiveSystem()
    arch = system.platform.arch
    print(f"machine: {system.platform.system} {arch}, Python {sys.version.split()[0]}")
    failed = False
    if arch == "x86_64":
        from variant_providers.providers.x86_64.detect import detect, detect_linux

        fast = median_ms(lambda: detect(system), 2000, warmup=20)
        out = detect(system)
        level = next((f.values[0] for f in out.features if f.name == "level"), None)
        line("x86_64 detect (default path)", fast, f"level {level}, {len(out.features) - 1} ext")
        if system.platform.is_linux:
            failed = fast >= BUDGET_MS
            line(
                "x86_64 detect + glibc-hwcaps (ld.so --help)",
                median_ms(lambda: detect_linux(system, {"ldso"}), 50),
            )
            line(
                "x86_64 detect + CPUID probe (child process)",
                median_ms(lambda: detect_linux(system, {"cpuid"}), 5),
            )
    elif arch == "aarch64":
        from variant_providers.providers.aarch64.detect import detect as detect_arm

        fast = median_ms(lambda: detect_arm(system), 2000, warmup=20)
        line("aarch64 detect (default path)", fast)
        failed = system.platform.is_linux and fast >= BUDGET_MS

    try:
        import archspec.cpu  # type: ignore[import-untyped]
    except ImportError:
        line("archspec host()", None, "archspec not installed")
    else:
        archspec.cpu.host()  # loads the JSON once

        def archspec_host() -> object:
            archspec.cpu.host.cache_clear()
            return archspec.cpu.host()

        value = median_ms(archspec_host, 200)
        line("archspec.cpu.host() (uncached)", value, f"-> {archspec.cpu.host().name}")

    try:
        import cpuinfo
    except ImportError:
        line("py-cpuinfo get_cpu_info()", None, "py-cpuinfo not installed")
    else:
        value = median_ms(cpuinfo.get_cpu_info, 3, warmup=0)
        line("py-cpuinfo get_cpu_info()", value)

    if failed:
        print(f"FAIL: in-process detection is over {BUDGET_MS} ms")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
