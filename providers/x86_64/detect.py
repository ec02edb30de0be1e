"""Detect the x86-64 psABI level and the CPU extensions (namespace ``x86_64``).

Orchestration only; each probe is its own module (:mod:`.procfs`,
:mod:`.ldso`, :mod:`.cpuid`, :mod:`.sysctl`, :mod:`.pycpuinfo`).

Sources, per OS (details and the reasons in ``docs/providers/x86_64.md``):

* **Linux** — the ``flags`` line of ``/proc/cpuinfo`` (the kernel's enabled
  feature bits, Linux names: ``pni`` = SSE3, ``abm`` = LZCNT, ``xsave``
  standing in for OSXSAVE), checked against ``AT_MINSIGSTKSZ`` from
  ``/proc/self/auxv``: the kernel sizes signal frames for every register state
  it enabled, so a frame too small for the ZMM (or YMM) state proves that the
  AVX-512 (or AVX) state is off even when a hypervisor advertises the flags.
  Both are file reads (tens of µs).  Two costlier second sources run only
  when asked (``VARIANT_PROVIDERS_X86_64_CROSSCHECK``) or when the cheap ones
  disagree: glibc's own verdict (``ld.so --help``, ~0.7 ms) and raw
  CPUID+XGETBV through a native facade (a child interpreter, ~25 ms).  When
  sources disagree the lower level wins.
* **macOS** — ``sysctl machdep.cpu hw.optional sysctl.proc_translated``
  (Rosetta 2 aware).
* **Windows** — CPUID+XGETBV through the native facade; py-cpuinfo as the
  fallback (its answer is memoised for the process).
"""

from __future__ import annotations

from typing import AbstractSet, Any, Dict, FrozenSet, List, Optional, Tuple

from variant_providers.cpu import detect_by_os, read_cpuinfo, run_sysctl
from variant_providers.model import FeatureConfig
from variant_providers.provider import ProviderOutput, Status
from variant_providers.system import NativeError, NativeTimeout, System

from .procfs import auxv_evidence
from .vocab import (
    Evidence,
    combine,
    level_from_flags,
    level_values,
    missing_for_next_level,
    ordered_extensions,
)

# The second sources (CPUID in a child, glibc-hwcaps, py-cpuinfo) and the other
# OSes' probes are imported by the function that asks them: the common cold run,
# Linux with a readable /proc/cpuinfo, loads only the procfs and auxv readers.

__all__ = [
    "CROSSCHECK_ENV",
    "detect",
    "detect_crosschecked",
    "detect_linux",
]

#: Ask for the costlier second sources on Linux: ``ldso`` (glibc-hwcaps),
#: ``cpuid`` (CPUID+XGETBV in a child), ``all`` (both); ``0``/unset: neither.
CROSSCHECK_ENV = "VARIANT_PROVIDERS_X86_64_CROSSCHECK"

_CROSSCHECK_MODES: Dict[str, FrozenSet[str]] = {
    "": frozenset(),
    "0": frozenset(),
    "off": frozenset(),
    "no": frozenset(),
    "false": frozenset(),
    "ldso": frozenset({"ldso"}),
    "glibc": frozenset({"ldso"}),
    "glibc-hwcaps": frozenset({"ldso"}),
    "cpuid": frozenset({"cpuid"}),
    "1": frozenset({"ldso", "cpuid"}),
    "on": frozenset({"ldso", "cpuid"}),
    "yes": frozenset({"ldso", "cpuid"}),
    "true": frozenset({"ldso", "cpuid"}),
    "all": frozenset({"ldso", "cpuid"}),
}


def _output(
    flags: AbstractSet[str],
    source: str,
    evidence: List[Evidence],
    info: Dict[str, Any],
) -> ProviderOutput:
    kept, level, decided, disagreements = combine(flags, source, evidence)
    if level is None:
        return ProviderOutput(
            info=info,
            status="not-detected",
            reason=f"{source}: no x86-64 baseline flags (missing "
            f"{', '.join(missing_for_next_level(kept)) or 'flags'})",
        )
    extensions = ordered_extensions(kept)
    info = dict(info)
    info["level"] = f"v{level}"
    info["level_source"] = decided
    sources = {"level": decided}
    sources.update({name: source for name in extensions})
    info["source"] = sources
    if evidence:
        info["second_sources"] = {ev.source: ev.detail for ev in evidence}
    if disagreements:
        info["disagreements"] = disagreements
    missing = missing_for_next_level(kept)
    if missing:
        info[f"v{level + 1}_lacks"] = list(missing)
    features = [FeatureConfig("level", level_values(level))]
    features += [FeatureConfig(name, ["on"]) for name in extensions]
    return ProviderOutput(features=features, info=info)


# -- Linux ---------------------------------------------------------------------------------


def _crosscheck_mode(system: System) -> Tuple[FrozenSet[str], Optional[str]]:
    raw = (system.getenv(CROSSCHECK_ENV) or "").strip().lower()
    mode = _CROSSCHECK_MODES.get(raw)
    if mode is None:
        return frozenset(), f"{CROSSCHECK_ENV}={raw!r} not understood (use ldso, cpuid or all)"
    return mode, None


