"""The x86_64 provider: psABI level, extensions, second sources, every OS path."""

from __future__ import annotations

import csv
import shlex
import struct
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from variant_providers.host import Host, ProviderResult
from variant_providers.overrides import OVERRIDE_VAR, InvalidOverride
from variant_providers.provider import ProviderOutput
from variant_providers.providers.x86_64 import plugin
from variant_providers.providers.x86_64.cpuid import decode_cpuid, parse_cpuid_csv
from variant_providers.providers.x86_64.detect import (
    CROSSCHECK_ENV,
    detect,
    detect_linux,
)
from variant_providers.providers.x86_64.ldso import LDSO_PATH, parse_ldso_help
from variant_providers.providers.x86_64.procfs import parse_cpuinfo_flags
from variant_providers.providers.x86_64.sysctl import SYSCTL_NAMES
from variant_providers.providers.x86_64.tables import (
    ALL_EXTENSIONS,
    EXTRA_EXTENSIONS,
    LEVEL_FLAGS,
    UPSTREAM_EXTENSIONS,
)
from variant_providers.providers.x86_64.vocab import level_from_flags, ordered_extensions
from variant_providers.replay import ReplaySystem
from variant_providers.system import LiveSystem
from variant_providers.testing import FakeSystem

from ..conftest import SHARED, MachineFactory, cpuinfo

CPU_FIXTURES = SHARED / "cpu-fixtures"

