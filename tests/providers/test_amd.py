"""The AMD ROCm provider: fixtures, force variables, fallbacks, parsers.

Expected values come from the research notes (gpu.md §2 and §6.4,
wheel-variants.md §10), not from the provider's own output.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variant_providers.host import Host, ProviderResult
from variant_providers.model import FeatureConfig
from variant_providers.overrides import InvalidOverride
from variant_providers.provider import ProviderOutput
from variant_providers.providers.amd.detect import detect
from variant_providers.providers.amd.gpuinfo import PYAMDGPUINFO_FACADE
from variant_providers.providers.amd.kfd import (
    decode_gfx_target_version,
    decode_override,
    parse_properties,
    pci_address,
)
from variant_providers.providers.amd.plugin import all_configs
from variant_providers.providers.amd.rocm import parse_version_file, parse_version_header
from variant_providers.providers.amd.rocminfo import parse_agent_enumerator, parse_rocminfo
from variant_providers.providers.amd.vocab import (
    FORCE_GFX_ARCH,
    FORCE_ROCM_VERSION,
    ForceError,
    order_targets,
    parse_forced_gfx,
    parse_forced_rocm,
)
from variant_providers.replay import ReplaySystem
from variant_providers.system import (
    CommandResult,
    LiveSystem,
    NativeError,
    NativeTimeout,
    NativeUnavailable,
)
from variant_providers.testing import FakeSystem, check_detection

REPO = Path(__file__).resolve().parents[2]
MACHINES = REPO / "fixtures" / "machines"
SHARED = REPO.parent / "shared"
NODES = "/sys/class/kfd/kfd/topology/nodes"


# -- a small in-memory machine that counts what detection asks ----------------------------


def fake(
    files: Optional[Mapping[str, str]] = None,
    *,
    env: Optional[Mapping[str, str]] = None,
    errors: Optional[Mapping[str, str]] = None,
    commands: Optional[Mapping[str, CommandResult]] = None,
    native: Optional[Mapping[str, Any]] = None,
    links: Optional[Mapping[str, str]] = None,
    system: str = "Linux",
) -> FakeSystem:
    """The shared FakeSystem, written in this file's shorthand.

    Commands are given as the results they return and native facades as their
    answers, or as the exception they raise.
    """
    return FakeSystem(
        files=files or {},
        env=env or {},
        errors=errors or {},
        links=links or {},
        commands={key: _command_entry(result) for key, result in (commands or {}).items()},
        native={name: _native_entry(answer) for name, answer in (native or {}).items()},
        platform={"system": system, "machine": "x86_64", "release": "6.8.0"},
    )


def _command_entry(result: CommandResult) -> Dict[str, Any]:
    if result.timed_out:
        return {"timeout": True}
    if result.error:
        return {"error": result.error}
    return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}


def _native_entry(answer: Any) -> Dict[str, Any]:
    if isinstance(answer, NativeTimeout):
        return {"timeout": True}
    if isinstance(answer, NativeUnavailable):
        return {"unavailable": str(answer)}
    if isinstance(answer, NativeError):
        return {"error": str(answer)}
    return {"answer": answer}


def gpu_props(
    gfx_target_version: int,
    *,
    simd: int = 192,
    simd_per_cu: int = 2,
    location_id: int = 0x0300,
    unique_id: int = 12345,
    device_id: int = 0x744C,
    domain: int = 0,
) -> str:
    return (
        "cpu_cores_count 0\n"
        f"simd_count {simd}\n"
        f"simd_per_cu {simd_per_cu}\n"
        f"gfx_target_version {gfx_target_version}\n"
        "vendor_id 4098\n"
        f"device_id {device_id}\n"
        f"location_id {location_id}\n"
        f"domain {domain}\n"
        "drm_render_minor 128\n"
        f"unique_id {unique_id}\n"
        "num_xcc 1\n"
    )


CPU_PROPS = "cpu_cores_count 16\nsimd_count 0\ngfx_target_version 0\nvendor_id 0\n"


def replay(name: str) -> ReplaySystem:
    return ReplaySystem(MACHINES / name)


def features_of(out: ProviderOutput) -> Dict[str, List[str]]:
    return {f.name: list(f.values) for f in out.features}


# -- every AMD fixture -------------------------------------------------------------------------


def test_mi300x_cpx_counts_physical_gpus_and_reports_rocm_72() -> None:
    system = FakeSystem(MACHINES / "amd-mi300x-x8-cpx-rocm72")
    out = detect(system)
    assert out.status is None
    assert features_of(out) == {"gfx_arch": ["gfx942"], "rocm_version": ["7.2"]}
    assert [f.multi_value for f in out.features] == [True, False]
    # CPX: 64 KFD GPU nodes, 8 physical GPUs of 8 partitions each (k8s-device-plugin#184).
    assert out.info["kfd_gpu_nodes"] == 64
    assert out.info["gpu_count"] == 8
    devices = out.info["devices"]
    assert [d["partitions"] for d in devices] == [8] * 8
    # An MI300X has 304 compute units, split 38 per CPX partition.
    assert {d["compute_units"] for d in devices} == {304}
    assert {d["device_id"] for d in devices} == {"0x74a1"}
    assert len({d["pci"] for d in devices}) == 8
    assert devices[0]["drm"] == ["card1", "renderD128"]
    assert out.info["amdgpu_version"] == "6.16.13"
    assert out.info["rocm"]["version"] == "7.2.0"
    # The fast path: file reads only.
    assert system.asked("run") == [] and system.asked("native") == []


def test_mi210_decodes_90010_as_gfx90a() -> None:
    out = detect(replay("amd-mi210-rocm62"))
    assert features_of(out) == {"gfx_arch": ["gfx90a"], "rocm_version": ["6.2"]}
    assert out.info["devices"][0]["gfx_target_version"] == 90010
    assert out.info["devices"][0]["device_id"] == "0x740f"
    assert out.info["rocm"]["found_by"] == "ROCM_PATH"


def test_rx7900xtx_in_tree_driver_without_rocm_reports_gfx_only() -> None:
    out = detect(replay("amd-rx7900xtx-intree-no-rocm"))
    assert out.status is None
    assert features_of(out) == {"gfx_arch": ["gfx1100"]}
    assert out.info["amdgpu_version"] is None  # in-tree driver: no version file
    assert out.info["rocm"] is None
    device = out.info["devices"][0]
    assert device["device_id"] == "0x744c"  # 29772
    assert device["compute_units"] == 96  # simd_count 192 / simd_per_cu 2
    assert device["pci"] == "0000:86:00.0"  # location_id 34304 = 0x8600


def test_mi350x_reads_rocm_version_from_the_header() -> None:
    out = detect(replay("amd-mi350x-x8-dpx"))
    assert features_of(out) == {"gfx_arch": ["gfx950"], "rocm_version": ["7.0"]}
    assert out.info["gpu_count"] == 8
    assert out.info["kfd_gpu_nodes"] == 16
    assert out.info["source"]["rocm_version"].endswith("rocm-core/rocm_version.h")
    assert out.info["rocm"]["version"] == "7.0.2"


def test_strix_halo_and_r9700_hardware_targets_despite_stale_override() -> None:
    out = detect(replay("amd-strix-halo-r9700-hsa-override"))
    # Discrete R9700 (gfx1201) before the integrated Radeon 8060S (gfx1151);
    # the stale HSA_OVERRIDE_GFX_VERSION=12.0.1 does not turn gfx1151 into gfx1201.
    assert features_of(out) == {"gfx_arch": ["gfx1201", "gfx1151"], "rocm_version": ["7.1"]}
    assert out.info["hsa_override_gfx_version"] == {"value": "12.0.1", "gfx": "gfx1201"}
    assert out.info["effective_gfx"] == "gfx1201"
    assert any("HSA_OVERRIDE_GFX_VERSION" in n for n in out.info["notes"])
    integrated = {d["gfx"]: d["integrated"] for d in out.info["devices"]}
    assert integrated == {"gfx1151": True, "gfx1201": False}


def test_container_with_masked_nodes_and_unusable_kfd_never_runs_rocminfo() -> None:
    system = FakeSystem(MACHINES / "amd-mi300x-container-kfd-unusable")
    out = detect(system)
    assert features_of(out) == {"gfx_arch": ["gfx942"], "rocm_version": ["6.2"]}
    assert out.info["masked_kfd_nodes"] == [3, 4, 5, 6, 7, 8, 9]
    assert out.info["gpu_count"] == 1
    assert out.info["devices"][0]["compute_units"] == 304
    assert system.asked("run") == []


def test_wsl_falls_back_to_rocminfo_agent_names() -> None:
    system = FakeSystem(MACHINES / "amd-wsl-rx7900xtx-rocminfo")
    out = detect(system)
    assert features_of(out) == {"gfx_arch": ["gfx1100"], "rocm_version": ["6.4"]}
    assert out.info["source"]["gfx_arch"] == "rocminfo"
    assert out.info["devices"][0]["name"] == "AMD Radeon RX 7900 XTX"
    assert system.asked("run") == ["/opt/rocm/bin/rocminfo"]


def test_machine_without_amd_gpu_is_not_detected_cheaply() -> None:
    system = FakeSystem(MACHINES / "amd-none-cpu-vm")
    out = detect(system)
    assert out.features == ()
    assert out.status is None
    assert "no KFD topology" in out.reason
    assert system.asked("run") == [] and system.asked("native") == []


def test_no_amd_gpu_costs_a_handful_of_file_checks() -> None:
    system = fake({"/proc/cpuinfo": "processor : 0\n"})
    out = detect(system)
    assert out.features == ()
    file_calls = [(c.kind, c.what) for c in system.calls if c.kind != "getenv"]
    assert file_calls == [
        ("listdir", NODES),
        ("exists", "/dev/kfd"),
        ("exists", "/sys/module/amdgpu"),
        ("exists", "/dev/dxg"),
    ]


@pytest.mark.parametrize(
    "machine", sorted(p.parent for p in MACHINES.glob("*/machine.json")), ids=lambda m: m.name
)
def test_fixture_expected_block_matches_the_host(machine: Path) -> None:
    """Machines without an amd block (other vendors') must be not-detected."""
    detection = Host(entry_points=False).detect(ReplaySystem(machine), only=["amd"])
    assert detection.namespaces == ["amd"]
    check_detection(detection, machine)


# -- force variables ---------------------------------------------------------------------------


def forced(system: Any) -> ProviderResult:
    """The ``amd`` row of a host detection: the force variables applied, as users see them."""
    return Host(entry_points=False).detect(system, only=["amd"], cache=False)["amd"]


def forced_features(result: ProviderResult) -> Dict[str, List[str]]:
    return {f.name: list(f.values) for f in result.features}


def test_force_variables_reproduce_the_verified_example() -> None:
    # wheel-variants.md §10: FORCE_GFX_ARCH=gfx942,gfx90a, FORCE_ROCM_VERSION=6.4.1
    # → gfx_arch=[gfx942, gfx90a], rocm_version=[6.4]
    system = fake(env={FORCE_GFX_ARCH: "gfx942,gfx90a", FORCE_ROCM_VERSION: "6.4.1"})
    result = forced(system)
    assert result.status == "override"
    assert forced_features(result) == {"gfx_arch": ["gfx942", "gfx90a"], "rocm_version": ["6.4"]}
    assert result.provenance == {
        "gfx_arch": f"override:{FORCE_GFX_ARCH}",
        "rocm_version": f"override:{FORCE_ROCM_VERSION}",
    }
    # Every feature is forced: the machine is not looked at at all.
    assert [c for c in system.calls if c.kind != "getenv"] == []


@pytest.mark.parametrize(
    ("raw", "values"),
    [
        ("gfx1100", ["gfx1100"]),
        ("gfx942, gfx90a", ["gfx942", "gfx90a"]),
        ("gfx90a;gfx942", ["gfx90a", "gfx942"]),
        ("  gfx1201 \t gfx1151  ", ["gfx1201", "gfx1151"]),
        (",gfx1100,,", ["gfx1100"]),
        ("gfx1100,gfx1100", ["gfx1100"]),  # a value may appear once in a feature
        (" ", []),
    ],
)
def test_forced_gfx_splits_like_the_existing_provider(raw: str, values: List[str]) -> None:
    assert parse_forced_gfx(raw) == values


@pytest.mark.parametrize(
    ("raw", "value"),
    [("6.4.1", "6.4"), ("7.0.0", "7.0"), ("6.4.1-120", "6.4"), ("6.4", "6.4"), ("7.10.0", "7.10")],
)
def test_forced_rocm_is_major_minor(raw: str, value: str) -> None:
    assert parse_forced_rocm(raw) == value


@pytest.mark.parametrize("raw", ["6", "rocm6.4", "6.x.1", "6.4.1.2", " ", "99999.1.0", "6..1"])
def test_forced_rocm_garbage_is_rejected(raw: str) -> None:
    with pytest.raises(ForceError):
        parse_forced_rocm(raw)


def test_bad_force_value_is_an_error_not_a_traceback() -> None:
    with pytest.raises(InvalidOverride, match=FORCE_GFX_ARCH):
        forced(fake(env={FORCE_GFX_ARCH: "GFX90A"}))
    with pytest.raises(InvalidOverride, match=FORCE_ROCM_VERSION):
        forced(fake(env={FORCE_ROCM_VERSION: "latest"}))


def test_empty_force_variable_means_detect() -> None:
    result = forced(fake(env={FORCE_GFX_ARCH: "", FORCE_ROCM_VERSION: ""}))
    assert result.status == "not-detected" and result.features == ()


def test_forced_gfx_naming_no_target_forces_the_feature_absent() -> None:
    result = forced(fake({f"{NODES}/1/properties": gpu_props(110000)}, env={FORCE_GFX_ARCH: ","}))
    assert result.features == ()
    assert result.provenance["gfx_arch"] == f"override:{FORCE_GFX_ARCH}"


def test_forced_gfx_keeps_the_rocm_version_detected_with_a_gpu() -> None:
    files = {
        f"{NODES}/1/properties": gpu_props(110000),
        "/opt/rocm/.info/version": "6.3.4-71\n",
    }
    result = forced(fake(files, env={FORCE_GFX_ARCH: "gfx942"}))
    assert result.status == "override"
    assert forced_features(result) == {"gfx_arch": ["gfx942"], "rocm_version": ["6.3"]}
    assert result.provenance["rocm_version"] == "probe:/opt/rocm/.info/version"


def test_forced_rocm_alone_with_detected_gpu() -> None:
    files = {f"{NODES}/0/properties": CPU_PROPS, f"{NODES}/1/properties": gpu_props(90010)}
    result = forced(fake(files, env={FORCE_ROCM_VERSION: "7.0.0"}))
    assert result.status == "override"
    assert forced_features(result) == {"gfx_arch": ["gfx90a"], "rocm_version": ["7.0"]}
    assert result.provenance == {
        "gfx_arch": "probe:kfd-sysfs",
        "rocm_version": f"override:{FORCE_ROCM_VERSION}",
    }


def test_forced_rocm_alone_without_gpu() -> None:
    result = forced(fake(env={FORCE_ROCM_VERSION: "6.4.1"}))
    assert result.status == "override"
    assert forced_features(result) == {"rocm_version": ["6.4"]}


def test_force_variables_work_off_linux() -> None:
    result = forced(fake(env={FORCE_GFX_ARCH: "gfx1201"}, system="Windows"))
    assert result.status == "override" and forced_features(result) == {"gfx_arch": ["gfx1201"]}


# -- KFD sysfs edge cases ------------------------------------------------------------------


def test_nodes_are_sorted_numerically_and_cpu_nodes_skipped() -> None:
    files = {
        f"{NODES}/0/properties": CPU_PROPS,
        f"{NODES}/10/properties": gpu_props(110000, location_id=0x0A00, unique_id=2),
        f"{NODES}/2/properties": gpu_props(90402, location_id=0x0200, unique_id=1),
        f"{NODES}/1/properties": CPU_PROPS,
    }
    out = detect(fake(files))
    assert features_of(out)["gfx_arch"] == ["gfx942", "gfx1100"]
    assert [d["kfd_nodes"] for d in out.info["devices"]] == [[2], [10]]


def test_all_gpu_nodes_masked_is_not_detected_with_reason() -> None:
    files = {f"{NODES}/0/properties": CPU_PROPS}
    errors = {f"{NODES}/1/properties": "EPERM", f"{NODES}/2/properties": "EACCES"}
    system = fake(files, errors=errors)
    out = detect(system)
    assert out.features == ()
    assert "masked" in out.reason
    assert out.info["masked_kfd_nodes"] == [1, 2]
    assert system.asked("run") == []


def test_cpu_only_topology_is_not_detected_without_commands() -> None:
    system = fake({f"{NODES}/0/properties": CPU_PROPS, "/dev/kfd": ""})
    out = detect(system)
    assert out.features == () and "no GPU" in out.reason
    assert system.asked("run") == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\xff garbage",
        "gfx_target_version 91700\nsimd_count 4\n",  # minor 17: not one hex digit
        "gfx_target_version " + "9" * 50 + "\nsimd_count 4\n",
        "gfx_target_version 110000\n",  # truncated before simd_count
        "simd_count 4\ngfx_target_version -90010\n",
    ],
)
def test_garbage_properties_are_not_a_gpu(text: str) -> None:
    out = detect(fake({f"{NODES}/1/properties": text}))
    assert out.features == ()
    assert out.status is None


