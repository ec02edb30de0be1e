"""Hostile files: FIFOs, endless devices, bombs, deep nesting, wrong types.

Every file we read may be planted.  Each case must end at once with the
command's usual error (exit 2 for user inputs), never block, never grow the
process, never end in a traceback.  Reads that could block run under an
alarm, so a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import io
import json
import os
import signal
import zipfile
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

from variant_providers.cli import main
from variant_providers.lock import InvalidLock, read_lock
from variant_providers.replay import InvalidMachine, ReplaySystem
from variant_providers.system import LiveSystem
from variant_providers.variants_json import (
    VariantsJsonError,
    load_variants_json,
    load_wheel_variant_json,
)

from .conftest import V2_FLAGS, MachineFactory, cpuinfo

posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
DEEP = "[" * 200000


@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    """Turn a read that blocks into a failure after 10 s."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def fail(signum: int, frame: Any) -> None:
        raise AssertionError("a read blocked")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(args: List[str], capsys: pytest.CaptureFixture[str]) -> Tuple[int, str]:
    out = io.StringIO()
    code = main(args, out=out)
    return code, capsys.readouterr().err


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "planted.fifo"
    os.mkfifo(path)
    return path


@posix
def test_a_fifo_is_refused_wherever_a_file_is_read(
    fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    machine_dir = tmp_path / "m"
    machine_dir.mkdir()
    os.mkfifo(machine_dir / "machine.json")
    code, err = run_cli(["report", "--machine", str(machine_dir)], capsys)
    assert code == 2 and "not a regular file" in err
    code, err = run_cli(["report", "--use-lock", str(fifo)], capsys)
    assert code == 2 and "not a regular file" in err
    code, err = run_cli(["match", str(fifo)], capsys)
    assert code == 2 and "not a regular file" in err
    os.environ["VARIANT_PROVIDERS_OVERRIDE_FILE"] = str(fifo)
    try:
        code, err = run_cli(["report", "--no-cache", "--only", "x86_64"], capsys)
    finally:
        del os.environ["VARIANT_PROVIDERS_OVERRIDE_FILE"]
    assert code == 2 and "not a regular file" in err


@posix
def test_fifos_planted_in_the_cache_are_ignored(_isolated_cache: Path) -> None:
    from variant_providers.cache import DetectionCache
    from variant_providers.entrypoints import discover

    directory = _isolated_cache / "v1"
    directory.mkdir(mode=0o700)
    os.mkfifo(directory / "x86_64.json", 0o600)
    assert DetectionCache(directory).load("x86_64", "any") is None
    discover("variant_providers", directory)
    (listed,) = directory.glob("entry-points-*.json")
    listed.unlink()
    os.mkfifo(listed, 0o600)
    assert isinstance(discover("variant_providers", directory), list)


@posix
def test_live_reads_under_a_root_refuse_fifos(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    os.mkfifo(tmp_path / "proc" / "cpuinfo")
    with pytest.raises(OSError, match="not a regular file"):
        LiveSystem(root=str(tmp_path)).read_text("/proc/cpuinfo")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_devices_are_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidLock, match="not a regular file"):
        read_lock("/dev/zero")
    with pytest.raises(VariantsJsonError, match="not a regular file"):
        load_variants_json("/dev/zero")
    (tmp_path / "machine.json").symlink_to("/dev/zero")
    code, err = run_cli(["report", "--machine", str(tmp_path)], capsys)
    assert code == 2 and "not a regular file" in err


def test_deep_nesting_is_a_parse_error_in_every_reader(
    tmp_path: Path, make_machine: MachineFactory
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    with pytest.raises(InvalidLock, match="nested"):
        read_lock(deep)
    with pytest.raises(VariantsJsonError, match="nested"):
        load_variants_json(deep)
    machine = tmp_path / "deep-machine"
    machine.mkdir()
    (machine / "machine.json").write_text(DEEP)
    with pytest.raises(InvalidMachine, match="nested"):
        ReplaySystem(machine)


def test_huge_numbers_in_a_recording_are_refused(tmp_path: Path) -> None:
    machine = tmp_path / "m"
    machine.mkdir()
    doc = {"platform": {"system": "Linux", "machine": "x86_64"}, "files": {"/proc/x": 8 << 30}}
    (machine / "machine.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidMachine, match=r"files\['/proc/x'\] must be a string"):
        ReplaySystem(machine)
    (machine / "machine.json").write_text('{"platform": {"system": "Linux"}, "x": ' + "9" * 50000)
    with pytest.raises(InvalidMachine, match="digits"):
        ReplaySystem(machine)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (
            '{"platform": {"system": "Linux", "machine": "x"}, "env": "é"}'.encode("latin-1"),
            "UTF-8",
        ),
        (b'{"platform": {"system": "Linux", "machine": "x86_64"}, "env": ["A"]}', "'env'"),
        (b'{"platform": {"system": 1, "machine": "x86_64"}}', "platform.system"),
        (b'{"platform": {"system": "Linux", "machine": "x"}, "dirs": {"/d": "ab"}}', "dirs"),
        (b'{"platform": {"system": "Linux", "machine": "x"}, "files": {"rel": "x"}}', "absolute"),
        (
            b'{"platform": {"system": "Linux", "machine": "x"},'
            b' "commands": {"nvidia-smi": {"returncode": "zero"}}}',
            "returncode",
        ),
        (b'{"platform": {"system": "Linux", "machine": "x"}, "commands": {"a": []}}', "object"),
        (b'{"platform": {"system": "Linux", "machine": "x"}, "native": {"nvml": 1}}', "object"),
        (b'{"platform": {"system": "Linux", "machine": "x"}, "schema": true}', "schema"),
    ],
)
def test_malformed_recordings_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    (tmp_path / "machine.json").write_bytes(content)
    code, err = run_cli(["report", "--machine", str(tmp_path)], capsys)
    assert code == 2 and message in err and "Traceback" not in err


def _wheel(path: Path, member: bytes, *, method: int = 0, flags: int = 0) -> Path:
    """A wheel whose variant.json has *member* as content, headers patched as asked."""
    name = "pkg-1.0.dist-info/variant.json"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr(name, member)
    data = bytearray(path.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    if method:
        data[local + 8 : local + 10] = method.to_bytes(2, "little")
        data[central + 10 : central + 12] = method.to_bytes(2, "little")
    if flags:
        data[local + 6 : local + 8] = flags.to_bytes(2, "little")
        data[central + 8 : central + 10] = flags.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def test_wheels_that_zipfile_cannot_read_are_clear_errors(tmp_path: Path) -> None:
    bomb = _wheel(tmp_path / "bomb-1.0-py3-none-any-abcd1234.whl", b" " * (40 << 20))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(VariantsJsonError, match="too large"):
        load_variants_json(bomb)
    unknown = _wheel(tmp_path / "u-1.0-py3-none-any-abcd1234.whl", b"{}", method=99)
    with pytest.raises(VariantsJsonError, match="cannot decompress"):
        load_variants_json(unknown)
    encrypted = _wheel(tmp_path / "e-1.0-py3-none-any-abcd1234.whl", b"{}", flags=1)
    with pytest.raises(VariantsJsonError, match="encrypted"):
        load_variants_json(encrypted)


def test_replay_never_leaves_the_recording(tmp_path: Path, make_machine: MachineFactory) -> None:
    live = tmp_path / "live"
    (live / "proc").mkdir(parents=True)
    (live / "proc" / "cpuinfo").write_text(cpuinfo(V2_FLAGS))
    machine = make_machine()
    (machine / "root").symlink_to(live)
    with pytest.raises(InvalidMachine, match="outside the recording"):
        ReplaySystem(machine)
    inner = make_machine(root_files={"/proc/version": "Linux"})
    (inner / "root" / "proc" / "cpuinfo").symlink_to(live / "proc" / "cpuinfo")
    with pytest.raises(InvalidMachine, match="outside the recording's root"):
        ReplaySystem(inner)
    # A link added after loading is refused at the read, not followed.
    system = ReplaySystem(make_machine(root_files={"/proc/version": "Linux"}))
    (system.path / "root" / "proc" / "cpuinfo").symlink_to(live / "proc" / "cpuinfo")
    with pytest.raises(InvalidMachine):
        system.read_text("/proc/cpuinfo")


def test_links_inside_the_recording_still_replay(make_machine: MachineFactory) -> None:
    machine = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    (machine / "root" / "proc" / "alias").symlink_to("cpuinfo")
    assert ReplaySystem(machine).read_text("/proc/alias").startswith("processor")


def test_non_finite_info_is_the_providers_invalid_output(
    make_machine: MachineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from variant_providers import FeatureConfig, Provider, ProviderOutput, System, hookimpl
    from variant_providers.host import Host

    class NotFinite:
        @hookimpl
        def variant_providers(self) -> List[Provider]:
            def detect(system: System) -> ProviderOutput:
                feature = FeatureConfig("generation", ["g1"])
                return ProviderOutput([feature], info={"clock": float("inf")})

            return [Provider("acme", detect)]

    host = Host(entry_points=False, plugins=[NotFinite()])
    machine = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    result = host.detect(ReplaySystem(machine))["acme"]
    assert result.status == "error" and "invalid result" in (result.error or "")
    from variant_providers.cli import render_json

    json.loads(render_json(host.detect(ReplaySystem(machine))), parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} in the report")


def test_a_wheel_needing_a_newer_zip_version_is_a_clear_error(tmp_path: Path) -> None:
    # A central directory entry asking for zip version 6.4 makes zipfile.ZipFile
    # itself raise NotImplementedError while opening the archive.
    wheel = tmp_path / "pkg-1.0-py3-none-any-00000000.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg-1.0.dist-info/variant.json", "{}")
    data = bytearray(wheel.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6 : central + 8] = (64).to_bytes(2, "little")  # version needed to extract
    wheel.write_bytes(bytes(data))
    with pytest.raises(VariantsJsonError, match=r"cannot read wheel: zip file version 6\.4"):
        load_wheel_variant_json(wheel)
