"""Detect the x86-64 psABI level and the CPU extensions (namespace ``x86_64``).

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

from dataclasses import dataclass, field
from typing import AbstractSet, Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

from variant_providers.cpu import (
    AT_MINSIGSTKSZ,
    detect_by_os,
    parse_cpuinfo,
    read_auxv,
    read_cpuinfo,
    run_sysctl,
)
from variant_providers.model import FeatureConfig
from variant_providers.provider import ProviderOutput
from variant_providers.system import (
    LiveSystem,
    NativeError,
    NativeFacade,
    NativeTimeout,
    System,
)

from .cpuid import decode_cpuid
from .levels import (
    gate_by_state,
    level_from_flags,
    level_values,
    missing_for_next_level,
    ordered_extensions,
    parse_level,
)
from .tables import (
    ALL_EXTENSIONS,
    ALL_LEVELS,
    CPUID_NAMES,
    DARWIN_FEATURE_NAMES,
    DARWIN_OPTIONAL_NAMES,
    LEVEL_FLAGS,
    MIN_SIGFRAME_WITH_YMM,
    MIN_SIGFRAME_WITH_ZMM,
    PUBLISHED_TO_LINUX,
    PYCPUINFO_NAMES,
)

__all__ = [
    "ALL_LEVELS",
    "CPUID_FACADE",
    "CROSSCHECK_ENV",
    "FORCE_EXTENSIONS_ENV",
    "FORCE_LEVEL_ENV",
    "LDSO_PATH",
    "LEVEL_FLAGS",
    "PYCPUINFO_FACADE",
    "SYSCTL_NAMES",
    "detect",
    "detect_crosschecked",
    "level_from_flags",
    "level_values",
    "parse_cpuinfo_flags",
    "parse_ldso_help",
]

#: Ask for the costlier second sources on Linux: ``ldso`` (glibc-hwcaps),
#: ``cpuid`` (CPUID+XGETBV in a child), ``all`` (both); ``0``/unset: neither.
CROSSCHECK_ENV = "VARIANT_PROVIDERS_X86_64_CROSSCHECK"
#: Force the level (``v1``…``v4``); the machine is not looked at.
FORCE_LEVEL_ENV = "VARIANT_PROVIDERS_X86_64_FORCE_LEVEL"
#: With the forced level: the extensions to report (comma list of published names).
FORCE_EXTENSIONS_ENV = "VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS"

CPUID_FACADE = NativeFacade("cpuid", "variant_providers.providers.x86_64.native:cpuid_probe", 10.0)
PYCPUINFO_FACADE = NativeFacade(
    "py-cpuinfo", "variant_providers.providers.x86_64.native:pycpuinfo_probe", 30.0
)
#: The x86-64 glibc dynamic loader (a symlink on multiarch distributions).
LDSO_PATH = "/lib64/ld-linux-x86-64.so.2"
#: What one ``sysctl`` call asks on macOS.
SYSCTL_NAMES = ("machdep.cpu", "hw.optional", "sysctl.proc_translated")

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


# -- kept for callers of the first version of this module ---------------------------------


def parse_cpuinfo_flags(text: str) -> Tuple[FrozenSet[str], str]:
    """The first ``flags`` line and ``model name`` of ``/proc/cpuinfo``."""
    info = parse_cpuinfo(text)
    return frozenset(info.words("flags")), info.get("model name", "")


# -- evidence ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What one second source says.

    ``level`` caps the level; ``ymm``/``zmm`` False drop the extensions that
    need that register state; ``covered``/``usable``: for the names a source
    can see, only those it calls usable are kept.
    """

    source: str
    level: Optional[int] = None
    ymm: Optional[bool] = None
    zmm: Optional[bool] = None
    covered: FrozenSet[str] = frozenset()
    usable: FrozenSet[str] = frozenset()
    detail: Dict[str, Any] = field(default_factory=dict)


def _combine(
    flags: AbstractSet[str], source: str, evidence: List[Evidence]
) -> Tuple[FrozenSet[str], Optional[int], str, List[str]]:
    """Apply every second source; the lower level wins.

    Returns ``(flags kept, level, source that decided the level, disagreements)``.
    """
    kept = frozenset(flags)
    level = level_from_flags(kept)
    decided = source
    disagreements: List[str] = []
    for ev in evidence:
        before = level
        if ev.covered:
            dropped = (kept & ev.covered) - ev.usable
            if dropped:
                disagreements.append(f"{ev.source} lacks {', '.join(sorted(dropped))}")
            kept = kept - dropped
            extra = (ev.usable & ev.covered) - kept - {"osxsave"}
            if extra:
                disagreements.append(
                    f"{ev.source} also has {', '.join(sorted(extra))} (not used: {source} lacks it)"
                )
        cap = ev.level
        zmm = ev.zmm
        ymm = ev.ymm
        if cap is not None and level is not None and cap < level:
            disagreements.append(f"{ev.source} says v{cap}, {source} says v{level}")
            zmm = False if cap < 4 else zmm
            ymm = False if cap < 3 else ymm
        kept = gate_by_state(kept, ymm=ymm, zmm=zmm)
        level = level_from_flags(kept)
        if cap is not None and level is not None:
            level = min(level, cap)
        if level is not None and before is not None and level < before:
            decided = ev.source
    return kept, level, decided, disagreements


