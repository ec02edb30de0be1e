"""Whole providers on the live seam, with stand-in libraries, agree with the replay.

Each recorded machine is rebuilt as a live one (its files under a root
directory, its native answers as compiled stand-in libraries, its platform
as an override) and detected through the host exactly as ``report`` does.
Record → replay → stand-in: the live report must be the replayed one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from tests.conftest import FIXTURE_MACHINES
from variant_providers.host import ProviderResult
from variant_providers.replay import RecordingSystem, ReplaySystem

from .machines import detect_one, live_machine
from .standins import Cuda, CudaDevice, Nvml, NvmlGpu, StandIns

#: Recorded machines whose every probe a stand-in library can answer (no recorded
#: command output is needed, no pynvml import failure), by namespace.
LIVE_MACHINES = {
    "nvidia-a100-h100-mixed-550": "nvidia",
    "nvidia-container-no-gpu-570": "nvidia",
    "nvidia-gtx1080ti-570": "nvidia",
    "nvidia-h100-sxm-570": "nvidia",
    "nvidia-jetson-agx-orin-jp5": "nvidia",
    "nvidia-rtx3060-mismatch-550": "nvidia",
    "nvidia-rtx4090-560": "nvidia",
    "intel-adl-uhd770-i915": "intel",
    "intel-arc-a770-i915": "intel",
    "intel-arc-pro-b60-xe-x8": "intel",
    "intel-lnl-arc-igpu-xe": "intel",
    "intel-max-1100-x8": "intel",
    "intel-max-1550-composite": "intel",
    "intel-mtl-h-ze-uninitialized": "intel",
    "intel-none-epyc-aspeed": "intel",
}


def comparable(result: ProviderResult) -> Dict[str, Any]:
    """What a report shows, less the timings of this run."""
    data = result.to_dict()
    del data["duration_ms"]
    level_zero = data["info"].get("level_zero")
    if isinstance(level_zero, dict):
        level_zero.pop("ms", None)
    # A recording holds the facades its recorder asked; one asked now but not then
    # replays as "not recorded", and the rebuilt machine has no such library either.
    probes = data["info"].get("probes", {})
    for probe, outcome in probes.items():
        if "not recorded on this machine" in outcome or outcome == f"{probe} not installed":
            probes[probe] = "absent"
    return data


@pytest.mark.parametrize("name", sorted(LIVE_MACHINES))
def test_live_with_stand_ins_reports_what_the_replay_reports(
    name: str, standins: StandIns, tmp_path: Path
) -> None:
    machine = FIXTURE_MACHINES / name
    namespace = LIVE_MACHINES[name]
    replayed = detect_one(ReplaySystem(machine), namespace)
    live = detect_one(live_machine(machine, tmp_path, standins), namespace)
    assert comparable(live) == comparable(replayed)
    assert replayed.status in ("ok", "not-detected", "error")


def test_the_recorded_nvml_hang_hangs_live_and_reports_the_same(
    standins: StandIns, tmp_path: Path
) -> None:
    machine = FIXTURE_MACHINES / "nvidia-h200-nvml-hang-570"
    standins.install(
        Nvml(gpus=[NvmlGpu()], hang=frozenset({"nvmlInitWithFlags"})),
        Cuda(devices=[CudaDevice()], hang=frozenset({"cuInit"})),
    )
    replayed = detect_one(ReplaySystem(machine), "nvidia", timeout=1)
    live = detect_one(live_machine(machine, tmp_path, standins, install=False), "nvidia", timeout=1)
    assert comparable(live) == comparable(replayed)
    assert live.info["probes"] == {"nvml": "no answer within the 1 s time limit of this detection"}


def _without_ids(value: Any) -> Any:
    """*value* less UUIDs and serials, which a recording redacts (keeping their shape)."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("uuid", "serial")}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


@pytest.mark.parametrize(
    "name", ["nvidia-a100-h100-mixed-550", "nvidia-jetson-agx-orin-jp5", "intel-lnl-arc-igpu-xe"]
)
def test_recording_the_live_machine_replays_the_same(
    name: str, standins: StandIns, tmp_path: Path
) -> None:
    namespace = LIVE_MACHINES[name]
    recorder = RecordingSystem(live_machine(FIXTURE_MACHINES / name, tmp_path, standins))
    live = detect_one(recorder, namespace)
    recording = recorder.save(tmp_path / "recorded")
    replayed = detect_one(ReplaySystem(recording), namespace)
    assert _without_ids(comparable(replayed)) == _without_ids(comparable(live))