def test_partitions_are_grouped_but_distinct_gpus_are_not() -> None:
    same = {"location_id": 0x0500, "unique_id": 77}
    files = {
        f"{NODES}/1/properties": gpu_props(90402, simd=152, simd_per_cu=4, **same),
        f"{NODES}/2/properties": gpu_props(90402, simd=152, simd_per_cu=4, **same),
        f"{NODES}/3/properties": gpu_props(90402, location_id=0x2600, unique_id=78),
        # No location and no unique id: cannot be grouped, each node is its own GPU.
        f"{NODES}/4/properties": gpu_props(110000, location_id=0, unique_id=0),
        f"{NODES}/5/properties": gpu_props(110000, location_id=0, unique_id=0),
    }
    out = detect(fake(files))
    assert out.info["gpu_count"] == 4
    assert [d["partitions"] for d in out.info["devices"]] == [2, 1, 1, 1]
    assert out.info["devices"][0]["compute_units"] == 76


def test_missing_vram_asks_pyamdgpuinfo_in_a_child_and_merges_it() -> None:
    files = {f"{NODES}/1/properties": gpu_props(110000, location_id=0x0300)}
    answer = {
        "load": {"ok": True, "version": "2.1.8"},
        "gpus": [
            {
                "index": 0,
                "path": "/dev/dri/renderD128",
                "pci_slot": "0000:03:00.0",
                "name": "AMD Radeon RX 7900 XTX",
                "vram_size": 25753026560,
            }
        ],
    }
    system = fake(files, native={"pyamdgpuinfo": answer})
    out = detect(system)
    assert features_of(out) == {"gfx_arch": ["gfx1100"]}
    assert out.info["pyamdgpuinfo"] == "used"
    assert out.info["devices"][0]["name"] == "AMD Radeon RX 7900 XTX"
    assert out.info["devices"][0]["vram_bytes"] == 25753026560


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (NativeTimeout("pyamdgpuinfo: no answer"), "timeout"),
        (None, "unavailable"),
        ({"load": {"ok": False, "error": "ModuleNotFoundError"}}, "not installed"),
        ({"load": {"ok": True}, "gpus": [], "no_data": "FileNotFoundError: /dev/dri/"}, "no data"),
        ("garbage", "malformed"),
    ],
)
def test_pyamdgpuinfo_failures_never_change_the_features(answer: Any, said: str) -> None:
    files = {f"{NODES}/1/properties": gpu_props(110000)}
    native = {"pyamdgpuinfo": answer} if answer is not None else {}
    out = detect(fake(files, native=native))
    assert features_of(out) == {"gfx_arch": ["gfx1100"]}
    assert out.info["pyamdgpuinfo"].startswith(said)


