"""The NVIDIA provider: recorded machines, every probe outcome, the force variables, the parsers.

Expected value lists are written from the rules of the existing
nvidia-variant-provider as the research notes state them (wheel-variants §10
and test vectors TV1–TV3), not taken from this provider's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from variant_providers.host import Detection, Host, ProviderResult, run_provider
from variant_providers.overrides import InvalidOverride
from variant_providers.provider import ProviderOutput
from variant_providers.providers.nvidia import detect as nvdetect
from variant_providers.providers.nvidia import libcuda, nvml, parse, smi, tables, vocab
from variant_providers.providers.nvidia.plugin import all_configs, variant_providers
from variant_providers.records import origin_kind
from variant_providers.replay import ReplaySystem
from variant_providers.system import LiveSystem
from variant_providers.testing import FakeSystem, check_detection

from ..conftest import MachineFactory

REPO = Path(__file__).resolve().parents[2]
MACHINES = REPO / "fixtures" / "machines"
NVIDIA_MACHINES = sorted(p.parent for p in MACHINES.glob("nvidia-*/machine.json"))
OTHER_MACHINES = sorted(
    p.parent
    for p in MACHINES.glob("*/machine.json")
    if not p.parent.name.startswith("nvidia-")
    and "nvidia" not in json.loads(p.read_text())["expected"]
)
SHARED_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "wheel-variants.md"

PROVIDER = next(iter(variant_providers()))
SMI_KEY = " ".join(smi.SMI_QUERY)
SMI_XML_KEY = " ".join(smi.SMI_XML)


# -- value lists written out from the spec's rules ----------------------------------------


def minors(major: int, top: int, bottom: int) -> List[str]:
    return [f"{major}.{m}" for m in range(top, bottom - 1, -1)]


def full(major: int) -> List[str]:
    return [*minors(major, 20, 0), str(major)]


#: Driver 12.8: "12.8 … 12.0, 12, 11.20 … 11.0, 11" (32 values).
LOWER_128 = [*minors(12, 8, 0), "12", *full(11)]
#: Driver 12.8: "15.20 … 15, 14.20 … 14, 13.20 … 13, 12.20 … 12.9" (78 values).
UPPER_128 = [*full(15), *full(14), *full(13), *minors(12, 20, 9)]


def test_the_spec_example_lists_have_the_spec_lengths() -> None:
    assert len(LOWER_128) == 32
    assert len(UPPER_128) == 78


# -- the recorded machines ----------------------------------------------------------------


def _result(machine: Path) -> Any:
    return run_provider(PROVIDER, ReplaySystem(machine))


@pytest.mark.parametrize("machine", NVIDIA_MACHINES + OTHER_MACHINES, ids=lambda m: m.name)
def test_recorded_machine_matches_its_expected_block(machine: Path) -> None:
    """Other vendors' machines (no nvidia block) must be not-detected."""
    result = _result(machine)
    check_detection(Detection(providers=(result,)), machine)
    assert result.traceback is None


def test_h100_server_matches_tv1() -> None:
    """TV1: driver 12.8, SM 9.0 → lower 12.8…11, upper 15.20…12.9, sm 90_real, 90_virtual."""
    result = _result(MACHINES / "nvidia-h100-sxm-570")
    features = {f.name: f for f in result.features}
    assert list(features) == [vocab.FEATURE_LOWER, vocab.FEATURE_UPPER, vocab.FEATURE_SM]
    assert list(features[vocab.FEATURE_LOWER].values) == LOWER_128
    assert list(features[vocab.FEATURE_UPPER].values) == UPPER_128
    assert list(features[vocab.FEATURE_SM].values) == ["90_real", "90_virtual"]
    assert features[vocab.FEATURE_SM].multi_value
    assert not features[vocab.FEATURE_LOWER].multi_value
    assert len(result.info["devices"]) == 8
    assert {d["compute_capability"] for d in result.info["devices"]} == {"9.0"}
    assert result.info["kernel_driver_version"] == "570.124.06"


