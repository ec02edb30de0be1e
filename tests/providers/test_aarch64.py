"""The aarch64 provider: features from /proc/cpuinfo, auxv, getauxval, sysctl; the version."""

from __future__ import annotations

import csv
import shlex
import struct
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from variant_providers.host import Host, ProviderResult
from variant_providers.overrides import OVERRIDE_VAR, InvalidOverride
from variant_providers.provider import ProviderOutput
from variant_providers.providers.aarch64 import plugin
from variant_providers.providers.aarch64.detect import detect
from variant_providers.providers.aarch64.hwcaps import decode_hwcaps
from variant_providers.providers.aarch64.sysctl import SYSCTL_NAMES
from variant_providers.providers.aarch64.tables import (
    ALL_FEATURES,
    HWCAP2_NAMES,
    HWCAP_NAMES,
    UPSTREAM_FEATURES,
)
from variant_providers.providers.aarch64.vocab import ordered_features, versions_from_features
from variant_providers.replay import ReplaySystem

from ..conftest import SHARED, MachineFactory

CPU_FIXTURES = SHARED / "cpu-fixtures"
ARM_LINUX = {"system": "Linux", "machine": "aarch64"}
MAC = {"system": "Darwin", "machine": "arm64"}


def features(out: ProviderOutput) -> Dict[str, List[str]]:
    return {f.name: list(f.values) for f in out.features}


def version_of(out: ProviderOutput) -> Optional[str]:
    got = features(out).get("version")
    return got[0] if got else None


def _rows() -> List[Dict[str, str]]:
    table = CPU_FIXTURES / "EXPECTED.tsv"
    if not table.is_file():
        return []
    with table.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _rows()
LINUX_ARM = [r for r in ROWS if r["os"] == "Linux" and r["arch"] == "aarch64"]
DARWIN_ARM = [r for r in ROWS if r["os"] == "Darwin" and r["x86_64_level"] == "n/a"]


def linux_machine(make_machine: MachineFactory, name: str) -> Path:
    text = (CPU_FIXTURES / name).read_text(encoding="utf-8")
    return make_machine({"/proc/cpuinfo": text}, platform=ARM_LINUX)


def darwin_machine(make_machine: MachineFactory, name: str) -> Path:
    text = (CPU_FIXTURES / name).read_text(encoding="utf-8")
    key = shlex.join(["sysctl", *SYSCTL_NAMES])
    return make_machine(platform=MAC, commands={key: {"returncode": 0, "stdout": text}})


@pytest.mark.skipif(not LINUX_ARM, reason="shared cpu-fixtures not available")
@pytest.mark.parametrize("row", LINUX_ARM, ids=[r["file"] for r in LINUX_ARM])
def test_shared_linux_dump_reports_every_feature(
    make_machine: MachineFactory, row: Dict[str, str]
) -> None:
    text = (CPU_FIXTURES / row["file"]).read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("Features"))
    listed = line.split(":", 1)[1].split()
    out = detect(ReplaySystem(linux_machine(make_machine, row["file"])))
    got = features(out)
    assert set(listed) == set(got) - {"version"}
    assert all(got[name] == ["on"] for name in listed)
    assert got["version"][-1] == "8a"


# Hand-derived from the binutils "mandatory from" rules (cpu.md section 3.2) and each
# file's Features line: the first version whose mandatory features are not all there.
SHARED_VERSIONS = {
    "linux-amazon-cortex_a72": "8a",  # no atomics/asimdrdm
    "linux-centos7-thunderx2": "8.1a",  # no dcpop
    "linux-amazon-neoverse_n1": "8.2a",  # no jscvt/fcma/paca
    "linux-rocky8-a64fx": "8.2a",  # no jscvt/lrcpc
    "linux-rhel8-neoverse_v1": "8.2a",  # RHEL 8 kernel hides paca/pacg
    "linux-amazon-neoverse_v1": "8.4a",  # no sb/bti
    "linux-asahi-m1": "8.4a",  # no bti
    "linux-ubuntu22.04-neoverse_n2": "8.3a",  # no dit
    "linux-asahi-m2": "8.6a",  # bti, i8mm, bf16; no sve
    "linux-ubuntu22.04-neoverse_v2": "9.0a",  # 8.5 set + sve + sve2
}


@pytest.mark.skipif(not LINUX_ARM, reason="shared cpu-fixtures not available")
@pytest.mark.parametrize(("name", "top"), sorted(SHARED_VERSIONS.items()))
def test_shared_linux_versions(make_machine: MachineFactory, name: str, top: str) -> None:
    out = detect(ReplaySystem(linux_machine(make_machine, name)))
    assert version_of(out) == top


@pytest.mark.skipif(not LINUX_ARM, reason="shared cpu-fixtures not available")
def test_shared_neoverse_v2_version_list(make_machine: MachineFactory) -> None:
    out = detect(ReplaySystem(linux_machine(make_machine, "linux-ubuntu22.04-neoverse_v2")))
    # i8mm + bf16 prove 8.6 as well; 9.0 (8.5 + SVE2) is listed first.
    assert features(out)["version"] == [
        "9.0a",
        "8.6a",
        "8.5a",
        "8.4a",
        "8.3a",
        "8.2a",
        "8.1a",
        "8a",
    ]
    assert out.info["vendor"] == "Arm" and out.info["model"] == "Neoverse V2"