def _output(
    flags: AbstractSet[str],
    source: str,
    evidence: List[Evidence],
    info: Dict[str, Any],
) -> ProviderOutput:
    kept, level, decided, disagreements = _combine(flags, source, evidence)
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


def parse_ldso_help(text: str) -> Optional[Tuple[int, List[str]]]:
    """The highest ``x86-64-vN`` glibc-hwcaps subdirectory marked ``supported``.

    Returns ``(level, lines)`` — level 1 when the section lists none as
    supported — or ``None`` when the output has no glibc-hwcaps section
    (glibc < 2.33, or not glibc).
    """
    lines = text.splitlines()
    start = None
    for index, line in enumerate(lines):
        if line.startswith("Subdirectories of glibc-hwcaps"):
            start = index + 1
            break
    if start is None:
        return None
    level = 1
    seen: List[str] = []
    for line in lines[start:]:
        if not line.startswith(" ") or not line.strip():
            break
        entry = line.strip()
        seen.append(entry)
        name, _, rest = entry.partition(" ")
        if not name.startswith("x86-64-v") or "supported" not in rest:
            continue
        parsed = parse_level(name)
        if parsed is not None:
            level = max(level, parsed)
    return level, seen


def _ldso_evidence(system: System) -> Optional[Evidence]:
    if not system.exists(LDSO_PATH):
        return Evidence("glibc-hwcaps", detail={"status": f"{LDSO_PATH} not found"})
    result = system.run([LDSO_PATH, "--help"], timeout=5.0)
    if not result.ok:
        return Evidence("glibc-hwcaps", detail={"status": result.describe()})
    parsed = parse_ldso_help(result.stdout)
    if parsed is None:
        return Evidence("glibc-hwcaps", detail={"status": "no glibc-hwcaps section (glibc < 2.33)"})
    level, lines = parsed
    return Evidence("glibc-hwcaps", level=level, detail={"level": f"v{level}", "subdirs": lines})


def _cpuid_answer(system: System) -> Tuple[Optional[Dict[str, Any]], str, bool]:
    """``(answer, "", False)`` or ``(None, why, timed_out)``."""
    try:
        answer = system.native(CPUID_FACADE)
    except NativeTimeout as exc:
        return None, f"timeout: {exc}", True
    except NativeError as exc:
        return None, str(exc), False
    if not isinstance(answer, dict) or not isinstance(answer.get("rows"), list):
        error = answer.get("error") if isinstance(answer, dict) else None
        return None, str(error or "malformed answer"), False
    return answer, "", False


def _cpuid_evidence(system: System, answer: Optional[Dict[str, Any]] = None) -> Evidence:
    why, timed_out = "", False
    if answer is None:
        answer, why, timed_out = _cpuid_answer(system)
    if answer is None:
        return Evidence("cpuid", detail={"status": why, "timed_out": timed_out})
    view = decode_cpuid(answer)
    usable = set(view.usable)
    pf = answer.get("pf")
    if isinstance(pf, dict):
        # Windows IsProcessorFeaturePresent: OS-aware; False removes the feature.
        for name, present in pf.items():
            if present is False:
                usable.discard(PUBLISHED_TO_LINUX.get(str(name), str(name)))
    level = level_from_flags(usable)
    if level is None:
        # Not a believable answer (no baseline bits): it must not veto the flags.
        return Evidence("cpuid", detail={"status": "CPUID answer lacks the x86-64 baseline"})
    detail: Dict[str, Any] = {
        "level": f"v{level}",
        "xcr0": None if view.xcr0 is None else hex(view.xcr0),
        "vendor": view.vendor,
        "brand": view.brand,
    }
    if view.notes:
        detail["notes"] = list(view.notes)
    return Evidence(
        "cpuid",
        level=level,
        covered=CPUID_NAMES - {"osxsave"},
        usable=frozenset(usable),
        detail=detail,
    )