def test_mixed_machine_reports_every_device_and_every_architecture() -> None:
    result = _result(MACHINES / "nvidia-a100-h100-mixed-550")
    sm = next(f for f in result.features if f.name == vocab.FEATURE_SM)
    # Best device (H100, 9.0) first, then the A100's 8.0 family.
    assert list(sm.values) == ["90_real", "90_virtual", "80_real", "80_virtual"]
    names = [d["name"] for d in result.info["devices"]]
    assert names[:3] == ["NVIDIA A100 80GB PCIe", "NVIDIA A100 80GB PCIe", "NVIDIA H100 PCIe"]
    assert result.info["devices"][0]["mig_mode"] == "enabled"
    assert len(result.info["devices"][0]["mig_devices"]) == 2
    # The lost fourth GPU does not abort the others and does not vanish: NVML could not
    # open it, so its name comes from /proc (4th GPU in bus order) and its CC from the table.
    lost = result.info["devices"][3]
    assert "GPU_IS_LOST" in lost["error"]
    assert (lost["name"], lost["compute_capability"], lost["cc_source"]) == (
        "NVIDIA H100 PCIe",
        "9.0",
        "name-table",
    )


def test_mismatch_is_not_reported_as_not_installed() -> None:
    result = _result(MACHINES / "nvidia-rtx3060-mismatch-550")
    assert result.status == "error"
    assert "version mismatch" in result.reason
    assert "18" in result.reason
    assert "not installed" not in result.reason
    assert "550.90.07" in result.reason


def test_container_without_gpu_access_is_not_detected() -> None:
    result = _result(MACHINES / "nvidia-container-no-gpu-570")
    assert result.status == "not-detected"
    assert "no GPU access" in result.reason


def test_nvml_hang_uses_the_files_and_says_so() -> None:
    detection = Host(entry_points=False).detect(
        ReplaySystem(MACHINES / "nvidia-h200-nvml-hang-570"), only=["nvidia"], timeout=3
    )
    result = detection["nvidia"]
    assert result.status == "ok"
    # The message names the limit in force, not a per-facade default.
    assert result.info["probes"] == {
        "nvml": "no answer within the 3 s time limit of this detection"
    }
    assert set(result.info["source"].values()) == {"procfs"}
    assert "hung" in result.reason


def test_pascal_card_gets_only_its_own_family() -> None:
    result = _result(MACHINES / "nvidia-gtx1080ti-570")
    sm = next(f for f in result.features if f.name == vocab.FEATURE_SM)
    assert list(sm.values) == ["61_real", "60_real", "60_virtual"]


def test_host_runs_the_builtin_provider() -> None:
    detection = Host(entry_points=False).detect(
        ReplaySystem(MACHINES / "nvidia-rtx4090-560"), only=["nvidia"]
    )
    assert detection["nvidia"].status == "ok"
    assert "nvidia :: sm_arch :: 89_real" in [str(p) for p in detection.properties]


# -- the vocabulary against the spec -------------------------------------------------------


def test_value_lists_for_the_spec_examples() -> None:
    assert list(vocab.lower_bound_values((12, 8))) == LOWER_128
    assert list(vocab.upper_bound_values((12, 8))) == UPPER_128
    # Driver 13.0: the upper bound ends at 13.1, without a bare 13.
    upper_13 = list(vocab.upper_bound_values((13, 0)))
    assert upper_13[-1] == "13.1"
    assert "13" not in upper_13
    assert list(vocab.lower_bound_values((13, 0)))[:3] == ["13.0", "13", "12.20"]
    assert vocab.sm_values((9, 0)) == ("90_real", "90_virtual")
    assert vocab.sm_values((8, 6)) == (
        "86_real", "85_real", "84_real", "83_real", "82_real", "81_real", "80_real", "80_virtual",
    )  # fmt: skip
    assert vocab.sm_values((12, 0)) == ("120_real", "120_virtual")
    assert vocab.sm_values((4, 9)) == ()


def test_all_configs_is_the_existing_catalogue() -> None:
    configs = {c.name: c for c in all_configs()}
    cuda = list(configs[vocab.FEATURE_LOWER].values)
    assert len(cuda) == 110  # 5 majors x (21 minors + the bare major)
    assert cuda[0] == "15.20"
    assert cuda[-1] == "11"
    assert configs[vocab.FEATURE_UPPER].values == configs[vocab.FEATURE_LOWER].values
    sm = list(configs[vocab.FEATURE_SM].values)
    assert len(sm) == 160
    assert sm[0] == "129_real"
    assert sm[79] == "50_real"
    assert sm[80] == "129_virtual"
    assert sm[-1] == "50_virtual"
    assert configs[vocab.FEATURE_SM].multi_value