# The psABI sets written out again from cpu.md section 1.1 (Linux names), independently
# of the provider's table.
V1 = {"fpu", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2"}
V2 = V1 | {"pni", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16", "lahf_lm"}
V3 = V2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
V4 = V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}


def features(out: ProviderOutput) -> Dict[str, List[str]]:
    return {f.name: list(f.values) for f in out.features}


def level_of(out: ProviderOutput) -> Optional[str]:
    got = features(out).get("level")
    return got[0] if got else None


def auxv(*pairs: tuple[int, int]) -> bytes:
    return b"".join(struct.pack("<QQ", k, v) for k, v in (*pairs, (0, 0)))


def add_file(machine: Path, path: str, data: bytes) -> None:
    dest = machine / "root" / path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


# -- the shared real dumps --------------------------------------------------------------------


def _expected_rows() -> List[Dict[str, str]]:
    table = CPU_FIXTURES / "EXPECTED.tsv"
    if not table.is_file():
        return []
    with table.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _expected_rows()
X86_ROWS = [r for r in ROWS if r["x86_64_level"] in ("v1", "v2", "v3", "v4")]


def shared_machine(make_machine: MachineFactory, row: Dict[str, str]) -> Path:
    """Build a replayable machine from one shared dump (in tmp_path, never copied)."""
    text = (CPU_FIXTURES / row["file"]).read_text(encoding="utf-8")
    if row["os"] == "Linux":
        return make_machine(
            {"/proc/cpuinfo": text}, platform={"system": "Linux", "machine": row["arch"]}
        )
    if row["os"] == "Darwin":
        # An x86 view of the data (the Rosetta file included) is an x86-64 process.
        return make_machine(
            platform={"system": "Darwin", "machine": "x86_64"},
            commands={shlex.join(["sysctl", *SYSCTL_NAMES]): {"returncode": 0, "stdout": text}},
        )
    return make_machine(
        platform={"system": "Windows", "machine": "AMD64"},
        native={"cpuid": {"answer": {"rows": parse_cpuid_csv(text), "xcr0": None}}},
    )


@pytest.mark.skipif(not X86_ROWS, reason="shared cpu-fixtures not available")
@pytest.mark.parametrize("row", X86_ROWS, ids=[r["file"] for r in X86_ROWS])
def test_shared_dump_level_matches_expected_tsv(
    make_machine: MachineFactory, row: Dict[str, str]
) -> None:
    out = detect(ReplaySystem(shared_machine(make_machine, row)))
    assert out.status is None, out.reason
    level = int(row["x86_64_level"][1])
    assert features(out)["level"] == [f"v{n}" for n in range(level, 0, -1)]
    # Every SIMD extra the table lists for the file is reported (the Rosetta
    # row lists the Arm host's extras: not ours to report).
    extras = [e for e in row["simd_extras_present"].split(",") if e and row["arch"] == "x86_64"]
    assert set(extras) <= set(features(out)), row["file"]
    # Only "on" values, extensions in the documented order.
    names = [f.name for f in out.features[1:]]
    assert names == [n for n in ALL_EXTENSIONS if n in names]
    assert all(f.values == ("on",) for f in out.features[1:])


@pytest.mark.skipif(not X86_ROWS, reason="shared cpu-fixtures not available")
def test_shared_rosetta_dump_is_flagged(make_machine: MachineFactory) -> None:
    row = next(r for r in ROWS if r["file"] == "extra/rossetta2-monterey-core2")
    out = detect(ReplaySystem(shared_machine(make_machine, row)))
    assert level_of(out) == "v1"
    assert out.info["rosetta"] is True
    assert out.info["model"] == "Apple M1"


@pytest.mark.skipif(not X86_ROWS, reason="shared cpu-fixtures not available")
def test_shared_windows_icelake_decodes_cpuid(make_machine: MachineFactory) -> None:
    row = next(r for r in ROWS if r["file"] == "windows-cpuid-icelake")
    out = detect(ReplaySystem(shared_machine(make_machine, row)))
    got = features(out)
    assert got["level"][0] == "v4"
    for name in ("avx512_vnni", "avx512vbmi", "avx512_vbmi2", "gfni", "vaes", "sha_ni"):
        assert name in got
    assert out.info["source"]["level"] == "cpuid"


# -- levels -------------------------------------------------------------------------------------


def test_level_sets_are_the_psabi_sets() -> None:
    assert [set(s) for _, s in LEVEL_FLAGS] == [V1, V2 - V1, V3 - V2, V4 - V3]
    assert level_from_flags(V1) == 1
    assert level_from_flags(V2) == 2
    assert level_from_flags(V3) == 3
    assert level_from_flags(V4) == 4
    assert level_from_flags(set()) is None


@pytest.mark.parametrize("missing", sorted(V4 - V1))
def test_each_level_flag_is_required(missing: str) -> None:
    expected = 1 if missing in V2 else 2 if missing in V3 else 3
    assert level_from_flags(V4 - {missing}) == expected


def test_linux_name_gotchas() -> None:
    # SSE3 is "pni" and LZCNT is "abm" in /proc/cpuinfo; "sse3"/"lzcnt" do not count.
    assert level_from_flags((V2 - {"pni"}) | {"sse3"}) == 1
    assert level_from_flags((V3 - {"abm"}) | {"lzcnt"}) == 2
    # A v4 flag set without the v3 ones is still v2 (levels are cumulative).
    assert level_from_flags(V2 | (V4 - V3)) == 2


def test_published_names() -> None:
    assert ordered_extensions(V2) == [
        "sse4_2",
        "sse4_1",
        "ssse3",
        "sse3",
        "cx16",
        "lahf_lm",
        "popcnt",
        "sse2",
        "sse",
        "mmx",
    ]
    assert "pni" not in ALL_EXTENSIONS
    assert len(set(ALL_EXTENSIONS)) == len(ALL_EXTENSIONS)
    assert not set(UPSTREAM_EXTENSIONS) & set(EXTRA_EXTENSIONS)


def test_all_configs_keeps_upstream_vocabulary() -> None:
    configs = plugin.all_configs()
    assert configs[0].name == "level" and configs[0].values == ("v4", "v3", "v2", "v1")
    names = [c.name for c in configs[1:]]
    assert names[: len(UPSTREAM_EXTENSIONS)] == list(UPSTREAM_EXTENSIONS)
    assert names[:4] == ["avx_vnni", "cppc", "ibrs_enhanced", "tsc_adjust"]
    assert names[len(UPSTREAM_EXTENSIONS) - 3 :][:3] == ["sse2", "sse", "mmx"]
    assert all(c.values == ("on",) for c in configs[1:])


def test_parse_cpuinfo_flags_keeps_old_api() -> None:
    flags, model = parse_cpuinfo_flags(cpuinfo(" ".join(sorted(V2)), model="Xeon X5570"))
    assert flags == frozenset(V2)
    assert model == "Xeon X5570"


# -- Linux paths -------------------------------------------------------------------------------


def test_linux_v2_machine(make_machine: MachineFactory) -> None:
    out = detect(ReplaySystem(make_machine({"/proc/cpuinfo": cpuinfo(" ".join(sorted(V2)))})))
    assert features(out)["level"] == ["v2", "v1"]
    assert out.info["level_source"] == "procfs"
    assert out.info["v3_lacks"] == sorted(V3 - V2)


def test_v1_machine_reports_v1(make_machine: MachineFactory) -> None:
    out = detect(ReplaySystem(make_machine({"/proc/cpuinfo": cpuinfo(" ".join(sorted(V1)))})))
    assert features(out)["level"] == ["v1"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02garbage\n\n\n",
        "processor\t: 0\nvendor_id\t: GenuineIntel\nfla",
        "flags\t\t: \n",
        "flags : avx512f avx2 sse4_2\n",
    ],
)
def test_garbage_cpuinfo_is_not_detected(make_machine: MachineFactory, text: str) -> None:
    out = detect(ReplaySystem(make_machine({"/proc/cpuinfo": text})))
    assert out.status == "not-detected"
    assert out.reason and "cpuinfo" in out.reason
    assert not out.features