def detect_linux(system: System, crosscheck: Optional[AbstractSet[str]] = None) -> ProviderOutput:
    """Linux detection.

    *crosscheck* names the second sources to ask (``"ldso"``, ``"cpuid"``);
    ``None`` reads them from ``VARIANT_PROVIDERS_X86_64_CROSSCHECK``.
    """
    cpuinfo, reason = read_cpuinfo(system)
    flags = frozenset(cpuinfo.words("flags")) if cpuinfo else frozenset()
    info: Dict[str, Any] = {}
    if cpuinfo:
        info["vendor"] = cpuinfo.get("vendor_id", "")
        info["model"] = cpuinfo.get("model name", "")
    if level_from_flags(flags) is None:
        # /proc/cpuinfo unusable (unreadable, truncated, garbage, a sandbox):
        # ask the CPU itself — a child process, but only on this failure path.
        why = reason or (
            "/proc/cpuinfo has no flags line" if not flags else "/proc/cpuinfo lacks x86-64 flags"
        )
        from .cpuid import cpuid_evidence

        ev = cpuid_evidence(system)
        if ev.level is None:
            status = ev.detail.get("status", "")
            timed_out = bool(ev.detail.get("timed_out"))
            return ProviderOutput(
                info=info,
                status="timeout" if timed_out else "not-detected",
                reason=f"{why}; CPUID probe: {status}",
            )
        info["model"] = info.get("model") or ev.detail.get("brand", "")
        info["fallback"] = why
        return _output(ev.usable, "cpuid", [], info)
    evidence: List[Evidence] = []
    aux = auxv_evidence(system, flags)
    mode, note = _crosscheck_mode(system)
    if crosscheck is not None:
        mode, note = frozenset(crosscheck), None
    if note:
        info["notes"] = [note]
    if aux is not None:
        evidence.append(aux)
        # The cheap sources disagree: ask glibc too (it reads XCR0 itself).
        mode = mode | {"ldso"}
    if "ldso" in mode:
        from .ldso import ldso_evidence

        ld = ldso_evidence(system)
        if ld is not None:
            evidence.append(ld)
    if "cpuid" in mode:
        from .cpuid import cpuid_evidence

        evidence.append(cpuid_evidence(system))
    info["crosscheck"] = sorted(mode)
    return _output(flags, "procfs", evidence, info)


def detect_crosschecked(system: System) -> ProviderOutput:
    """Linux detection with every second source (for a cached, amortised run)."""
    if system.platform.arch == "x86_64" and system.platform.is_linux:
        return detect_linux(system, frozenset({"ldso", "cpuid"}))
    return detect(system)


# -- macOS and Windows -------------------------------------------------------------------


def detect_darwin(system: System) -> ProviderOutput:
    from .sysctl import SYSCTL_NAMES, darwin_flags

    values, reason, timed_out = run_sysctl(system, SYSCTL_NAMES)
    if values is None:
        status: Status = "timeout" if timed_out else "not-detected"
        return ProviderOutput(status=status, reason=f"sysctl: {reason}")
    flags = darwin_flags(values)
    translated = values.get("sysctl.proc_translated") == "1" or (
        values.get("hw.optional.arm64") == "1"
    )
    info: Dict[str, Any] = {
        "vendor": values.get("machdep.cpu.vendor", ""),
        "model": values.get("machdep.cpu.brand_string", ""),
    }
    if translated:
        info["rosetta"] = True
        info["notes"] = [
            "x86-64 process translated by Rosetta 2: the level is what Rosetta advertises; "
            "a native arm64 Python would see the host CPU"
        ]
    if not values.get("machdep.cpu.features"):
        return ProviderOutput(
            info=info, status="not-detected", reason="sysctl gave no machdep.cpu.features"
        )
    return _output(flags, "sysctl", [], info)


def detect_windows(system: System) -> ProviderOutput:
    """Windows: CPUID+XGETBV in a child; py-cpuinfo when that cannot run."""
    from .cpuid import cpuid_evidence
    from .pycpuinfo import ask_pycpuinfo
    from .tables import PYCPUINFO_NAMES

    ev = cpuid_evidence(system)
    if ev.level is not None:
        info = {"vendor": ev.detail.get("vendor", ""), "model": ev.detail.get("brand", "")}
        info["cpuid"] = ev.detail
        return _output(ev.usable, "cpuid", [], info)
    first = str(ev.detail.get("status", ""))
    try:
        answer = ask_pycpuinfo(system)
    except NativeTimeout as exc:
        return ProviderOutput(status="timeout", reason=f"CPUID probe: {first}; {exc}")
    except NativeError as exc:
        return ProviderOutput(status="not-detected", reason=f"CPUID probe: {first}; {exc}")
    if not isinstance(answer, dict) or not isinstance(answer.get("flags"), list):
        error = answer.get("error") if isinstance(answer, dict) else "malformed answer"
        return ProviderOutput(status="not-detected", reason=f"CPUID probe: {first}; {error}")
    flags = frozenset(PYCPUINFO_NAMES.get(str(f), str(f)) for f in answer["flags"])
    info = {
        "model": answer.get("brand", ""),
        "vendor": answer.get("vendor", ""),
        "fallback": f"CPUID probe: {first}",
        "notes": ["py-cpuinfo does not check the OS register state (XCR0)"],
    }
    return _output(flags, "py-cpuinfo", [], info)


# -- entry point -----------------------------------------------------------------------------


def detect(system: System) -> ProviderOutput:
    """Detect the level and the extensions of this x86-64 machine."""
    return detect_by_os(
        system,
        arch="x86_64",
        label="x86-64",
        linux=detect_linux,
        darwin=detect_darwin,
        windows=detect_windows,
    )