def test_every_detected_value_is_in_the_catalogue() -> None:
    catalogue = {c.name: set(c.values) for c in all_configs()}
    for machine in NVIDIA_MACHINES:
        for feature in _result(machine).features:
            assert set(feature.values) <= catalogue[feature.name], machine.name


def test_spec_section_10_is_what_these_tests_assume() -> None:
    if not SHARED_SPEC.exists():
        pytest.skip("research notes not available")
    text = SHARED_SPEC.read_text(encoding="utf-8")
    assert "Driver 12.8 → `12.8 … 12.0, 12, 11.20 … 11.0, 11`" in text
    assert "(32 values)" in text
    assert "(78 values)" in text
    assert "`90_real, 90_virtual`" in text


# -- force variables -----------------------------------------------------------------------


def forced_machine(make: Any, cuda: Optional[str], sm: Optional[str], **extra: Any) -> Path:
    env: Dict[str, str] = {}
    if cuda is not None:
        env[vocab.FORCE_CUDA_VAR] = cuda
    if sm is not None:
        env[vocab.FORCE_SM_VAR] = sm
    return make(env=env, **extra)  # type: ignore[no-any-return]


@pytest.fixture
def machine(make_machine: MachineFactory) -> MachineFactory:
    """The shared recorded-machine factory, under the name these tests use."""
    return make_machine


def run(path: Path) -> Any:
    return run_provider(PROVIDER, ReplaySystem(path))


def forced(system: Any) -> ProviderResult:
    """The ``nvidia`` row of a host detection: the force variables applied, as users see them."""
    if isinstance(system, Path):
        system = ReplaySystem(system)
    return Host(entry_points=False).detect(system, only=["nvidia"], cache=False)["nvidia"]


#: (forced CUDA, forced SM, expected lower, expected upper, expected sm); ``None`` = feature absent.
FORCE_TABLE: List[
    Tuple[str, str, Optional[List[str]], Optional[List[str]], Optional[List[str]]]
] = [
    ("12.8", "9.0", LOWER_128, UPPER_128, ["90_real", "90_virtual"]),  # TV1
    ("12.8", "7.0", LOWER_128, UPPER_128, ["70_real", "70_virtual"]),  # TV2
    (
        "13.0",
        "12.0",
        ["13.0", "13", *full(12), *full(11)],
        [*full(15), *full(14), *minors(13, 20, 1)],
        ["120_real", "120_virtual"],
    ),  # TV3
    (
        "12.7",
        "12.5",
        [*minors(12, 7, 0), "12", *full(11)],
        [*UPPER_128, "12.8"],
        ["125_real", "124_real", "123_real", "122_real", "121_real", "120_real", "120_virtual"],
    ),  # the existing provider's own test
    (
        "11.0",
        "5.0",
        ["11.0", "11"],
        [*full(15), *full(14), *full(13), *full(12), *minors(11, 20, 1)],
        ["50_real", "50_virtual"],
    ),
    # A forced version skips the range check: 10.2 has no lower bound inside 11…15.
    (
        "10.2",
        "8.0",
        None,
        [*full(15), *full(14), *full(13), *full(12), *full(11), *minors(10, 20, 3)],
        ["80_real", "80_virtual"],
    ),
    # 15.20 leaves nothing above it.
    (
        "15.20",
        "8.9",
        [*minors(15, 20, 0), "15", *full(14), *full(13), *full(12), *full(11)],
        None,
        [
            "89_real",
            "88_real",
            "87_real",
            "86_real",
            "85_real",
            "84_real",
            "83_real",
            "82_real",
            "81_real",
            "80_real",
            "80_virtual",
        ],
    ),
    # "12" means 12.0; below SM 5.0 there is no sm_arch.
    (
        "12",
        "3.7",
        ["12.0", "12", *full(11)],
        [*full(15), *full(14), *full(13), *minors(12, 20, 1)],
        None,
    ),
    # PEP 440 spellings the existing provider accepts.
    ("12.8.1", "9.0", LOWER_128, UPPER_128, ["90_real", "90_virtual"]),
    ("v12.8", "9.0", LOWER_128, UPPER_128, ["90_real", "90_virtual"]),
]


