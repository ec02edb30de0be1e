"""Detect the AArch64 architecture version and CPU features (namespace ``aarch64``).

Orchestration only; each probe is its own module (:mod:`.procfs`,
:mod:`.hwcaps`, :mod:`.sysctl`, :mod:`.windows_pf`).

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

from typing import Any, Dict, List, Sequence

from variant_providers.cpu import detect_by_os, run_sysctl
from variant_providers.model import FeatureConfig
from variant_providers.provider import ProviderOutput, Status
from variant_providers.system import System

# Each OS's probes, and the feature tables, are imported where they are used:
# on another architecture (the arch check comes first) none of them loads.

__all__ = ["detect", "detect_darwin", "detect_linux", "detect_windows"]


def _output(names: Sequence[str], source: str, info: Dict[str, Any]) -> ProviderOutput:
    from .vocab import missing_for_next, ordered_features, versions_from_features

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
        missing = missing_for_next(set(features), versions[0])
        if missing:
            info["next_version_lacks"] = missing
    out += [FeatureConfig(n, ["on"]) for n in features]
    sources.update({n: source for n in features})
    info["source"] = sources
    return ProviderOutput(features=out, info=info)


def detect_linux(system: System) -> ProviderOutput:
    from .hwcaps import ask_getauxval, read_hwcaps
    from .procfs import read_features

    names, info, why = read_features(system)
    if names:
        return _output(names, "procfs", info)
    from_auxv = read_hwcaps(system)
    if from_auxv is not None:
        info["fallback"] = why
        return _output(from_auxv, "auxv", info)
    from_child, error, timed_out = ask_getauxval(system)
    if from_child is None:
        status: Status = "timeout" if timed_out else "not-detected"
        return ProviderOutput(info=info, status=status, reason=f"{why}; {error}")
    info["fallback"] = why
    return _output(from_child, "getauxval", info)


def detect_darwin(system: System) -> ProviderOutput:
    from .sysctl import SYSCTL_NAMES, darwin_features

    values, reason, timed_out = run_sysctl(system, SYSCTL_NAMES)
    if values is None:
        status: Status = "timeout" if timed_out else "not-detected"
        return ProviderOutput(status=status, reason=f"sysctl: {reason}")
    info: Dict[str, Any] = {"vendor": "Apple", "model": values.get("machdep.cpu.brand_string", "")}
    sme = values.get("hw.optional.arm.sme_max_svl_b")
    if sme and sme.isdigit() and int(sme):
        info["sme_max_svl_bytes"] = int(sme)
    return _output(darwin_features(values), "sysctl", info)


def detect_windows(system: System) -> ProviderOutput:
    from .windows_pf import ask_windows_pf

    names, error, timed_out = ask_windows_pf(system)
    if names is None:
        return ProviderOutput(status="timeout" if timed_out else "not-detected", reason=error)
    return _output(names, "windows-pf", {})


def detect(system: System) -> ProviderOutput:
    """Detect the version and the features of this AArch64 machine."""
    return detect_by_os(
        system,
        arch="aarch64",
        label="AArch64",
        linux=detect_linux,
        darwin=detect_darwin,
        windows=detect_windows,
    )
