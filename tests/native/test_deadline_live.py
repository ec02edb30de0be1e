"""One deadline per detection, with drivers that really hang (stand-ins that never return).

These tests measure wall time because the deadline is the behaviour under
test: a hung driver must cost the limit in force, once, and no more.
"""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path
from typing import Any, Optional

import pytest

import variant_providers.host as host_module
from variant_providers.cli import main
from variant_providers.system import LiveSystem

from .machines import detect_one, live_tree, nvidia_tree, pci_tree
from .standins import Cuda, CudaDevice, LevelZero, Nvml, NvmlGpu, StandIns, ZeDevice, ZeDriver
from .test_nvidia_live import ALL_NVML

ALL_CUDA = frozenset(
    {"cuInit", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetAttribute"}
)
ALL_ZE = frozenset({"zeInitDrivers", "zeInit", "zeDriverGet", "zeDeviceGet"})


def hanging_machine(standins: StandIns, tmp_path: Path) -> Path:
    """NVIDIA and Intel GPUs whose every driver call hangs, an AMD GPU whose tools hang."""
    standins.install(
        Nvml(gpus=[NvmlGpu()], hang=ALL_NVML),
        Cuda(devices=[CudaDevice()], hang=ALL_CUDA),
        LevelZero(drivers=[ZeDriver(devices=[ZeDevice()])], hang=ALL_ZE),
    )
    root = nvidia_tree(tmp_path / "root", [("0000:18:00.0", "NVIDIA H100 80GB HBM3")])
    pci_tree(root, [("0000:03:00.0", 0x56A0, "i915")])
    # An AMD GPU whose KFD topology is missing: the provider falls back to its tools.
    (root / "dev" / "kfd").touch()
    (root / "sys" / "module" / "amdgpu").mkdir(parents=True)
    for tool in ("rocminfo", "rocm_agent_enumerator"):
        script = standins.directory / "bin" / tool
        script.parent.mkdir(exist_ok=True)
        script.write_text(f"#!/bin/sh\nexec {shutil.which('sleep') or '/bin/sleep'} 600\n")
        script.chmod(0o755)
    return root


def test_detect_honours_timeout_when_a_system_is_passed(standins: StandIns, tmp_path: Path) -> None:
    standins.install(Nvml(gpus=[NvmlGpu()], hang=ALL_NVML))
    system = live_tree(nvidia_tree(tmp_path / "root"), standins)
    start = time.monotonic()
    result = detect_one(system, "nvidia", timeout=1)
    elapsed = time.monotonic() - start
    assert elapsed < 2.0, f"took {elapsed:.1f} s with a 1 s limit"
    assert result.info["probes"]["nvml"] == "no answer within the 1 s time limit of this detection"


def test_two_vendors_hanging_cost_the_limit_once(standins: StandIns, tmp_path: Path) -> None:
    root = hanging_machine(standins, tmp_path)
    host = host_module.Host(entry_points=False)
    start = time.monotonic()
    detection = host.detect(
        live_tree(root, standins), only=["nvidia", "intel"], cache=False, timeout=2
    )
    elapsed = time.monotonic() - start
    assert elapsed < 3.0, f"took {elapsed:.1f} s with a 2 s limit"
    assert "no answer within the 2 s" in detection["nvidia"].info["probes"]["nvml"]
    assert detection["intel"].info["level_zero"]["status"] == "timeout"


def test_report_with_every_driver_call_hanging_ends_within_the_limit(
    standins: StandIns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = hanging_machine(standins, tmp_path)

    class HangingMachine(LiveSystem):
        """What ``report`` examines: this tree and these libraries instead of the machine."""

        def __init__(self, timeout: Optional[float] = None) -> None:
            super().__init__(root=str(root), environ=standins.environ(), timeout=timeout)

    monkeypatch.setattr(host_module, "LiveSystem", HangingMachine)
    out = io.StringIO()
    start = time.monotonic()
    code = main(["report", "--json", "--no-cache", "--timeout", "2"], out=out)
    elapsed = time.monotonic() - start
    assert code == 0
    assert elapsed < 2 + 1, f"report took {elapsed:.1f} s with a 2 s limit"
    providers = {p["namespace"]: p for p in json.loads(out.getvalue())["providers"]}
    limit = "no answer within the 2 s time limit of this detection"
    nvidia: Any = providers["nvidia"]
    assert nvidia["info"]["probes"] == {"nvml": limit}  # a hung NVML: nothing else is tried
    assert "hung" in nvidia["reason"]
    assert providers["intel"]["info"]["level_zero"]["detail"] == f"level_zero: {limit}"
    amd = providers["amd"]
    assert amd["status"] == "timeout", json.dumps(amd)
    assert "rocminfo" in json.dumps(amd["info"]) + amd.get("reason", "")