@pytest.mark.parametrize(("cuda", "sm", "lower", "upper", "arch"), FORCE_TABLE)
def test_force_variables_give_the_existing_providers_output(
    machine: Any,
    cuda: str,
    sm: str,
    lower: Optional[List[str]],
    upper: Optional[List[str]],
    arch: Optional[List[str]],
) -> None:
    result = forced(forced_machine(machine, cuda, sm))
    assert result.status == "override"
    want = [
        (name, values)
        for name, values in (
            (vocab.FEATURE_LOWER, lower),
            (vocab.FEATURE_UPPER, upper),
            (vocab.FEATURE_SM, arch),
        )
        if values is not None
    ]
    assert [(f.name, list(f.values)) for f in result.features] == want
    assert {origin_kind(o) for o in result.provenance.values()} == {"override"}


def test_both_forced_never_probes(machine: Any) -> None:
    system = FakeSystem(forced_machine(machine, "12.8", "9.0", native={"nvml": {"timeout": True}}))
    assert forced(system).status == "override"
    assert expensive(system) == []


def test_empty_force_values_count_as_unset(machine: Any) -> None:
    assert forced(forced_machine(machine, "", "")).status == "not-detected"


@pytest.mark.parametrize(
    ("cuda", "sm"),
    [("twelve", None), ("12.8", "9"), ("12.8", "9.0.1"), ("12.8", "x.y"), ("12.8", "-1.0"),
     ("12.8", "9.99999999"), ("12.99999999", "9.0")],
)  # fmt: skip
def test_bad_force_values_are_a_usage_error_not_a_traceback(
    machine: Any, cuda: Optional[str], sm: Optional[str]
) -> None:
    with pytest.raises(InvalidOverride, match="NV_VARIANT_PROVIDER_FORCE"):
        forced(forced_machine(machine, cuda, sm))


def test_forced_cuda_alone_keeps_detected_architectures() -> None:
    base = json.loads((MACHINES / "nvidia-gtx1080ti-570" / "machine.json").read_text())
    system = ReplaySystem(MACHINES / "nvidia-gtx1080ti-570")
    system._env = {vocab.FORCE_CUDA_VAR: "12.6"}
    result = forced(system)
    assert base["expected"]["nvidia"]["status"] == "ok"
    assert result.status == "override"
    features = {f.name: list(f.values) for f in result.features}
    assert features[vocab.FEATURE_LOWER][0] == "12.6"
    assert features[vocab.FEATURE_SM] == ["61_real", "60_real", "60_virtual"]
    assert result.provenance[vocab.FEATURE_SM] == "probe:nvml"
    assert result.provenance[vocab.FEATURE_LOWER] == f"override:{vocab.FORCE_CUDA_VAR}"


def test_forced_sm_alone_keeps_detected_cuda() -> None:
    system = ReplaySystem(MACHINES / "nvidia-h100-sxm-570")
    system._env = {vocab.FORCE_SM_VAR: "8.6"}
    result = forced(system)
    features = {f.name: list(f.values) for f in result.features}
    assert features[vocab.FEATURE_LOWER] == LOWER_128
    assert features[vocab.FEATURE_SM][0] == "86_real"


def test_forced_cuda_without_any_gpu_omits_sm_arch(machine: Any) -> None:
    result = forced(forced_machine(machine, "12.8", None))
    assert result.status == "override"
    assert [f.name for f in result.features] == [vocab.FEATURE_LOWER, vocab.FEATURE_UPPER]


def test_forced_sm_alone_without_a_driver_is_not_detected(machine: Any) -> None:
    assert forced(forced_machine(machine, None, "9.0")).status == "not-detected"


# -- every probe outcome, on small machines ------------------------------------------------


def expensive(system: FakeSystem) -> List[str]:
    """The native calls and commands *system* was asked, in order."""
    return [f"{call.kind}:{call.what}" for call in system.calls if call.kind in ("native", "run")]


HOST_FILES = {
    "/sys/module/nvidia/version": "570.148.08\n",
    "/proc/driver/nvidia/version": (
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.148.08  Release Build  "
        "(dvs-builder@U16-I3-B03-4-3)  Thu May  8 01:35:36 UTC 2025\n"
    ),
    "/proc/driver/nvidia/gpus/0000:01:00.0/information": (
        "Model: \t\t NVIDIA GeForce RTX 4090\n"
        "GPU UUID: \t GPU-5a1d4090-0000-4000-8000-000000000000\n"
        "Bus Location: \t 0000:01:00.0\nDevice Minor: \t 0\n"
    ),
}
DEV = {"/dev": ["null", "nvidia0", "nvidiactl", "nvidia-uvm", "zero"]}