def test_override_garbage_is_reported_not_applied() -> None:
    files = {f"{NODES}/1/properties": gpu_props(110000)}
    out = detect(fake(files, env={"HSA_OVERRIDE_GFX_VERSION": "eleven"}))
    assert features_of(out) == {"gfx_arch": ["gfx1100"]}
    assert out.info["hsa_override_gfx_version"] == {"value": "eleven", "gfx": None}


def test_not_linux_is_not_detected() -> None:
    out = detect(fake(system="Darwin"))
    assert out.features == () and "Darwin" in out.reason


# -- fallback commands ---------------------------------------------------------------------


ROCMINFO_MI210 = """ROCk module version 6.8.5 is loaded
=====================
HSA System Attributes
=====================
*******
Agent 1
*******
  Name:                    AMD EPYC 7543 32-Core Processor
  Uuid:                    CPU-XX
  Marketing Name:          AMD EPYC 7543 32-Core Processor
  Device Type:             CPU
*******
Agent 2
*******
  Name:                    gfx90a
  Uuid:                    GPU-5a8b0c5d6e7f8091
  Marketing Name:          AMD Instinct MI210
  Device Type:             GPU
  Node:                    1
  Chip ID:                 29711(0x740f)
  Compute Unit:            104
  ISA Info:
    ISA 1
      Name:                    amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-
    ISA 2
      Name:                    amdgcn-amd-amdhsa--gfx9-4-generic:sramecc+:xnack-
*** Done ***
"""