def test_unreadable_cpuinfo_falls_back_to_cpuid(make_machine: MachineFactory) -> None:
    rows = [[0, 0, 13, 0, 0, 0], [1, 0, 0, 0, 0, (1 << 0) | (1 << 8) | (1 << 15) | (7 << 23)]]
    rows[1][5] |= 1 << 26  # sse2
    machine = make_machine(
        errors={"/proc/cpuinfo": "EACCES"},
        native={"cpuid": {"answer": {"rows": rows, "xcr0": None}}},
    )
    out = detect(ReplaySystem(machine))
    assert features(out)["level"] == ["v1"]
    assert "Permission denied" in out.info["fallback"]
    assert out.info["level_source"] == "cpuid"


def test_unreadable_cpuinfo_and_hung_probe_is_a_timeout(make_machine: MachineFactory) -> None:
    machine = make_machine(errors={"/proc/cpuinfo": "EACCES"}, native={"cpuid": {"timeout": True}})
    out = detect(ReplaySystem(machine))
    assert out.status == "timeout"
    assert "cpuinfo" in out.reason


def test_small_signal_frame_hides_avx512(make_machine: MachineFactory) -> None:
    machine = make_machine({"/proc/cpuinfo": cpuinfo(" ".join(sorted(V4 | {"avx512_vnni"})))})
    add_file(machine, "/proc/self/auxv", auxv((51, 1776), (16, 0x178BFBFF)))
    out = detect(ReplaySystem(machine))
    got = features(out)
    assert got["level"][0] == "v3"
    assert not [n for n in got if n.startswith("avx512")]
    assert out.info["level_source"] == "auxv"
    # ld.so was asked (and is absent here): recorded, not fatal.
    assert "not found" in out.info["second_sources"]["glibc-hwcaps"]["status"]


def test_tiny_signal_frame_hides_avx(make_machine: MachineFactory) -> None:
    machine = make_machine({"/proc/cpuinfo": cpuinfo(" ".join(sorted(V3 | {"vaes"})))})
    add_file(machine, "/proc/self/auxv", auxv((51, 700)))
    got = features(detect(ReplaySystem(machine)))
    assert got["level"][0] == "v2"
    assert "avx" not in got and "vaes" not in got and "fma" not in got
    assert "bmi2" in got  # not a register-state extension


def test_large_signal_frame_changes_nothing(make_machine: MachineFactory) -> None:
    machine = make_machine({"/proc/cpuinfo": cpuinfo(" ".join(sorted(V4)))})
    add_file(machine, "/proc/self/auxv", auxv((51, 3376)))
    out = detect(ReplaySystem(machine))
    assert level_of(out) == "v4"
    assert "second_sources" not in out.info
    assert out.info["crosscheck"] == []