def nvml_ok(devices: List[Dict[str, Any]], cuda: int = 12080, count: Optional[int] = None) -> Any:
    return {
        "answer": {
            "import": {"ok": True},
            "init": [0, None],
            "driver_version": [0, "570.148.08"],
            "cuda_driver_version_v2": [0, cuda],
            "count": [0, len(devices) if count is None else count],
            "devices": devices,
        }
    }


def dev(index: int, name: str, cc: Tuple[int, int]) -> Dict[str, Any]:
    return {"index": index, "handle": [0, None], "name": [0, name], "cc": [0, list(cc)]}


def host_machine(machine: Any, **manifest: Any) -> Path:
    manifest.setdefault("dirs", DEV)
    return machine(root_files=HOST_FILES, **manifest)  # type: ignore[no-any-return]


def test_no_trace_costs_no_probe(machine: Any) -> None:
    system = FakeSystem(machine(native={"nvml": {"timeout": True}}))
    result = nvdetect.detect(system)
    assert result.status == "not-detected"
    assert expensive(system) == []


def test_macos_is_not_detected_without_probing(machine: Any) -> None:
    system = FakeSystem(machine(platform={"system": "Darwin", "machine": "arm64"}))
    result = nvdetect.detect(system)
    assert result.status == "not-detected"
    assert "Darwin" in result.reason
    assert expensive(system) == []


def test_nvml_answer_is_enough(machine: Any) -> None:
    system = FakeSystem(
        host_machine(machine, native={"nvml": nvml_ok([dev(0, "NVIDIA GeForce RTX 4090", (8, 9))])})
    )
    result = nvdetect.detect(system)
    assert expensive(system) == ["native:nvml"]
    assert result.info["source"][vocab.FEATURE_SM] == "nvml"


@pytest.mark.parametrize("code", [9, 17, 999])
def test_nvml_init_failure_falls_back_to_libcuda(machine: Any, code: int) -> None:
    libcuda = {
        "answer": {
            "load": {"ok": True, "path": "libcuda.so.1"},
            "cuInit": 0,
            "version": [0, 12080],
            "count": [0, 1],
            "devices": [{"ordinal": 0, "device": [0, None], "cc": [0, [8, 9]], "name": [0, "X"]}],
        }
    }
    path = host_machine(
        machine,
        native={
            "nvml": {"answer": {"import": {"ok": True}, "init": [code, None]}},
            "libcuda": libcuda,
        },
    )
    result = run(path)
    assert result.status == "ok"
    assert result.info["source"][vocab.FEATURE_LOWER] == "libcuda"
    assert tables.nvml_error_name(code) in result.info["probes"]["nvml"]


def test_nvml_child_error_falls_back(machine: Any) -> None:
    path = host_machine(
        machine,
        native={"nvml": {"error": "RuntimeError: boom"}, "libcuda": {"unavailable": "no child"}},
        commands={
            SMI_KEY: {
                "returncode": 0,
                "stdout": (
                    "0, NVIDIA GeForce RTX 4090, GPU-x, 00000000:01:00.0, 570.148.08, 24564, 8.9\n"
                ),
            },
            SMI_XML_KEY: {"returncode": 0, "stdout": "<cuda_version>12.8</cuda_version>"},
        },
    )
    result = run(path)
    assert result.status == "ok"
    assert result.info["source"][vocab.FEATURE_SM] == "nvidia-smi"
    assert result.info["source"][vocab.FEATURE_LOWER] == "nvidia-smi"
    assert result.info["probes"]["nvml"].startswith("failed")


def test_nothing_installed_is_not_detected_and_says_so(machine: Any) -> None:
    path = host_machine(
        machine,
        native={
            "nvml": {"answer": {"import": {"ok": True}, "init": [12, None]}},
            "libcuda": {"answer": {"load": {"ok": False, "error": "not found"}}},
        },
    )
    result = run(path)
    assert result.status == "not-detected"
    assert "not installed" in result.reason
    assert "mismatch" not in result.reason


