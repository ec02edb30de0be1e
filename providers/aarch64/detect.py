"""Detect the AArch64 architecture version and CPU features (namespace ``aarch64``).

Sources (details in ``docs/providers/aarch64.md``):

* **Linux** — the ``Features`` line of ``/proc/cpuinfo`` (the kernel's
  system-wide sanitised HWCAPs, by name).  Without it (an emulator showing
  the host's ``/proc/cpuinfo``, an unreadable file) ``AT_HWCAP``/``AT_HWCAP2``
  from ``/proc/self/auxv``, and last ``getauxval`` through a native facade.
* **macOS** — ``sysctl hw.optional machdep.cpu.brand_string``
  (``hw.optional.arm.FEAT_*``, or the older ``hw.optional.*`` keys).
* **Windows** — ``IsProcessorFeaturePresent`` through a native facade.

``version`` is derived from the features alone: a version is listed only
when every feature it makes mandatory (and Linux can show) is present.
"""

from __future__ import annotations

from typing import AbstractSet, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from variant_providers.cpu import (
    AT_HWCAP,
    AT_HWCAP2,
    detect_by_os,
    read_auxv,
    read_cpuinfo,
    run_sysctl,
)
from variant_providers.model import FeatureConfig, is_valid_name
from variant_providers.provider import ProviderOutput
from variant_providers.system import NativeError, NativeFacade, NativeTimeout, System

from .tables import (
    ALL_FEATURES,
    DARWIN_FEAT_NAMES,
    DARWIN_LEGACY_NAMES,
    HWCAP2_NAMES,
    HWCAP_NAMES,
    V9_0_EXTRA,
    VERSION_STEPS,
)

__all__ = [
    "FORCE_FEATURES_ENV",
    "GETAUXVAL_FACADE",
    "SYSCTL_NAMES",
    "WINDOWS_PF_FACADE",
    "decode_hwcaps",
    "detect",
    "ordered_features",
    "versions_from_features",
]

#: Force the feature set (comma list of Linux names); the version is derived from it.
FORCE_FEATURES_ENV = "VARIANT_PROVIDERS_AARCH64_FORCE_FEATURES"

GETAUXVAL_FACADE = NativeFacade(
    "getauxval", "variant_providers.providers.aarch64.native:getauxval_probe", 10.0
)
WINDOWS_PF_FACADE = NativeFacade(
    "windows-pf", "variant_providers.providers.aarch64.native:windows_pf_probe", 10.0
)
SYSCTL_NAMES = ("hw.optional", "machdep.cpu.brand_string")

#: ``CPU implementer`` → vendor (Arm's MIDR_EL1 implementer codes).
IMPLEMENTERS: Dict[int, str] = {
    0x41: "Arm",
    0x42: "Broadcom",
    0x43: "Cavium",
    0x46: "Fujitsu",
    0x48: "HiSilicon",
    0x4E: "NVIDIA",
    0x51: "Qualcomm",
    0x61: "Apple",
    0x6D: "Microsoft",
    0xC0: "Ampere",
}

#: ``(implementer, part)`` → core name, for the ``info`` block only.
PARTS: Dict[Tuple[int, int], str] = {
    (0x41, 0xD08): "Cortex-A72",
    (0x41, 0xD0B): "Cortex-A76",
    (0x41, 0xD0C): "Neoverse N1",
    (0x41, 0xD40): "Neoverse V1",
    (0x41, 0xD49): "Neoverse N2",
    (0x41, 0xD4F): "Neoverse V2",
    (0x41, 0xD83): "Neoverse V3AE",
    (0x41, 0xD84): "Neoverse V3",
    (0x41, 0xD8E): "Neoverse N3",
    (0x43, 0x0AF): "ThunderX2",
    (0x46, 0x001): "A64FX",
    (0xC0, 0xAC3): "AmpereOne",
    (0xC0, 0xAC4): "AmpereOne A",
}