def _ran(argv: str, stdout: str = "", returncode: int = 0) -> CommandResult:
    return CommandResult(tuple(argv.split()), returncode=returncode, stdout=stdout)


def test_unreadable_topology_falls_back_to_rocminfo() -> None:
    system = fake(
        {"/dev/kfd": ""},
        errors={NODES: "EACCES"},
        commands={"rocminfo": _ran("rocminfo", ROCMINFO_MI210)},
    )
    out = detect(system)
    assert features_of(out) == {"gfx_arch": ["gfx90a"]}
    assert out.info["source"]["gfx_arch"] == "rocminfo"
    assert out.info["devices"] == [
        {
            "gfx": "gfx90a",
            "agent": 2,
            "name": "AMD Instinct MI210",
            "kfd_node": "1",
            "device_id": "0x740f",
            "compute_units": 104,
        }
    ]
    assert "EACCES" in out.info["fallback_reason"]


def test_rocminfo_failure_then_agent_enumerator_drops_gfx000() -> None:
    system = fake(
        {"/sys/module/amdgpu/initstate": "live\n"},
        commands={
            "rocminfo": _ran("rocminfo", "", returncode=1),
            "rocm_agent_enumerator": _ran("rocm_agent_enumerator", "gfx000\ngfx1030\ngfx1030\n"),
        },
    )
    out = detect(system)
    assert features_of(out) == {"gfx_arch": ["gfx1030"]}
    assert out.info["source"]["gfx_arch"] == "rocm_agent_enumerator"
    assert system.asked("run") == ["rocminfo", "rocm_agent_enumerator"]