def test_probes_that_break_are_an_error(machine: Any) -> None:
    path = host_machine(
        machine,
        native={
            "nvml": {"answer": {"import": {"ok": True}, "init": [17, None]}},
            "libcuda": {"answer": {"load": {"ok": True}, "cuInit": 304}},
        },
        commands={SMI_KEY: {"returncode": 255, "stdout": "", "stderr": "blocked"}},
    )
    result = run(path)
    assert result.status == "error"
    assert "OPERATING_SYSTEM" in result.reason


def test_nvml_timeout_without_files_is_a_timeout(machine: Any) -> None:
    path = machine(
        platform={
            "system": "Linux",
            "machine": "x86_64",
            "release": "5.15.167.4-microsoft-standard-WSL2",
        },
        dirs={"/dev": ["dxg", "null"]},
        native={"nvml": {"timeout": True}},
    )
    system = FakeSystem(path)
    result = run_provider(PROVIDER, system)
    assert result.status == "timeout"
    # Nothing else that talks to the driver is tried after a hang.
    assert expensive(system) == ["native:nvml"]


def test_libcuda_timeout_on_jetson_estimates_from_the_device_tree(machine: Any) -> None:
    path = machine(
        platform={"system": "Linux", "machine": "aarch64"},
        root_files={
            "/etc/nv_tegra_release": (
                "# R35 (release), REVISION: 4.1, GCID: 1, BOARD: t186ref, EABI: aarch64\n"
            ),
            "/proc/device-tree/compatible": "nvidia,p3701-0000\0nvidia,tegra234\0",
        },
        native={
            "nvml": {"answer": {"import": {"ok": True}, "init": [12, None]}},
            "libcuda": {"timeout": True},
        },
    )
    result = run(path)
    assert result.status == "ok"
    features = {f.name: list(f.values) for f in result.features}
    assert features[vocab.FEATURE_LOWER][0] == "11.4"
    assert features[vocab.FEATURE_SM][0] == "87_real"
    assert result.info["source"][vocab.FEATURE_SM] == "procfs"


def test_nvidia_smi_nonzero_exit_with_usable_lines(machine: Any) -> None:
    stdout = (
        "0, NVIDIA H100 80GB HBM3, GPU-a, 00000000:18:00.0, 570.148.08, 81559, 9.0\n"
        "Unable to determine the device handle for GPU0000:2A:00.0: Unknown Error\n"
        "2, NVIDIA H100 80GB HBM3, GPU-c, 00000000:3A:00.0, 570.148.08, 81559, [N/A]\n"
    )
    path = host_machine(
        machine,
        native={"nvml": {"answer": {"import": {"ok": False, "error": "ModuleNotFoundError"}}}},
        commands={
            SMI_KEY: {"returncode": 15, "stdout": stdout},
            SMI_XML_KEY: {"returncode": 0, "stdout": "<cuda_version>12.8</cuda_version>"},
        },
    )
    result = run(path)
    assert result.status == "ok"
    assert len(result.info["devices"]) == 2
    # compute_cap [N/A] on the second line: the product name still tells 9.0.
    assert result.info["devices"][1]["compute_capability"] == "9.0"
    assert any("unreadable line" in n for n in result.info["notes"])
    assert any("exit 15" in n for n in result.info["notes"])


def test_nvidia_smi_mismatch_message_is_a_mismatch(machine: Any) -> None:
    path = host_machine(
        machine,
        native={"nvml": {"unavailable": "no child"}, "libcuda": {"unavailable": "no child"}},
        commands={
            SMI_KEY: {
                "returncode": 18,
                "stdout": "Failed to initialize NVML: Driver/library version mismatch\n",
            }
        },
    )
    result = run(path)
    assert result.status == "error"
    assert "mismatch" in result.reason


def test_nvidia_smi_timeout(machine: Any) -> None:
    path = host_machine(
        machine,
        native={"nvml": {"unavailable": "x"}, "libcuda": {"unavailable": "x"}},
        commands={SMI_KEY: {"timeout": True}},
    )
    result = run(path)
    # The files still tell 570 → 12.8 and RTX 4090 → 8.9.
    assert result.status == "ok"
    assert result.info["probes"]["nvidia-smi"] == "nvidia-smi: timed out"
    assert result.info["source"][vocab.FEATURE_LOWER] == "procfs"


