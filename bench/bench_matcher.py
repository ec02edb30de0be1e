"""Ranking speed: variantlib 0.2.2 against variant_providers.matcher, same inputs.

For packages with 10 / 100 / 1,000 / 5,000 variants (``variants.json``-style
dicts) against about 60 supported properties, print the median time of

* variantlib: build its ``VariantDescription`` / ``VariantProperty`` objects
  from the dicts, then ``sort_and_filter_supported_variants`` (as shipped:
  that includes its scan of the running interpreter's distributions for
  ``abi_dependency``);
* variantlib with that distribution scan replaced by a constant, to show the
  gap is not only the scan;
* ours, from the same dicts, with the compiled ranker warm (the installer
  case: one machine, many packages) and cold (every memo cleared first).

Each run asserts that every implementation returns the identical order.
Run: ``python bench/bench_matcher.py`` (or ``make bench``).
"""

from __future__ import annotations

import gc
import importlib.metadata
import random
import statistics
import sys
import time
from typing import Callable, Dict, List, Sequence

from variant_providers import matcher
from variant_providers.matcher import rank_variants
from variantlib.models.variant import VariantDescription
from variantlib.models.variant import VariantProperty as VLProperty
from variantlib.resolver.lib import sort_and_filter_supported_variants

Nested = Dict[str, Dict[str, List[str]]]

SIZES = (10, 100, 1000, 5000)
TARGET_SIZE = 1000
TARGET_RATIO = 30.0


def supported_properties() -> List[str]:
    """About 60 properties shaped like real provider output (NVIDIA, x86-64, BLAS)."""
    props = [f"nvidia :: cuda_version_lower_bound :: 12.{m}" for m in range(8, -1, -1)]
    props += ["nvidia :: cuda_version_lower_bound :: 12"]
    props += [f"nvidia :: cuda_version_lower_bound :: 11.{m}" for m in range(8, -1, -1)]
    props += ["nvidia :: cuda_version_lower_bound :: 11"]
    props += [f"nvidia :: cuda_version_upper_bound :: 13.{m}" for m in range(4, -1, -1)]
    props += ["nvidia :: sm_arch :: 90_real", "nvidia :: sm_arch :: 90_virtual"]
    props += [f"x86_64 :: level :: v{n}" for n in (3, 2, 1)]
    flags = ["avx2", "avx", "bmi2", "bmi1", "f16c", "fma", "movbe", "xsave", "sse4_2", "sse4_1"]
    flags += ["ssse3", "sse3", "cx16", "popcnt", "sse2", "sse", "mmx", "lahf_lm", "abm"]
    flags += ["avx512f", "avx512bw", "avx512vl", "avx512cd", "sha", "aes", "pclmulqdq"]
    props += [f"x86_64 :: {flag} :: on" for flag in flags]
    props += ["blas_lapack :: library :: openblas", "blas_lapack :: library :: mkl"]
    props += ["blas_lapack :: ilp :: lp64", "blas_lapack :: ilp :: ilp64"]
    return props


def make_variants(count: int, seed: int) -> Dict[str, Nested]:
    """Random variants: mostly plausible properties, some unsupported values."""
    rng = random.Random(seed)
    sms = ["50_real", "70_real", "80_real", "86_real", "90_real", "100_real", "120_real"]
    lowers = [f"12.{m}" for m in range(10)] + [f"11.{m}" for m in range(9)] + ["13.0"]
    variants: Dict[str, Nested] = {}
    for index in range(count):
        nested: Nested = {}
        if rng.random() < 0.7:
            nested["nvidia"] = {
                "cuda_version_lower_bound": [rng.choice(lowers)],
                "sm_arch": sorted(rng.sample(sms, rng.randint(1, 4))),
            }
            if rng.random() < 0.3:
                nested["nvidia"]["cuda_version_upper_bound"] = [rng.choice(["13", "13.2", "14"])]
        if rng.random() < 0.6:
            x86: Dict[str, List[str]] = {"level": [rng.choice(["v1", "v2", "v3", "v4"])]}
            for flag in rng.sample(["avx2", "fma", "avx512f", "bmi2"], rng.randint(0, 2)):
                x86[flag] = ["on"]
            nested["x86_64"] = x86
        if rng.random() < 0.4:
            nested["blas_lapack"] = {"library": [rng.choice(["openblas", "mkl", "accelerate"])]}
        if not nested:
            nested["x86_64"] = {"level": ["v2"]}
        variants[f"v{index:05d}"] = nested
    variants["null"] = {}
    return variants