def test_commands_found_next_to_the_installed_rocm() -> None:
    system = fake(
        {"/dev/kfd": "", "/opt/rocm/.info/version": "6.2.0-66\n", "/opt/rocm/bin/rocminfo": ""},
        commands={"/opt/rocm/bin/rocminfo": _ran("/opt/rocm/bin/rocminfo", ROCMINFO_MI210)},
    )
    out = detect(system)
    assert features_of(out) == {"gfx_arch": ["gfx90a"], "rocm_version": ["6.2"]}


def test_hanging_commands_give_timeout_status() -> None:
    system = fake(
        {"/dev/kfd": ""},
        commands={
            "rocminfo": CommandResult(("rocminfo",), timed_out=True),
            "rocm_agent_enumerator": CommandResult(("rocm_agent_enumerator",), timed_out=True),
        },
    )
    out = detect(system)
    assert out.status == "timeout" and out.features == ()
    assert "timed out" in out.reason


def test_missing_commands_give_not_detected_with_reason() -> None:
    out = detect(fake({"/dev/kfd": ""}))
    assert out.status == "not-detected" and out.features == ()
    assert "rocminfo: not found" in out.reason


def test_override_is_named_on_the_fallback_path() -> None:
    system = fake(
        {"/dev/kfd": ""},
        env={"HSA_OVERRIDE_GFX_VERSION": "10.3.0"},
        commands={"rocm_agent_enumerator": _ran("rocm_agent_enumerator", "gfx1030\n")},
    )
    out = detect(system)
    assert features_of(out) == {"gfx_arch": ["gfx1030"]}
    assert out.info["effective_gfx"] == "gfx1030"
    assert any("effective" in n for n in out.info["notes"])