@pytest.mark.skipif(not DARWIN_ARM, reason="shared cpu-fixtures not available")
@pytest.mark.parametrize("row", DARWIN_ARM, ids=[r["file"] for r in DARWIN_ARM])
def test_shared_apple_silicon(make_machine: MachineFactory, row: Dict[str, str]) -> None:
    out = detect(ReplaySystem(darwin_machine(make_machine, row["file"])))
    got = set(features(out))
    assert {"fp", "asimd", "atomics", "asimdfhm", "crc32"} <= got
    assert "sve" not in got  # no Apple M chip has (non-streaming) SVE
    brand = out.info["model"]
    if any(m in brand for m in ("M2", "M3", "M4", "M5")):
        assert {"bf16", "i8mm"} <= got
    if "M1" in brand:
        assert "bf16" not in got and "i8mm" not in got
    if any(m in brand for m in ("M4", "M5")):
        assert {"sme", "sme2"} <= got
        assert out.info["sme_max_svl_bytes"] == 64


@pytest.mark.skipif(not DARWIN_ARM, reason="shared cpu-fixtures not available")
def test_shared_big_sur_legacy_keys(make_machine: MachineFactory) -> None:
    out = detect(ReplaySystem(darwin_machine(make_machine, "darwin-bigsur-m1")))
    got = features(out)
    assert {"fphp", "asimdhp", "sha3", "sha512", "atomics", "crc32"} <= set(got)
    # Big Sur does not show RDM/LSE2…: only Armv8.0 is proven.
    assert got["version"] == ["8a"]


# -- tables and vocabulary -----------------------------------------------------------------------


def test_upstream_vocabulary_without_fused_names() -> None:
    assert "asimdrdmatomics" not in ALL_FEATURES and "btiecv" not in ALL_FEATURES
    assert UPSTREAM_FEATURES[:4] == ("sve2", "flagm2", "frint", "sb")
    assert UPSTREAM_FEATURES[-9:] == (
        "aes",
        "asimd",
        "cpuid",
        "crc32",
        "evtstrm",
        "fp",
        "pmull",
        "sha1",
        "sha2",
    )
    i = UPSTREAM_FEATURES.index("asimdrdm")
    assert UPSTREAM_FEATURES[i - 1 : i + 2] == ("sve", "asimdrdm", "atomics")
    assert len(set(ALL_FEATURES)) == len(ALL_FEATURES)


def test_all_configs() -> None:
    configs = plugin.all_configs()
    assert configs[0].name == "version"
    assert configs[0].values == ("9.0a", "8.6a", "8.5a", "8.4a", "8.3a", "8.2a", "8.1a", "8a")
    assert [c.name for c in configs[1:]] == list(ALL_FEATURES)


def test_hwcap_bits() -> None:
    assert HWCAP_NAMES[22] == "sve" and HWCAP_NAMES[20] == "asimddp"
    assert HWCAP2_NAMES[1] == "sve2" and HWCAP2_NAMES[13] == "i8mm"
    assert HWCAP2_NAMES[23] == "sme" and HWCAP2_NAMES[63] == "poe"
    assert decode_hwcaps(0b11, 1 << 14) == ["fp", "asimd", "bf16"]
    assert decode_hwcaps(1 << 63, 1 << 64) == []  # unknown bits are skipped


def test_versions_are_cumulative() -> None:
    base = {"fp", "asimd", "crc32", "atomics", "asimdrdm", "dcpop"}
    assert versions_from_features(base) == ("8.2a", "8.1a", "8a")
    # 8.4 features without the 8.3 ones prove nothing beyond 8.2.
    assert (
        versions_from_features(base | {"asimddp", "dit", "flagm", "ilrcpc", "uscat"})[0] == "8.2a"
    )
    assert versions_from_features({"sve", "sve2"}) == ()


def test_unknown_feature_names_follow_in_given_order() -> None:
    assert ordered_features(["zz_new", "fp", "aa_new", "asimd", "BAD-name"]) == [
        "asimd",
        "fp",
        "zz_new",
        "aa_new",
    ]


# -- Linux fallbacks -----------------------------------------------------------------------------


def _auxv(hwcap: int, hwcap2: int = 0) -> bytes:
    return struct.pack("<6Q", 16, hwcap, 26, hwcap2, 0, 0)


def test_auxv_when_cpuinfo_has_no_features(make_machine: MachineFactory) -> None:
    machine = make_machine(
        {"/proc/cpuinfo": "processor : 0\nflags : fpu sse\n"}, platform=ARM_LINUX
    )
    dest = machine / "root" / "proc" / "self" / "auxv"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(_auxv(0b1111011, 1 << 1))
    out = detect(ReplaySystem(machine))
    got = features(out)
    assert {"fp", "asimd", "aes", "pmull", "sha1", "sha2", "sve2"} == set(got) - {"version"}
    assert out.info["source"]["fp"] == "auxv"


