"""The machine seam: replaying recorded machines, and recording the live one."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from variant_providers.recording import redact_text
from variant_providers.replay import (
    InvalidMachine,
    RecordingSystem,
    ReplaySystem,
    command_key,
)
from variant_providers.system import (
    LiveSystem,
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
)

from .conftest import V2_FLAGS, MachineFactory, cpuinfo

FACADE = NativeFacade("demo", "tests.nowhere:query")


def test_minimal_machine_is_valid(make_machine: MachineFactory) -> None:
    """Only root/proc/cpuinfo and the platform: the smallest valid machine."""
    system = ReplaySystem(make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)}))
    assert system.platform.system == "Linux"
    assert system.platform.arch == "x86_64"
    assert "pni" in system.read_text("/proc/cpuinfo")
    assert system.listdir("/proc") == ["cpuinfo"]
    assert system.exists("/proc/cpuinfo")
    assert not system.exists("/proc/driver/nvidia/version")
    with pytest.raises(FileNotFoundError):
        system.read_text("/sys/module/nvidia/version")


def test_replay_never_sees_the_live_environment(
    make_machine: MachineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("ROCM_PATH", "/opt/rocm-6.4.1")
    system = ReplaySystem(make_machine(env={"ROCM_PATH": "/opt/rocm-7.0.0"}))
    assert system.getenv("CUDA_VISIBLE_DEVICES") is None
    assert system.getenv("ROCM_PATH") == "/opt/rocm-7.0.0"
    assert system.getenv("HOME", "fallback") == "fallback"


def test_replay_never_reads_live_files(make_machine: MachineFactory) -> None:
    system = ReplaySystem(make_machine())
    assert os.path.exists("/proc/cpuinfo")
    assert not system.exists("/proc/cpuinfo")
    with pytest.raises(FileNotFoundError):
        system.read_text("/proc/cpuinfo")


def test_inline_files_errors_dirs_and_links(make_machine: MachineFactory) -> None:
    system = ReplaySystem(
        make_machine(
            root_files={"/sys/class/kfd/kfd/topology/nodes/0/properties": "cpu_cores_count 16\n"},
            files={"/sys/module/nvidia/version": "570.148.08\n"},
            errors={"/sys/class/kfd/kfd/topology/nodes/1": "EPERM", "/dev/kfd": "EACCES"},
            dirs={"/dev": ["nvidia0", "nvidiactl"]},
            links={"/sys/class/drm/card1/device/driver": "../../../bus/pci/drivers/xe"},
        )
    )
    assert system.read_text("/sys/module/nvidia/version") == "570.148.08\n"
    assert system.listdir("/sys/class/kfd/kfd/topology/nodes") == ["0", "1"]
    with pytest.raises(PermissionError) as excinfo:
        system.read_text("/sys/class/kfd/kfd/topology/nodes/1/properties")
    assert excinfo.value.errno == errno.EPERM
    assert system.exists("/dev/kfd")
    with pytest.raises(PermissionError):
        system.read_bytes("/dev/kfd")
    assert system.listdir("/dev") == ["kfd", "nvidia0", "nvidiactl"]
    assert system.exists("/dev/nvidia0") and not system.exists("/dev/nvidia1")
    assert system.readlink("/sys/class/drm/card1/device/driver").endswith("/xe")
    assert system.listdir("/sys/class/drm") == ["card1"], "nested entries imply their parents"
    assert system.listdir("/sys/module") == ["nvidia"]
    assert system.exists("/sys/class/drm/card1")
    with pytest.raises(OSError) as link_error:
        system.readlink("/sys/module/nvidia/version")
    assert link_error.value.errno == errno.EINVAL
    with pytest.raises(NotADirectoryError):
        system.listdir("/sys/module/nvidia/version")


def test_commands_replay_results_timeouts_and_absence(make_machine: MachineFactory) -> None:
    smi = ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]
    system = ReplaySystem(
        make_machine(
            commands={
                command_key(smi): {"returncode": 0, "stdout": "572.60\n572.60\n", "stderr": ""},
                "rocminfo": {"timeout": True},
                "rocm_agent_enumerator": {"error": "ENOENT"},
                "sysctl -n hw.optional.arm.FEAT_BF16": {"returncode": 1, "stdout": ""},
            }
        )
    )
    result = system.run(smi)
    assert result.ok and result.stdout.splitlines() == ["572.60", "572.60"]
    hung = system.run(["rocminfo"], timeout=3)
    assert hung.timed_out and not hung.ok and hung.describe() == "rocminfo: timed out"
    assert system.run(["rocm_agent_enumerator"]).describe() == "rocm_agent_enumerator: not found"
    assert system.run(["lspci"]).error == "ENOENT"
    failed = system.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"])
    assert failed.returncode == 1 and not failed.ok


def test_native_answers_and_failure_markers(make_machine: MachineFactory) -> None:
    system = ReplaySystem(
        make_machine(
            native={
                "nvml": {"answer": {"cuda_driver_version": 12080}},
                "level_zero": {"timeout": True},
                "libcuda": {"error": "cuInit returned 100"},
                "amdsmi": {"unavailable": "library not found"},
            }
        )
    )
    assert system.native(NativeFacade("nvml", "x:y")) == {"cuda_driver_version": 12080}
    with pytest.raises(NativeTimeout):
        system.native(NativeFacade("level_zero", "x:y", timeout=2))
    with pytest.raises(NativeError, match="cuInit returned 100"):
        system.native(NativeFacade("libcuda", "x:y"))
    with pytest.raises(NativeUnavailable):
        system.native(NativeFacade("amdsmi", "x:y"))
    with pytest.raises(NativeUnavailable, match="not recorded"):
        system.native(NativeFacade("cpuid", "x:y"))


@pytest.mark.parametrize(
    ("manifest", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"platform": {"system": "Linux"}}', "'platform' needs"),
        ('{"schema": 99, "platform": {"system": "Linux", "machine": "x86_64"}}', "schema 99"),
    ],
)
def test_invalid_machines_are_reported_clearly(
    tmp_path: Path, manifest: str, fragment: str
) -> None:
    (tmp_path / "machine.json").write_text(manifest)
    with pytest.raises(InvalidMachine, match=fragment):
        ReplaySystem(tmp_path)


def test_missing_machine_directory(tmp_path: Path) -> None:
    with pytest.raises(InvalidMachine, match="cannot read recorded machine"):
        ReplaySystem(tmp_path / "nope")


def test_live_system_reads_under_a_root(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text(cpuinfo(V2_FLAGS))
    system = LiveSystem(root=str(tmp_path), environ={"A": "1"})
    assert "sse4_2" in system.read_text("/proc/cpuinfo")
    assert system.listdir("/") == ["proc"]
    assert system.getenv("A") == "1" and system.getenv("PATH") is None


def test_live_commands_never_raise() -> None:
    system = LiveSystem()
    missing = system.run(["definitely-not-a-command-4711"])
    assert missing.error == "ENOENT" and not missing.ok
    import sys

    slow = system.run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3)
    assert slow.timed_out
    done = system.run([sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"])
    assert done.returncode == 3 and done.stdout == "hi\n"


def test_native_child_answers_and_its_prints_never_reach_us(
    capfd: pytest.CaptureFixture[str],
) -> None:
    system = LiveSystem()
    answer = system.native(NativeFacade("demo", "tests.native_targets:noisy_answer"))
    assert answer == {"devices": [{"name": "demo"}]}
    assert capfd.readouterr().out == ""


def test_native_child_failures_are_exceptions_not_crashes() -> None:
    system = LiveSystem()
    with pytest.raises(NativeTimeout):
        system.native(NativeFacade("hang", "tests.native_targets:hang", timeout=0.5))
    with pytest.raises(NativeError, match="RuntimeError: driver exploded"):
        system.native(NativeFacade("boom", "tests.native_targets:explode"))
    with pytest.raises(NativeError, match="exited without an answer"):
        system.native(NativeFacade("exit", "tests.native_targets:hard_exit"))


def test_recording_then_replay_gives_the_same_answers(tmp_path: Path) -> None:
    live_root = tmp_path / "live"
    (live_root / "proc" / "driver" / "nvidia" / "gpus" / "0000:18:00.0").mkdir(parents=True)
    info = (
        "Model: \t\t NVIDIA H100 80GB HBM3\n"
        "GPU UUID: \t GPU-3f1c2a9e-8b7d-4c6e-9a1b-2c3d4e5f6a7b\n"
        "Bus Location: \t 0000:18:00.0\n"
    )
    (live_root / "proc/driver/nvidia/gpus/0000:18:00.0/information").write_text(info)
    (live_root / "dev").mkdir()
    (live_root / "dev" / "nvidia0").write_text("")
    (live_root / "secret").mkdir()
    os.chmod(live_root / "secret", 0)
    try:
        recorder = RecordingSystem(LiveSystem(root=str(live_root), environ={"ROCM_PATH": "/x"}))
        gpus = recorder.listdir("/proc/driver/nvidia/gpus")
        text = recorder.read_text(f"/proc/driver/nvidia/gpus/{gpus[0]}/information")
        assert recorder.exists("/dev/nvidia0")
        assert not recorder.exists("/dev/nvidia1")
        assert recorder.getenv("ROCM_PATH") == "/x"
        assert recorder.getenv("HIP_VISIBLE_DEVICES") is None
        denied = None
        if os.geteuid() != 0:
            with pytest.raises(PermissionError):
                recorder.listdir("/secret")
            denied = True
        out = recorder.save(tmp_path / "recorded")
    finally:
        os.chmod(live_root / "secret", 0o755)

    replay = ReplaySystem(out)
    assert replay.listdir("/proc/driver/nvidia/gpus") == gpus
    replayed = replay.read_text(f"/proc/driver/nvidia/gpus/{gpus[0]}/information")
    # The UUID is redacted but keeps its shape; everything else is identical.
    assert "3f1c2a9e-8b7d-4c6e-9a1b-2c3d4e5f6a7b" not in replayed
    assert replayed.replace(replayed.split("GPU-")[1][:36], "X") == text.replace(
        text.split("GPU-")[1][:36], "X"
    )
    assert replay.exists("/dev/nvidia0") and not replay.exists("/dev/nvidia1")
    assert replay.getenv("ROCM_PATH") == "/x"
    doc = json.loads((out / "machine.json").read_text())
    assert set(doc["env"]) == {"ROCM_PATH"}, "only variables the providers read are recorded"
    if denied:
        with pytest.raises(PermissionError):
            replay.listdir("/secret")


def test_redaction_keeps_shape_and_is_stable() -> None:
    text = (
        "GPU UUID: GPU-1fb8a6a5-0ca2-22e3-4d5e-6f708192a3b4\nSerial Number: 1652020012345\n"
        "unique_id 9838413422915233921\n"
    )
    once, twice = redact_text(text), redact_text(text)
    kfd_id = once.splitlines()[2].split()[1]
    assert kfd_id != "9838413422915233921" and kfd_id.isdigit() and len(kfd_id) == 19
    assert once == twice
    assert "1fb8a6a5" not in once and "1652020012345" not in once
    uuid = once.split("GPU-")[1].split("\n")[0]
    assert [len(p) for p in uuid.split("-")] == [8, 4, 4, 4, 12]
    assert all(c in "0123456789abcdef-" for c in uuid)
    serial = once.splitlines()[1].split("Serial Number: ")[1]
    assert serial.isdigit() and len(serial) == 13