# -- parsers -------------------------------------------------------------------------------------


def test_rocminfo_parser_ignores_generic_isas_and_cpu_agents() -> None:
    agents = parse_rocminfo(ROCMINFO_MI210)
    assert [a.gfx for a in agents] == ["gfx90a"]
    # What the existing provider's loose regex would have collected from the same text:
    loose = sorted(set(re.findall(r"\b(gfx\d+[0-9a-f]*)\b", ROCMINFO_MI210)))
    assert "gfx9" in loose  # from gfx9-4-generic: not a device target


def test_rocminfo_parser_survives_garbage() -> None:
    assert parse_rocminfo("") == []
    assert parse_rocminfo("Agent 1\n  Name: gfx\n  Name: gfx1100\n") == []
    assert parse_rocminfo("  Name:   gfx1100\n") == []  # not inside an agent block
    assert [a.gfx for a in parse_rocminfo("Agent 3\n  Name:  gfx942:sramecc+:xnack-\n")] == [
        "gfx942"
    ]


def test_agent_enumerator_parser_takes_whole_lines_only() -> None:
    text = "gfx000\ngfx90a\nwarning: gfx1100 something\ngfx942:sramecc+:xnack-\n\n"
    assert parse_agent_enumerator(text) == ["gfx90a", "gfx942"]


@pytest.mark.parametrize(
    ("value", "gfx"),
    [
        (90000, "gfx900"),
        (90006, "gfx906"),
        (90008, "gfx908"),
        (90010, "gfx90a"),
        (90012, "gfx90c"),
        (90402, "gfx942"),
        (90500, "gfx950"),
        (100300, "gfx1030"),
        (110000, "gfx1100"),
        (110001, "gfx1101"),
        (110002, "gfx1102"),
        (110500, "gfx1150"),
        (110501, "gfx1151"),
        (120000, "gfx1200"),
        (120001, "gfx1201"),
    ],
)
def test_gfx_decode_table(value: int, gfx: str) -> None:
    assert decode_gfx_target_version(value) == gfx


def test_gfx_decode_agrees_with_the_research_table() -> None:
    notes = SHARED / "spec" / "gpu.md"
    if not notes.is_file():
        pytest.skip("research notes not available")
    rows = re.findall(r"^\| (\d{5,6}) \| \**(gfx[0-9a-f]+)\** \|", notes.read_text("utf-8"), re.M)
    assert len(rows) >= 8
    for value, gfx in rows:
        assert decode_gfx_target_version(int(value)) == gfx


@pytest.mark.parametrize("value", [0, -1, 9999, 91700, 90016, 1000000, 10**30])
def test_gfx_decode_rejects_non_targets(value: int) -> None:
    assert decode_gfx_target_version(value) is None