def test_cuda_outside_the_range_is_not_detected(machine: Any) -> None:
    path = host_machine(
        machine, native={"nvml": nvml_ok([dev(0, "Tesla K80", (3, 7))], cuda=10020)}
    )
    result = run(path)
    assert result.status == "not-detected"
    assert "10.2" in result.reason
    assert "outside" in result.reason


def test_no_gpu_behind_a_working_driver(machine: Any) -> None:
    result = run(host_machine(machine, native={"nvml": nvml_ok([], count=0)}))
    assert result.status == "not-detected"
    assert "no GPU" in result.reason


def test_one_device_without_compute_capability_is_skipped(machine: Any) -> None:
    broken = {
        "index": 1,
        "handle": [0, None],
        "name": [0, "NVIDIA A100-SXM4-80GB"],
        "cc": [999, None],
    }
    path = host_machine(
        machine, native={"nvml": nvml_ok([dev(0, "NVIDIA A100-SXM4-80GB", (8, 0)), broken])}
    )
    result = run(path)
    sm = next(f for f in result.features if f.name == vocab.FEATURE_SM)
    assert list(sm.values) == ["80_real", "80_virtual"]
    assert any("GPU 1" in n for n in result.info["notes"])


def test_old_architecture_has_no_sm_arch(machine: Any) -> None:
    path = host_machine(
        machine, native={"nvml": nvml_ok([dev(0, "Tesla K80", (3, 7))], cuda=11040)}
    )
    result = run(path)
    assert [f.name for f in result.features] == [vocab.FEATURE_LOWER, vocab.FEATURE_UPPER]
    assert any("below 5.0" in n for n in result.info["notes"])


def test_unreadable_files_are_notes(machine: Any) -> None:
    path = host_machine(
        machine,
        errors={"/proc/driver/nvidia": "EACCES", "/sys/module/nvidia/version": "EPERM"},
        native={"nvml": nvml_ok([dev(0, "NVIDIA L4", (8, 9))])},
    )
    result = run(path)
    assert result.status == "ok"
    assert any("/proc/driver/nvidia" in n for n in result.info["notes"])


def test_unlistable_dev_falls_back_to_exists(machine: Any) -> None:
    path = machine(
        root_files={"/dev/nvidia0": "", **HOST_FILES},
        errors={"/dev": "EACCES"},
        native={"nvml": nvml_ok([dev(0, "NVIDIA L4", (8, 9))])},
    )
    assert run(path).status == "ok"


def test_cuda_visible_devices_is_noted(machine: Any) -> None:
    libcuda = {
        "answer": {"cuda_visible_devices": "", "load": {"ok": True}, "cuInit": 0,
                   "version": [0, 12080], "count": [0, 0], "devices": []}
    }  # fmt: skip
    path = host_machine(machine, native={"nvml": {"unavailable": "x"}, "libcuda": libcuda})
    result = run(path)
    assert any("CUDA_VISIBLE_DEVICES" in n for n in result.info["notes"])


# -- robustness: garbage never becomes a traceback -----------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
NVML_KEYS = ["import", "init", "driver_version", "cuda_driver_version_v2", "cuda_driver_version"]
nvml_keys = st.sampled_from([*NVML_KEYS, "count", "devices"])
pairs = st.tuples(st.integers(-2, 30) | st.just(999), json_values).map(list)
device_dicts = st.dictionaries(
    st.sampled_from(["index", "handle", "name", "uuid", "cc", "memory_total", "pci_bus_id",
                     "mig_mode", "mig_devices"]),
    pairs | json_values,
    max_size=9,
)  # fmt: skip
nvml_answers = st.dictionaries(
    nvml_keys, pairs | json_values | st.lists(device_dicts, max_size=3), max_size=7
)


def answering(nvml: Any, libcuda: Any, smi: str) -> FakeSystem:
    """A WSL-like machine (its library directory present) whose probes answer what a test says."""
    return FakeSystem(
        dirs={"/usr/lib/wsl/lib": []},
        native={"nvml": {"answer": nvml}, "libcuda": {"answer": libcuda}},
        commands={key: {"stdout": smi} for key in (SMI_KEY, SMI_XML_KEY)},
    )


@settings(max_examples=150, deadline=None)
@given(nvml=nvml_answers | json_values, libcuda=json_values, smi=st.text(max_size=200))
def test_any_probe_answer_gives_a_result_not_a_traceback(nvml: Any, libcuda: Any, smi: str) -> None:
    system = answering(nvml, libcuda, smi)
    result = nvdetect.detect(system)
    assert "native:nvml" in expensive(system), "the answers were asked for"
    assert isinstance(result, ProviderOutput)
    json.dumps(dict(result.info))