_WINDOWS_PF_NAMES: Dict[str, Tuple[str, ...]] = {
    "neon": ("fp", "asimd"),
    "crypto": ("aes", "pmull", "sha1", "sha2"),
    "crc32": ("crc32",),
    "v81_atomic": ("atomics",),
    "v82_dp": ("asimddp",),
    "v83_jscvt": ("jscvt",),
    "v83_lrcpc": ("lrcpc",),
    "sve": ("sve",),
    "sve2": ("sve2",),
}


def decode_hwcaps(hwcap: int, hwcap2: int = 0) -> List[str]:
    """The feature names of ``AT_HWCAP``/``AT_HWCAP2`` bits (unknown bits skipped)."""
    names = [name for bit, name in enumerate(HWCAP_NAMES) if hwcap >> bit & 1]
    names += [name for bit, name in enumerate(HWCAP2_NAMES) if hwcap2 >> bit & 1]
    return names


def versions_from_features(features: AbstractSet[str]) -> Tuple[str, ...]:
    """The architecture versions *features* prove, most capable first.

    Cumulative: ``8.3a`` needs the mandatory features of 8.1 and 8.2 as well.
    ``9.0a`` needs ``8.5a`` plus ``sve`` and ``sve2`` and is listed before
    ``8.6a`` (which it does not imply).  Empty when not even ``fp`` + ``asimd``.
    """
    proven: List[str] = []
    for name, needed in VERSION_STEPS:
        if not needed <= features:
            break
        proven.append(name)
    values = list(reversed(proven))
    if "8.5a" in proven and V9_0_EXTRA.issubset(features):
        values.insert(0, "9.0a")
    return tuple(values)


def ordered_features(names: Iterable[str]) -> List[str]:
    """*names* in report order: the known order, then unknown names as given."""
    given = [n for n in dict.fromkeys(names) if is_valid_name(n)]
    present = set(given)
    known = [n for n in ALL_FEATURES if n in present]
    seen = set(known)
    return known + [n for n in given if n not in seen]


def _output(names: Sequence[str], source: str, info: Dict[str, Any]) -> ProviderOutput:
    features = ordered_features(names)
    if not features:
        return ProviderOutput(info=info, status="not-detected", reason=f"{source}: no features")
    versions = versions_from_features(set(features))
    out: List[FeatureConfig] = []
    sources: Dict[str, str] = {}
    info = dict(info)
    if versions:
        out.append(FeatureConfig("version", versions))
        sources["version"] = source
        info["version"] = versions[0]
        missing = _missing_for_next(set(features), versions[0])
        if missing:
            info["next_version_lacks"] = missing
    out += [FeatureConfig(n, ["on"]) for n in features]
    sources.update({n: source for n in features})
    info["source"] = sources
    return ProviderOutput(features=out, info=info)


def _missing_for_next(features: AbstractSet[str], top: str) -> List[str]:
    names = [name for name, _ in VERSION_STEPS]
    if top == "9.0a":
        return []
    index = names.index(top) + 1
    if index < len(VERSION_STEPS):
        return sorted(VERSION_STEPS[index][1] - features)
    return []


def _model(cpuinfo: Mapping[str, str]) -> Dict[str, Any]:
    info: Dict[str, Any] = {}
    try:
        implementer = int(cpuinfo.get("CPU implementer", ""), 0)
    except ValueError:
        implementer = None
    try:
        part = int(cpuinfo.get("CPU part", ""), 0)
    except ValueError:
        part = None
    if implementer is not None:
        info["vendor"] = IMPLEMENTERS.get(implementer, f"implementer {implementer:#x}")
        core = PARTS.get((implementer, part)) if part is not None else None
        if core:
            info["model"] = core
        elif part is not None:
            info["model"] = f"part {part:#05x}"
    return info