def test_override_decoding() -> None:
    assert decode_override("11.0.0") == "gfx1100"
    assert decode_override("12.0.1") == "gfx1201"
    assert decode_override("9.0.10") == "gfx90a"
    assert decode_override("10.3.0") == "gfx1030"
    assert decode_override("11.0") is None
    assert decode_override("9.0.16") is None


def test_pci_address_from_location_id() -> None:
    assert pci_address(0, 34304) == "0000:86:00.0"
    assert pci_address(1, (0x41 << 8) | (2 << 3) | 1) == "0001:41:02.1"


def test_version_files() -> None:
    assert parse_version_file("6.2.0-66\n") == (6, 2, 0)
    assert parse_version_file("7.14.0\n") == (7, 14, 0)
    assert parse_version_file("\n\n6.4\n") == (6, 4, None)
    assert parse_version_file("6.") is None
    assert parse_version_file("rocm 6.2") is None
    assert parse_version_file("9" * 5000 + ".1") is None
    header = (
        "#define ROCM_VERSION_MAJOR 7\n#define ROCM_VERSION_MINOR 0\n"
        '#define ROCM_VERSION_PATCH 2\n#define ROCM_BUILD_INFO "7.0.2-56"\n'
    )
    assert parse_version_header(header) == (7, 0, 2)
    assert parse_version_header("#define ROCM_VERSION_MAJOR 7\n") is None


def test_rocm_root_order_env_then_default() -> None:
    files = {
        "/opt/rocm/.info/version": "7.0.0\n",
        "/opt/rocm-6.4.1/.info/version": "6.4.1-83\n",
        f"{NODES}/1/properties": gpu_props(110000),
    }
    out = detect(fake(files, env={"ROCM_HOME": "/opt/rocm-6.4.1"}))
    assert features_of(out)["rocm_version"] == ["6.4"]
    # ROCM_PATH pointing at a directory without version files: next candidate.
    out = detect(fake(files, env={"ROCM_PATH": "/nowhere"}))
    assert features_of(out)["rocm_version"] == ["7.0"]


def test_rocm_root_from_hipcc_on_path_follows_symlinks() -> None:
    files = {
        f"{NODES}/1/properties": gpu_props(110000),
        "/opt/rocm-6.1.3/.info/version": "6.1.3-122\n",
        "/opt/rocm-6.1.3/hip/bin/hipcc": "",
        "/opt/rocm/.info/version": "7.0.0\n",
    }
    links = {"/usr/local/bin/hipcc": "../../../opt/rocm-6.1.3/hip/bin/hipcc"}
    system = fake(files, env={"PATH": "/usr/bin:/usr/local/bin"}, links=links)
    out = detect(system)
    assert features_of(out)["rocm_version"] == ["6.1"]
    assert out.info["rocm"]["root"] == "/opt/rocm-6.1.3"
    assert out.info["rocm"]["found_by"] == "hipcc on PATH"


def test_rocm_lookup_stops_at_the_first_root_with_a_version() -> None:
    files = {f"{NODES}/1/properties": gpu_props(110000), "/srv/rocm/.info/version": "6.4.0\n"}
    system = fake(files, env={"ROCM_PATH": "/srv/rocm"})
    assert features_of(detect(system))["rocm_version"] == ["6.4"]
    assert "/opt" not in system.asked("listdir")
    assert not any(path.endswith("hipcc") for path in system.asked("exists"))


def test_single_versioned_rocm_dir_is_used_but_several_are_ambiguous() -> None:
    gpu = {f"{NODES}/1/properties": gpu_props(110000)}
    one = {**gpu, "/opt/rocm-6.3.2/.info/version": "6.3.2\n"}
    assert features_of(detect(fake(one)))["rocm_version"] == ["6.3"]
    two = {**one, "/opt/rocm-6.4.0/.info/version": "6.4.0\n"}
    assert "rocm_version" not in features_of(detect(fake(two)))


def test_garbage_version_file_means_no_rocm_version() -> None:
    files = {
        f"{NODES}/1/properties": gpu_props(110000),
        "/opt/rocm/.info/version": "\x00\x01garbage",
    }
    out = detect(fake(files))
    assert features_of(out) == {"gfx_arch": ["gfx1100"]}
    assert out.info["rocm"] is None


def test_order_targets_discrete_first_then_enumeration_order() -> None:
    pairs = [("gfx1151", True), ("gfx1100", False), ("gfx90a", False), ("gfx1100", False)]
    assert order_targets(pairs) == ["gfx1100", "gfx90a", "gfx1151"]


# -- hypothesis: parsers never raise ---------------------------------------------------------