def _auxv_evidence(system: System, flags: AbstractSet[str]) -> Optional[Evidence]:
    auxv = read_auxv(system)
    size = auxv.get(AT_MINSIGSTKSZ)
    if size is None:
        return None
    ymm = False if size < MIN_SIGFRAME_WITH_YMM else None
    zmm = False if size < MIN_SIGFRAME_WITH_ZMM else None
    if (ymm is False and "avx" in flags) or (zmm is False and "avx512f" in flags):
        state = "YMM" if ymm is False else "ZMM"
        return Evidence(
            "auxv",
            ymm=ymm,
            zmm=zmm,
            detail={
                "AT_MINSIGSTKSZ": size,
                "status": f"signal frame too small for the {state} state the flags claim",
            },
        )
    return None


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
        ev = _cpuid_evidence(system)
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
    aux = _auxv_evidence(system, flags)
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
        ld = _ldso_evidence(system)
        if ld is not None:
            evidence.append(ld)
    if "cpuid" in mode:
        evidence.append(_cpuid_evidence(system))
    info["crosscheck"] = sorted(mode)
    return _output(flags, "procfs", evidence, info)


def detect_crosschecked(system: System) -> ProviderOutput:
    """Linux detection with every second source (for a cached, amortised run)."""
    if system.platform.arch == "x86_64" and system.platform.is_linux:
        return detect_linux(system, frozenset({"ldso", "cpuid"}))
    return detect(system)


# -- macOS ---------------------------------------------------------------------------------


def _darwin_flags(values: Mapping[str, str]) -> FrozenSet[str]:
    flags = set()
    for key in ("machdep.cpu.features", "machdep.cpu.leaf7_features", "machdep.cpu.extfeatures"):
        for word in values.get(key, "").split():
            flags.add(DARWIN_FEATURE_NAMES.get(word, word.lower().replace(".", "_")))
    if "osxsave" not in flags:
        flags.discard("xsave")
    # hw.optional.* are OS-aware (0 when the OS does not enable the state).
    for key, name in DARWIN_OPTIONAL_NAMES.items():
        if values.get(f"hw.optional.{key}") == "0":
            flags.discard(name)
    return frozenset(flags)


def detect_darwin(system: System) -> ProviderOutput:
    values, reason, timed_out = run_sysctl(system, SYSCTL_NAMES)
    if values is None:
        status = "timeout" if timed_out else "not-detected"
        return ProviderOutput(status=status, reason=f"sysctl: {reason}")
    flags = _darwin_flags(values)
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


# -- Windows -------------------------------------------------------------------------------

_PYCPUINFO_MEMO: Dict[str, Any] = {}


def _pycpuinfo(system: System) -> Any:
    """py-cpuinfo's answer; memoised for the live machine (it costs about a second)."""
    live = isinstance(system, LiveSystem)
    if live and "answer" in _PYCPUINFO_MEMO:
        return _PYCPUINFO_MEMO["answer"]
    answer = system.native(PYCPUINFO_FACADE)
    if live:
        _PYCPUINFO_MEMO["answer"] = answer
    return answer


def detect_windows(system: System) -> ProviderOutput:
    """Windows: CPUID+XGETBV in a child; py-cpuinfo when that cannot run."""
    ev = _cpuid_evidence(system)
    if ev.level is not None:
        info = {"vendor": ev.detail.get("vendor", ""), "model": ev.detail.get("brand", "")}
        info["cpuid"] = ev.detail
        return _output(ev.usable, "cpuid", [], info)
    first = str(ev.detail.get("status", ""))
    try:
        answer = _pycpuinfo(system)
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


def _forced(system: System) -> Optional[ProviderOutput]:
    raw = system.getenv(FORCE_LEVEL_ENV)
    if raw is None or not raw.strip():
        return None
    level = parse_level(raw)
    if level is None:
        return ProviderOutput(
            status="error", reason=f"{FORCE_LEVEL_ENV}={raw!r}: expected v1, v2, v3 or v4"
        )
    names = [n.strip() for n in (system.getenv(FORCE_EXTENSIONS_ENV) or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_EXTENSIONS]
    if unknown:
        return ProviderOutput(
            status="error",
            reason=f"{FORCE_EXTENSIONS_ENV}: unknown extension(s) {', '.join(unknown)}",
        )
    wanted = set(names)
    extensions = [n for n in ALL_EXTENSIONS if n in wanted]
    features = [FeatureConfig("level", level_values(level))]
    features += [FeatureConfig(n, ["on"]) for n in extensions]
    source = {"level": "override", **{n: "override" for n in extensions}}
    return ProviderOutput(
        features=features,
        info={"level": f"v{level}", "level_source": "override", "source": source},
        status="override",
        reason=f"{FORCE_LEVEL_ENV}={raw.strip()}",
    )


def detect(system: System) -> ProviderOutput:
    """Detect the level and the extensions of this x86-64 machine."""
    return detect_by_os(
        system,
        arch="x86_64",
        label="x86-64",
        forced=_forced,
        linux=detect_linux,
        darwin=detect_darwin,
        windows=detect_windows,
    )