@given(st.text(max_size=60))
def test_text_parsers_never_raise(text: str) -> None:
    parse.parse_driver_version(text)
    parse.parse_proc_version(text)
    parse.parse_information(text)
    parse.parse_cc(text)
    parse.parse_cuda_str(text)
    parse.parse_smi_csv(text)
    parse.parse_smi_xml_cuda(text)
    parse.parse_tegra_release(text)
    parse.driver_branch(text)
    parse.parse_compatible(text.encode("utf-8", "surrogatepass"))
    tables.cc_for_model(text)


@given(st.text(max_size=30))
def test_force_parsers_answer_or_refuse(text: str) -> None:
    for parser in (vocab.parse_forced_cuda, vocab.parse_forced_sm):
        try:
            major, minor = parser(text)
        except vocab.ForceError:
            continue
        assert 0 <= major <= vocab.FORCE_LIMIT
        assert 0 <= minor <= vocab.FORCE_LIMIT


@given(st.integers(1, 99), st.integers(0, 99))
def test_cuda_integer_round_trip(major: int, minor: int) -> None:
    cuda = parse.cuda_from_int(major * 1000 + minor * 10)
    assert cuda == (major, minor)
    assert parse.parse_cuda_str(parse.cuda_to_str((major, minor))) == (major, minor)


@given(st.integers() | st.none() | st.text(max_size=5) | st.booleans())
def test_cuda_integer_garbage(value: Any) -> None:
    cuda = parse.cuda_from_int(value)
    assert cuda is None or (1 <= cuda[0] <= 99 and 0 <= cuda[1] <= 99)


def test_cuda_integer_examples() -> None:
    assert parse.cuda_from_int(12080) == (12, 8)
    assert parse.cuda_from_int(12040) == (12, 4)
    assert parse.cuda_from_int(13000) == (13, 0)
    assert parse.cuda_from_int(11080) == (11, 8)
    assert parse.cuda_from_int(0) is None
    assert parse.cuda_from_int(True) is None


def test_file_parsers_on_real_shapes() -> None:
    assert parse.parse_proc_version(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.144.03  Release Build  "
        "(dvs-builder@U16-I3-B03-4-3)  Mon Dec 30 17:26:13 UTC 2024\n"
    ) == ("550.144.03", True)
    assert parse.parse_proc_version(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  375.74  Wed Jun 14 01:39:39 PDT 2017\n"
    ) == ("375.74", False)
    assert parse.parse_driver_version("572.60\n") == "572.60"
    assert parse.parse_tegra_release("# R36 (release), REVISION: 4.3, GCID: 1, BOARD: generic") == (
        36,
        4,
        3,
    )
    assert parse.parse_cc("[N/A]") is None
    assert tables.cc_for_model("NVIDIA L40S") == (8, 9)
    assert tables.cc_for_model("NVIDIA L4") == (8, 9)
    assert tables.cc_for_model("NVIDIA A10") == (8, 6)
    assert tables.cc_for_model("NVIDIA A100-SXM4-80GB") == (8, 0)
    assert tables.cc_for_model("NVIDIA GH200 480GB") == (9, 0)
    assert tables.cc_for_model("Mystery GPU") is None
    assert tables.cuda_for_branch(570) == (12, 8)
    assert tables.cuda_for_branch(572) == (12, 8)  # Windows 572.60
    assert tables.cuda_for_branch(580) == (13, 0)
    assert tables.cuda_for_branch(390) is None


# -- the native functions, in a real child process -----------------------------------------


def test_native_functions_answer_data_in_a_child() -> None:
    """Live: on a machine without the driver both answer structured failures, never raise."""
    system = LiveSystem(environ={"CUDA_VISIBLE_DEVICES": "0"})
    answer = system.native(nvml.NVML)
    assert isinstance(answer, dict)
    assert "import" in answer
    if answer["import"]["ok"]:
        assert isinstance(answer["init"][0], int)
    answer = system.native(libcuda.LIBCUDA)
    assert answer["cuda_visible_devices"] == "0"
    assert isinstance(answer["load"]["ok"], bool)