_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)


@given(st.dictionaries(_KEYS, st.integers(min_value=0, max_value=2**64 - 1), max_size=40))
def test_properties_round_trip(props: Dict[str, int]) -> None:
    text = "".join(f"{k} {v}\n" for k, v in props.items())
    assert parse_properties(text) == props


@given(st.text(max_size=2000))
def test_properties_parser_never_raises(text: str) -> None:
    parsed = parse_properties(text)
    assert all(0 <= v < 10**20 for v in parsed.values())


@given(st.integers())
def test_decode_never_raises(value: int) -> None:
    gfx = decode_gfx_target_version(value)
    assert gfx is None or re.fullmatch(r"gfx[0-9]{1,2}[0-9a-f]{2}", gfx)


@given(
    st.integers(min_value=1, max_value=99),
    st.integers(min_value=0, max_value=15),
    st.integers(min_value=0, max_value=15),
)
def test_decode_matches_the_runtime_rule(major: int, minor: int, step: int) -> None:
    expected = "gfx" + str(major) + hex(minor)[2:] + hex(step)[2:]
    assert decode_gfx_target_version(major * 10000 + minor * 100 + step) == expected


@given(st.text(max_size=300))
def test_version_parsers_never_raise(text: str) -> None:
    for result in (parse_version_file(text), parse_version_header(text)):
        assert result is None or (0 <= result[0] <= 9999 and 0 <= result[1] <= 9999)


@given(
    st.integers(min_value=0, max_value=9999),
    st.integers(min_value=0, max_value=9999),
    st.one_of(st.none(), st.integers(min_value=0, max_value=999999)),
    st.sampled_from(["", "-66", "-120", "~22.04"]),
)
def test_version_file_round_trip(major: int, minor: int, patch: Optional[int], build: str) -> None:
    text = f"{major}.{minor}" + ("" if patch is None else f".{patch}") + build + "\n"
    if patch is None and build:
        text = f"{major}.{minor}{build}\n"
    assert parse_version_file(text) == (major, minor, patch)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
        ),
        max_size=4,
    ),
    st.text(max_size=100),
    st.text(max_size=300),
)
def test_detect_on_garbage_machines_never_raises(
    nodes: List[str], version: str, rocminfo: str
) -> None:
    files = {f"{NODES}/{i}/properties": text for i, text in enumerate(nodes)}
    files["/opt/rocm/.info/version"] = version
    files["/dev/kfd"] = ""
    system = fake(files, commands={"rocminfo": _ran("rocminfo", rocminfo)})
    out = detect(system)
    assert isinstance(out, ProviderOutput)
    for feature in out.features:
        assert isinstance(feature, FeatureConfig)


# -- plugin, all_configs, process hygiene --------------------------------------------------------


def test_all_configs_cover_the_existing_provider_vocabulary() -> None:
    configs = {c.name: c for c in all_configs()}
    assert list(configs) == ["gfx_arch", "rocm_version"]
    assert configs["gfx_arch"].multi_value and not configs["rocm_version"].multi_value
    existing_gfx = (
        "gfx900 gfx906 gfx908 gfx90a gfx942 gfx1030 gfx1100 gfx1101 gfx1102 gfx1200 gfx1201"
    )
    assert set(existing_gfx.split()) <= set(configs["gfx_arch"].values)
    existing_rocm = [f"7.{m}" for m in range(10, -1, -1)] + ["6.4", "6.3"]
    assert set(existing_rocm) <= set(configs["rocm_version"].values)
    for fixture_value in ("gfx950", "gfx1151", "7.2", "6.2"):
        assert any(fixture_value in c.values for c in configs.values())


def test_provider_is_registered_as_amd() -> None:
    assert "amd" in Host(entry_points=False).namespaces()


def test_detection_never_imports_vendor_bindings() -> None:
    code = (
        "import sys\n"
        "from variant_providers.system import LiveSystem\n"
        "from variant_providers.providers.amd.detect import detect\n"
        "detect(LiveSystem())\n"
        "print(sorted(m for m in ('amdsmi', 'pyamdgpuinfo', 'pyrsmi') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_live_pyamdgpuinfo_facade_answers_structured_data() -> None:
    facade = PYAMDGPUINFO_FACADE
    answer = LiveSystem(environ={"PATH": "/usr/bin:/bin"}).native(facade)
    assert isinstance(answer, dict) and isinstance(answer.get("load"), dict)
    if answer["load"]["ok"]:
        assert "gpus" in answer
    else:
        assert "error" in answer["load"]


def test_live_machine_detection_does_not_raise() -> None:
    out = detect(LiveSystem(environ={}))
    assert isinstance(out, ProviderOutput)
