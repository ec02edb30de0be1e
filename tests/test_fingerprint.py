"""Cache fingerprints change when the machine facts they cover change, and only then."""

from __future__ import annotations

from pathlib import Path

from variant_providers.fingerprint import fingerprint_of
from variant_providers.providers.amd.plugin import fingerprint as amd_fingerprint
from variant_providers.providers.nvidia.plugin import fingerprint as nvidia_fingerprint
from variant_providers.system import LiveSystem


def test_fingerprint_tracks_files_listings_existence_and_lines(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    cpuinfo = tmp_path / "proc" / "cpuinfo"
    cpuinfo.write_text("cpu MHz : 3000.1\nflags : fpu sse sse2\n")
    system = LiveSystem(root=str(tmp_path), environ={})

    def digest() -> str:
        return fingerprint_of(
            system,
            files=["/version"],
            listings=["/proc"],
            exists=["/dev/kfd"],
            lines=[("/proc/cpuinfo", "flags")],
        )

    first = digest()
    cpuinfo.write_text("cpu MHz : 2200.7\nflags : fpu sse sse2\n")
    assert digest() == first, "a changing clock speed is not a new machine"
    cpuinfo.write_text("cpu MHz : 2200.7\nflags : fpu sse sse2 avx\n")
    second = digest()
    assert second != first
    (tmp_path / "version").write_text("1\n")
    third = digest()
    assert third != second
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "kfd").write_text("")
    assert digest() != third


def test_vendor_fingerprints_follow_driver_upgrades(tmp_path: Path) -> None:
    (tmp_path / "sys/module/nvidia").mkdir(parents=True)
    (tmp_path / "sys/module/nvidia/version").write_text("570.148.08\n")
    system = LiveSystem(root=str(tmp_path), environ={})
    before = nvidia_fingerprint(system)
    (tmp_path / "sys/module/nvidia/version").write_text("575.57.08\n")
    assert nvidia_fingerprint(system) != before

    (tmp_path / "opt/rocm/.info").mkdir(parents=True)
    (tmp_path / "opt/rocm/.info/version").write_text("6.4.1-120\n")
    rocm_before = amd_fingerprint(system)
    (tmp_path / "opt/rocm/.info/version").write_text("7.0.0-38\n")
    assert amd_fingerprint(system) != rocm_before
    elsewhere = LiveSystem(root=str(tmp_path), environ={"ROCM_PATH": "/opt/rocm-6.3.0"})
    assert amd_fingerprint(elsewhere) != amd_fingerprint(system)