LDSO_HELP = """Usage: ld.so [OPTION]...

Subdirectories of glibc-hwcaps directories, in priority order:
  x86-64-v4 {v4}
  x86-64-v3 (supported, searched)
  x86-64-v2 (supported, searched)

Legacy HWCAP subdirectories under library search path directories:
  x86_64 (AT_PLATFORM; supported, searched)
"""


@pytest.mark.parametrize(
    ("annotation", "level"),
    [("(supported, searched)", 4), ("", 3), ("(supported, masked)", 4), ("(searched)", 3)],
)
def test_parse_ldso_help(annotation: str, level: int) -> None:
    parsed = parse_ldso_help(LDSO_HELP.format(v4=annotation))
    assert parsed is not None and parsed[0] == level


def test_parse_ldso_help_without_section() -> None:
    assert parse_ldso_help("Usage: ld.so [OPTION]...\n") is None
    text = "Subdirectories of glibc-hwcaps directories, in priority order:\n  x86-64-v4\n"
    assert parse_ldso_help(text) == (1, ["x86-64-v4"])


def test_crosscheck_ldso_lower_level_wins(make_machine: MachineFactory) -> None:
    machine = make_machine(
        {"/proc/cpuinfo": cpuinfo(" ".join(sorted(V4 | {"avx512_vnni", "sha_ni"}))), LDSO_PATH: ""},
        env={CROSSCHECK_ENV: "ldso"},
        commands={
            shlex.join([LDSO_PATH, "--help"]): {
                "returncode": 0,
                "stdout": LDSO_HELP.format(v4=""),
            }
        },
    )
    out = detect(ReplaySystem(machine))
    got = features(out)
    assert got["level"] == ["v3", "v2", "v1"]
    assert "avx512_vnni" not in got and "sha_ni" in got
    assert out.info["level_source"] == "glibc-hwcaps"
    assert any("glibc-hwcaps says v3" in d for d in out.info["disagreements"])


def test_crosscheck_ldso_failing_is_recorded(make_machine: MachineFactory) -> None:
    machine = make_machine(
        {"/proc/cpuinfo": cpuinfo(" ".join(sorted(V3))), LDSO_PATH: ""},
        env={CROSSCHECK_ENV: "all"},
        commands={shlex.join([LDSO_PATH, "--help"]): {"timeout": True}},
    )
    out = detect(ReplaySystem(machine))
    assert level_of(out) == "v3"
    assert out.info["second_sources"]["glibc-hwcaps"]["status"] == f"{LDSO_PATH}: timed out"
    assert "not recorded" in out.info["second_sources"]["cpuid"]["status"]


def test_crosscheck_with_an_empty_cpuid_answer_changes_nothing(
    make_machine: MachineFactory,
) -> None:
    machine = make_machine(
        {"/proc/cpuinfo": cpuinfo(" ".join(sorted(V3 | {"sha_ni"})))},
        env={CROSSCHECK_ENV: "cpuid"},
        native={"cpuid": {"answer": {"rows": [], "xcr0": None}}},
    )
    out = detect(ReplaySystem(machine))
    assert features(out)["level"][0] == "v3" and "sha_ni" in features(out)
    assert "baseline" in out.info["second_sources"]["cpuid"]["status"]


def test_crosscheck_unknown_value_is_a_note(make_machine: MachineFactory) -> None:
    machine = make_machine(
        {"/proc/cpuinfo": cpuinfo(" ".join(sorted(V3)))}, env={CROSSCHECK_ENV: "x"}
    )
    out = detect(ReplaySystem(machine))
    assert level_of(out) == "v3"
    assert CROSSCHECK_ENV in out.info["notes"][0]


def test_crosscheck_default_runs_no_command() -> None:
    system = FakeSystem(
        Path(__file__).resolve().parents[2] / "fixtures" / "machines" / "cpu-zen5-vm"
    )
    out = detect(system)
    assert level_of(out) == "v4"
    assert system.asked("run") == [] and system.asked("native") == []


# -- CPUID decoding -------------------------------------------------------------------------------


def _rows(ecx1: int, edx1: int, ebx7: int = 0, ecx_ext: int = 0) -> List[List[int]]:
    return [
        [0, 0, 7, 0x756E6547, 0x6C65746E, 0x49656E69],
        [1, 0, 0, 0, ecx1, edx1],
        [7, 0, 0, ebx7, 0, 0],
        [0x80000000, 0, 0x80000001, 0, 0, 0],
        [0x80000001, 0, 0, 0, ecx_ext, 0],
    ]