def detect_linux(system: System) -> ProviderOutput:
    cpuinfo, reason = read_cpuinfo(system)
    info: Dict[str, Any] = _model(cpuinfo) if cpuinfo else {}
    names = list(cpuinfo.words("Features")) if cpuinfo else []
    if names:
        return _output(names, "procfs", info)
    why = reason or "/proc/cpuinfo has no Features line"
    auxv = read_auxv(system)
    if AT_HWCAP in auxv:
        info["fallback"] = why
        return _output(decode_hwcaps(auxv[AT_HWCAP], auxv.get(AT_HWCAP2, 0)), "auxv", info)
    try:
        answer = system.native(GETAUXVAL_FACADE)
    except NativeTimeout as exc:
        return ProviderOutput(info=info, status="timeout", reason=f"{why}; {exc}")
    except NativeError as exc:
        return ProviderOutput(info=info, status="not-detected", reason=f"{why}; {exc}")
    hwcap = answer.get("hwcap") if isinstance(answer, dict) else None
    if not isinstance(hwcap, int):
        error = answer.get("error") if isinstance(answer, dict) else "malformed answer"
        return ProviderOutput(info=info, status="not-detected", reason=f"{why}; getauxval: {error}")
    hwcap2 = answer.get("hwcap2")
    info["fallback"] = why
    names = decode_hwcaps(hwcap, hwcap2 if isinstance(hwcap2, int) else 0)
    return _output(names, "getauxval", info)


def darwin_features(values: Mapping[str, str]) -> List[str]:
    """Linux feature names from macOS ``hw.optional.*`` values."""
    names: List[str] = []
    for key, value in values.items():
        if value != "1" or not key.startswith("hw.optional."):
            continue
        short = key[len("hw.optional.") :]
        if short.startswith("arm.FEAT_"):
            names.extend(DARWIN_FEAT_NAMES.get(short[len("arm.") :], ()))
        names.extend(DARWIN_LEGACY_NAMES.get(short, ()))
    if values.get("hw.optional.arm64") == "1" or names:
        # Every Apple arm64 core has FP and Advanced SIMD (macOS requires them).
        names[:0] = ["fp", "asimd"]
    return names


def detect_darwin(system: System) -> ProviderOutput:
    values, reason, timed_out = run_sysctl(system, SYSCTL_NAMES)
    if values is None:
        status = "timeout" if timed_out else "not-detected"
        return ProviderOutput(status=status, reason=f"sysctl: {reason}")
    info: Dict[str, Any] = {"vendor": "Apple", "model": values.get("machdep.cpu.brand_string", "")}
    sme = values.get("hw.optional.arm.sme_max_svl_b")
    if sme and sme.isdigit() and int(sme):
        info["sme_max_svl_bytes"] = int(sme)
    return _output(darwin_features(values), "sysctl", info)


def detect_windows(system: System) -> ProviderOutput:
    try:
        answer = system.native(WINDOWS_PF_FACADE)
    except NativeTimeout as exc:
        return ProviderOutput(status="timeout", reason=str(exc))
    except NativeError as exc:
        return ProviderOutput(status="not-detected", reason=str(exc))
    if not isinstance(answer, dict) or "error" in answer:
        error = answer.get("error") if isinstance(answer, dict) else "malformed answer"
        return ProviderOutput(status="not-detected", reason=f"IsProcessorFeaturePresent: {error}")
    names: List[str] = []
    for key, present in answer.items():
        if present is True:
            names.extend(_WINDOWS_PF_NAMES.get(str(key), ()))
    return _output(names, "windows-pf", {})


def _forced(system: System) -> Optional[ProviderOutput]:
    raw = system.getenv(FORCE_FEATURES_ENV)
    if raw is None or not raw.strip():
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if not is_valid_name(n)]
    if bad:
        return ProviderOutput(
            status="error", reason=f"{FORCE_FEATURES_ENV}: invalid name(s) {', '.join(bad)}"
        )
    result = _output(names, "override", {})
    return ProviderOutput(
        features=result.features,
        info=result.info,
        status="override",
        reason=f"{FORCE_FEATURES_ENV} is set",
    )


def detect(system: System) -> ProviderOutput:
    """Detect the version and the features of this AArch64 machine."""
    return detect_by_os(
        system,
        arch="aarch64",
        label="AArch64",
        forced=_forced,
        linux=detect_linux,
        darwin=detect_darwin,
        windows=detect_windows,
    )