def test_getauxval_facade_when_files_are_unreadable(make_machine: MachineFactory) -> None:
    machine = make_machine(
        platform=ARM_LINUX,
        errors={"/proc/cpuinfo": "EACCES", "/proc/self/auxv": "EACCES"},
        native={"getauxval": {"answer": {"hwcap": 0b11 | (1 << 7), "hwcap2": 0}}},
    )
    out = detect(ReplaySystem(machine))
    assert set(features(out)) == {"version", "fp", "asimd", "crc32"}
    assert out.info["source"]["version"] == "getauxval"
    assert "Permission denied" in out.info["fallback"]


@pytest.mark.parametrize(
    ("native", "status"),
    [
        ({"getauxval": {"timeout": True}}, "timeout"),
        ({"getauxval": {"error": "child crashed"}}, "not-detected"),
        ({"getauxval": {"answer": {"error": "getauxval unavailable"}}}, "not-detected"),
        ({}, "not-detected"),
    ],
)
def test_every_source_failing(
    make_machine: MachineFactory, native: Dict[str, object], status: str
) -> None:
    machine = make_machine({"/proc/cpuinfo": "garbage\x00\x00"}, platform=ARM_LINUX, native=native)
    out = detect(ReplaySystem(machine))
    assert out.status == status
    assert "Features" in out.reason


def test_not_aarch64(make_machine: MachineFactory) -> None:
    out = detect(ReplaySystem(make_machine(platform={"system": "Darwin", "machine": "x86_64"})))
    assert not out.features and "not an AArch64" in out.reason


def test_darwin_sysctl_failures(make_machine: MachineFactory) -> None:
    out = detect(ReplaySystem(make_machine(platform=MAC)))
    assert out.status == "not-detected" and "sysctl" in out.reason
    key = shlex.join(["sysctl", *SYSCTL_NAMES])
    hung = make_machine(platform=MAC, commands={key: {"timeout": True}})
    assert detect(ReplaySystem(hung)).status == "timeout"


def test_windows_on_arm(make_machine: MachineFactory) -> None:
    answer = {"neon": True, "crc32": True, "v81_atomic": True, "v82_dp": True, "sve": False}
    machine = make_machine(
        platform={"system": "Windows", "machine": "ARM64"},
        native={"windows-pf": {"answer": answer}},
    )
    got = features(detect(ReplaySystem(machine)))
    # RDM is not exposed by Windows, so Armv8.1 is not proven.
    assert got["version"] == ["8a"]
    assert {"fp", "asimd", "crc32", "atomics", "asimddp"} == set(got) - {"version"}


def host_row(machine: Path) -> ProviderResult:
    """The ``aarch64`` row of a host detection: overrides applied, as users see them."""
    host = Host(entry_points=False)
    return host.detect(ReplaySystem(machine), only=["aarch64"], cache=False)["aarch64"]


def test_override_sets_features_and_the_version(make_machine: MachineFactory) -> None:
    # What VARIANT_PROVIDERS_AARCH64_FORCE_FEATURES did, with the one override scheme.
    items = "aarch64 :: version :: 8.1a, 8a; aarch64 :: sve :: on"
    result = host_row(make_machine(platform=ARM_LINUX, env={OVERRIDE_VAR: items}))
    assert result.status == "override"
    got = {f.name: list(f.values) for f in result.features}
    assert got["version"] == ["8.1a", "8a"] and got["sve"] == ["on"]
    assert result.provenance["sve"] == f"override:{OVERRIDE_VAR}"
    with pytest.raises(InvalidOverride, match="aarch64"):
        host_row(make_machine(platform=ARM_LINUX, env={OVERRIDE_VAR: "aarch64 :: Sve! :: on"}))


def test_the_removed_force_variable_changes_nothing(make_machine: MachineFactory) -> None:
    plain = host_row(make_machine(platform=ARM_LINUX))
    env = {"VARIANT_PROVIDERS_AARCH64_FORCE_FEATURES": "fp,asimd,sve"}
    forced = host_row(make_machine(platform=ARM_LINUX, env=env))
    assert forced.status == plain.status
    assert forced.features == plain.features


# -- hypothesis -----------------------------------------------------------------------------------

NAMES = st.sampled_from(sorted(set(HWCAP_NAMES) | set(HWCAP2_NAMES)))


@settings(max_examples=300, deadline=None)
@given(st.sets(NAMES), st.sets(NAMES))
def test_version_is_monotone(a: Set[str], b: Set[str]) -> None:
    top_a = versions_from_features(a)
    top_ab = versions_from_features(a | b)
    assert set(top_a) <= set(top_ab)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_garbage_features_line_never_crashes(text: str) -> None:
    from variant_providers.cpu import parse_cpuinfo

    info = parse_cpuinfo("processor : 0\nFeatures : " + text)
    names = ordered_features(info.words("Features"))
    assert all(n == n.lower() for n in names)