BASE_EDX = sum(1 << b for b in (0, 8, 15, 23, 24, 25, 26))
V2_ECX = sum(1 << b for b in (0, 9, 13, 19, 20, 23))
V3_ECX = V2_ECX | sum(1 << b for b in (12, 22, 26, 27, 28, 29))
V3_EBX7 = sum(1 << b for b in (3, 5, 8))
V4_EBX7 = V3_EBX7 | sum(1 << b for b in (16, 17, 28, 30, 31))


def test_decode_cpuid_levels_and_vendor() -> None:
    view = decode_cpuid({"rows": _rows(V3_ECX, BASE_EDX, V4_EBX7, 0b100001), "xcr0": 0xE7})
    assert view.vendor == "GenuineIntel"
    assert level_from_flags(view.usable) == 4


def test_decode_cpuid_xcr0_without_zmm() -> None:
    view = decode_cpuid({"rows": _rows(V3_ECX, BASE_EDX, V4_EBX7, 0b100001), "xcr0": 0x7})
    assert "avx512f" in view.raw and "avx512f" not in view.usable
    assert level_from_flags(view.usable) == 3


def test_decode_cpuid_without_osxsave() -> None:
    view = decode_cpuid(
        {"rows": _rows(V3_ECX & ~(1 << 27), BASE_EDX, V4_EBX7, 0b100001), "xcr0": None}
    )
    assert "avx" not in view.usable and "xsave" not in view.usable
    assert level_from_flags(view.usable) == 2


def test_decode_cpuid_ignores_leaves_above_max() -> None:
    rows = _rows(V3_ECX, BASE_EDX, V4_EBX7, 0b100001)
    rows[0][2] = 1  # max basic leaf 1: leaf 7 must not count
    view = decode_cpuid({"rows": rows, "xcr0": 0xE7})
    assert "avx2" not in view.raw


@given(st.lists(st.lists(st.integers(-(2**40), 2**40), max_size=7), max_size=12), st.integers())
def test_decode_cpuid_never_crashes(rows: List[List[int]], xcr0: int) -> None:
    view = decode_cpuid({"rows": rows, "xcr0": xcr0})
    assert view.usable <= view.raw | {"xsave"}


def test_parse_cpuid_csv_skips_junk() -> None:
    assert parse_cpuid_csv("1, 0, 2, 3, 4, 5\nnope\n1,2\n0x7, 0, 1, 2, 3, 4\n") == [
        [1, 0, 2, 3, 4, 5],
        [7, 0, 1, 2, 3, 4],
    ]


# -- macOS and Windows ---------------------------------------------------------------------------


def test_darwin_sysctl_missing(make_machine: MachineFactory) -> None:
    out = detect(ReplaySystem(make_machine(platform={"system": "Darwin", "machine": "x86_64"})))
    assert out.status == "not-detected"
    assert "sysctl: not found" in out.reason


def test_darwin_sysctl_hangs(make_machine: MachineFactory) -> None:
    key = shlex.join(["sysctl", *SYSCTL_NAMES])
    machine = make_machine(
        platform={"system": "Darwin", "machine": "x86_64"}, commands={key: {"timeout": True}}
    )
    assert detect(ReplaySystem(machine)).status == "timeout"


def test_darwin_sysctl_hang_under_the_detection_deadline_names_the_limit(
    make_machine: MachineFactory,
) -> None:
    key = shlex.join(["sysctl", *SYSCTL_NAMES])
    machine = make_machine(
        platform={"system": "Darwin", "machine": "x86_64"}, commands={key: {"timeout": True}}
    )
    detection = Host(entry_points=False).detect(ReplaySystem(machine), only=["x86_64"], timeout=2)
    result = detection["x86_64"]
    assert result.status == "timeout"
    assert "sysctl: timed out, no answer within the 2 s time limit of this detection" in (
        result.reason
    )