NAMESPACES = ["nvidia", "x86_64", "blas_lapack"]


def run_variantlib(variants: Dict[str, Nested], supported: Sequence[str]) -> List[str]:
    vdescs = [VariantDescription.from_dict(props, label) for label, props in variants.items()]
    vprops = [VLProperty.from_str(text) for text in supported]
    result = sort_and_filter_supported_variants(vdescs, vprops, list(NAMESPACES))
    return [vdesc.label for vdesc in result]


def run_ours(variants: Dict[str, Nested], supported: Sequence[str]) -> List[str]:
    return rank_variants(variants, supported, NAMESPACES)


def run_ours_cold(variants: Dict[str, Nested], supported: Sequence[str]) -> List[str]:
    matcher._compile.cache_clear()
    matcher._PROPERTY_CACHE.clear()
    matcher._VALID_NAMES.clear()
    matcher._VALID_VALUES.clear()
    matcher._VALID_LABELS.clear()
    return rank_variants(variants, supported, NAMESPACES)


def median_seconds(
    func: Callable[[Dict[str, Nested], Sequence[str]], List[str]],
    variants: Dict[str, Nested],
    supported: Sequence[str],
    repeats: int,
) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        func(variants, supported)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _ScanStub:
    """Replace variantlib's per-call distribution scan by a precomputed list."""

    def __init__(self) -> None:
        self._dists = list(importlib.metadata.distributions())
        self._original = importlib.metadata.distributions

    def __enter__(self) -> None:
        # The list is only iterated for name/version; reading them once up front
        # keeps the comparison about ranking, not file I/O.
        frozen = [_Frozen(d.name, d.version) for d in self._dists]
        importlib.metadata.distributions = lambda: iter(frozen)  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        importlib.metadata.distributions = self._original  # type: ignore[assignment]


class _Frozen:
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:8.3f} s "
    return f"{seconds * 1000:8.3f} ms"


def main() -> int:
    supported = supported_properties()
    print(f"Python {sys.version.split()[0]}; {len(supported)} supported properties")
    header = (
        f"{'variants':>8} | {'variantlib':>11} | {'vl no-scan':>11} | "
        f"{'ours warm':>11} | {'ours cold':>11} | {'ratio':>7} | {'no-scan ratio':>13}"
    )
    print(header)
    print("-" * len(header))
    ratio_at_target = 0.0
    for size in SIZES:
        variants = make_variants(size, seed=size)
        expected = run_variantlib(variants, supported)
        with _ScanStub():
            assert run_variantlib(variants, supported) == expected
        assert run_ours(variants, supported) == expected, "ours differs from variantlib"
        assert run_ours_cold(variants, supported) == expected, "ours (cold) differs"
        repeats = 31 if size <= 100 else (11 if size <= 1000 else 5)
        t_vl = median_seconds(run_variantlib, variants, supported, repeats)
        with _ScanStub():
            t_vl_noscan = median_seconds(run_variantlib, variants, supported, repeats)
        run_ours(variants, supported)  # warm the memo
        t_ours = median_seconds(run_ours, variants, supported, repeats * 3)
        t_cold = median_seconds(run_ours_cold, variants, supported, repeats * 3)
        ratio = t_vl / t_ours
        if size == TARGET_SIZE:
            ratio_at_target = ratio
        print(
            f"{size:>8} | {fmt(t_vl)} | {fmt(t_vl_noscan)} | {fmt(t_ours)} | {fmt(t_cold)} | "
            f"{ratio:6.1f}x | {t_vl_noscan / t_ours:12.1f}x"
            f"   ({len(expected) - 1} compatible)"
        )
    verdict = "met" if ratio_at_target >= TARGET_RATIO else "NOT met"
    print(
        f"target: >= {TARGET_RATIO:.0f}x at {TARGET_SIZE} variants: {verdict} "
        f"({ratio_at_target:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