def test_darwin_os_state_keys_lower_the_level(make_machine: MachineFactory) -> None:
    text = (
        "machdep.cpu.brand_string: Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz\n"
        "machdep.cpu.features: FPU CX8 CMOV MMX FXSR SSE SSE2 SSE3 SSSE3 FMA CX16 SSE4.1 SSE4.2 "
        "MOVBE POPCNT XSAVE OSXSAVE AVX1.0 F16C\n"
        "machdep.cpu.leaf7_features: BMI1 AVX2 BMI2\n"
        "machdep.cpu.extfeatures: SYSCALL EM64T LAHF LZCNT\n"
    )
    key = shlex.join(["sysctl", *SYSCTL_NAMES])
    mac = {"system": "Darwin", "machine": "x86_64"}
    out = detect(ReplaySystem(make_machine(platform=mac, commands={key: {"stdout": text}})))
    assert level_of(out) == "v3"
    text += "hw.optional.avx2_0: 0\n"
    out = detect(ReplaySystem(make_machine(platform=mac, commands={key: {"stdout": text}})))
    assert level_of(out) == "v2"


WIN = {"system": "Windows", "machine": "AMD64"}


def test_windows_cpuid_pf_answers_are_honoured(make_machine: MachineFactory) -> None:
    answer = {
        "rows": _rows(V3_ECX, BASE_EDX, V4_EBX7, 0b100001),
        "xcr0": None,
        "pf": {"avx512f": False, "avx2": True},
    }
    out = detect(ReplaySystem(make_machine(platform=WIN, native={"cpuid": {"answer": answer}})))
    assert level_of(out) == "v3"


def test_windows_falls_back_to_py_cpuinfo(make_machine: MachineFactory) -> None:
    flags = ["sse3", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16", "lahf", "sse", "sse2"]
    flags += ["mmx", "fxsr", "cmov", "cx8", "fpu", "avx512vnni"]
    machine = make_machine(
        platform=WIN,
        native={
            "cpuid": {"answer": {"error": "no executable memory: VirtualAlloc failed (5)"}},
            "py-cpuinfo": {
                "answer": {"brand": "Intel Xeon", "vendor": "GenuineIntel", "flags": flags}
            },
        },
    )
    out = detect(ReplaySystem(machine))
    assert level_of(out) == "v2"
    assert "VirtualAlloc" in out.info["fallback"]
    assert out.info["level_source"] == "py-cpuinfo"
    assert "avx512_vnni" in features(out)


@pytest.mark.parametrize(
    ("native", "status"),
    [
        ({"cpuid": {"error": "child crashed"}, "py-cpuinfo": {"timeout": True}}, "timeout"),
        ({"cpuid": {"error": "child crashed"}}, "not-detected"),
        (
            {"cpuid": {"error": "x"}, "py-cpuinfo": {"answer": {"error": "not installed"}}},
            "not-detected",
        ),
    ],
)
def test_windows_failures(
    make_machine: MachineFactory, native: Dict[str, Any], status: str
) -> None:
    out = detect(ReplaySystem(make_machine(platform=WIN, native=native)))
    assert out.status == status
    assert out.reason


def test_other_arch_and_os(make_machine: MachineFactory) -> None:
    arm = make_machine(platform={"system": "Linux", "machine": "aarch64"})
    out = detect(ReplaySystem(arm))
    assert not out.features and "not an x86-64" in out.reason
    bsd = make_machine(platform={"system": "FreeBSD", "machine": "amd64"})
    assert "FreeBSD" in detect(ReplaySystem(bsd)).reason


# -- overrides ---------------------------------------------------------------------------------
# The project's own VARIANT_PROVIDERS_X86_64_FORCE_LEVEL / _FORCE_EXTENSIONS are gone:
# VARIANT_PROVIDERS_OVERRIDE says the same for every namespace.


def host_row(machine: Path) -> ProviderResult:
    """The ``x86_64`` row of a host detection: overrides applied, as users see them."""
    host = Host(entry_points=False)
    return host.detect(ReplaySystem(machine), only=["x86_64"], cache=False)["x86_64"]


def test_override_sets_the_level_and_the_extensions(make_machine: MachineFactory) -> None:
    items = "x86_64 :: level :: v3, v2, v1; x86_64 :: avx_vnni :: on; x86_64 :: sha_ni :: on"
    result = host_row(make_machine(env={OVERRIDE_VAR: items}))
    assert result.status == "override"
    got = {f.name: list(f.values) for f in result.features}
    assert got["level"] == ["v3", "v2", "v1"]
    assert got["avx_vnni"] == ["on"] and got["sha_ni"] == ["on"]
    assert result.provenance["level"] == f"override:{OVERRIDE_VAR}"


def test_override_forces_an_extension_absent(make_machine: MachineFactory) -> None:
    result = host_row(make_machine(env={OVERRIDE_VAR: "x86_64 :: avx2 ::"}))
    assert "avx2" not in {f.name for f in result.features}
    assert result.provenance["avx2"] == f"override:{OVERRIDE_VAR}"


def test_a_bad_override_value_is_a_usage_error(make_machine: MachineFactory) -> None:
    with pytest.raises(InvalidOverride, match="x86_64"):
        host_row(make_machine(env={OVERRIDE_VAR: "x86_64 :: level :: V3!"}))


def test_the_removed_force_variables_change_nothing(make_machine: MachineFactory) -> None:
    plain = host_row(make_machine())
    env = {
        "VARIANT_PROVIDERS_X86_64_FORCE_LEVEL": "v1",
        "VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS": "sha_ni",
    }
    forced = host_row(make_machine(env=env))
    assert forced.status == plain.status
    assert forced.features == plain.features


# -- hypothesis ----------------------------------------------------------------------------------

KNOWN = sorted(V4 | {"pni", "sha_ni", "avx512_vnni", "avx_vnni", "amx_tile", "sse4a", "abm"})
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=12)
TOKENS = st.one_of(st.sampled_from(KNOWN), WORD)


def flags_system(text: str) -> FakeSystem:
    """A machine with a cpuinfo text and nothing else."""
    return FakeSystem(files={"/proc/cpuinfo": text})


@settings(max_examples=200, deadline=None)
@given(st.lists(TOKENS, max_size=40))
def test_random_flag_sets_never_crash(tokens: List[str]) -> None:
    out = detect_linux(flags_system("processor : 0\nflags : " + " ".join(tokens) + "\n"))
    assert isinstance(out, ProviderOutput)
    if out.features:
        assert out.features[0].name == "level"
        assert int(out.features[0].values[0][1]) == level_from_flags(set(tokens))
    else:
        assert level_from_flags(set(tokens)) is None and out.reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_cpuinfo_text_never_crashes(text: str) -> None:
    out = detect_linux(flags_system(text))
    assert isinstance(out, ProviderOutput)
    assert out.features or out.reason


@settings(max_examples=300, deadline=None)
@given(st.sets(st.sampled_from(KNOWN)), st.sets(st.sampled_from(KNOWN)))
def test_level_is_monotone_in_the_flag_set(a: set[str], b: set[str]) -> None:
    assert (level_from_flags(a) or 0) <= (level_from_flags(a | b) or 0)
    got_a = features(detect_linux(flags_system(cpuinfo(" ".join(sorted(a))) if a else "")))
    got_ab = features(detect_linux(flags_system(cpuinfo(" ".join(sorted(a | b))))))
    la = int(got_a["level"][0][1]) if got_a else 0
    lab = int(got_ab["level"][0][1]) if got_ab else 0
    assert la <= lab
    assert set(got_a) <= set(got_ab)


# -- the live machine ----------------------------------------------------------------------------

LIVE = LiveSystem()
ON_LINUX_X86 = LIVE.platform.is_linux and LIVE.platform.arch == "x86_64"


@pytest.mark.skipif(not ON_LINUX_X86, reason="needs a Linux x86-64 machine")
def test_live_detection_agrees_with_glibc_and_cpuid() -> None:
    fast = detect(LIVE)
    assert fast.status in (None, "ok"), fast.reason
    full = detect_linux(LIVE, {"ldso", "cpuid"})
    # The fast path and the full cross-check agree on this machine, or the
    # cross-check explains itself.
    if level_of(fast) != level_of(full):
        assert full.info.get("disagreements")
    cpuid = full.info["second_sources"]["cpuid"]
    assert cpuid.get("level") or cpuid.get("status")
